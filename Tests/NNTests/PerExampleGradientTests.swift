// Per-example gradient capture: factors from ONE batched backward pass rebuild each example's
// gradient exactly as a batch-of-one backward pass does, and their factored dot products equal
// the dense ones.

import Autodiff
import NN
import Testing

@testable import TensorCore

@Suite struct PerExampleGradientTests {
    /// A loss that is a sum of per-example terms: Bernoulli likelihood of a target per example.
    static func loss(_ output: Variable, _ targets: Tensor) -> Variable {
        binaryCrossEntropy(
            logits: output.reshaped(to: [output.shape[0], output.count / output.shape[0]]),
            targets: Variable(targets)
        ).sum()
    }

    static let models: [LayerCase] = [
        LayerCase(name: "mlp", inputShape: [5, 6]) { builder in
            Sequential([
                Linear("fc1", inputCount: 6, outputCount: 8, in: &builder), Activation.relu,
                Linear("fc2", inputCount: 8, outputCount: 4, in: &builder),
            ])
        },
        LayerCase(name: "conv", inputShape: [4, 1, 6, 6]) { builder in
            Sequential([
                Conv2d(
                    "enc", inputChannels: 1, outputChannels: 3, kernelSize: 3, stride: 1, padding: 1,
                    in: &builder),
                Activation.elu(alpha: 1),
                Conv2d(
                    "enc2", inputChannels: 3, outputChannels: 2, kernelSize: 4, stride: 2, padding: 1,
                    in: &builder),
                Activation.relu,
                Reshape([18]), Linear("fc", inputCount: 18, outputCount: 18, in: &builder),
                Reshape([2, 3, 3]),
                ConvTranspose2d(
                    "dec", inputChannels: 2, outputChannels: 1, kernelSize: 4, stride: 2, padding: 1,
                    in: &builder),
            ])
        },
        LayerCase(name: "conv channels-last", inputShape: [3, 1, 8, 8]) { builder in
            Sequential([
                ChannelsLast(),
                Conv2d(
                    "enc", inputChannels: 1, outputChannels: 3, kernelSize: 4, stride: 2, padding: 1,
                    channelsLast: true, in: &builder),
                Activation.elu(alpha: 1),
                Conv2d(
                    "enc2", inputChannels: 3, outputChannels: 2, kernelSize: 3, stride: 1, padding: 1,
                    channelsLast: true, in: &builder),
                ConvTranspose2d(
                    "dec", inputChannels: 2, outputChannels: 2, kernelSize: 4, stride: 2, padding: 1,
                    channelsLast: true, in: &builder),
                ChannelsFirst(),
            ])
        },
    ]

    @Test(arguments: models)
    func factorsRebuildBatchOfOneGradients(_ model: LayerCase) {
        var builder = ParameterArenaBuilder(seed: 21)
        let network = model.build(&builder)
        let arena = builder.build()
        let batch = model.inputShape[0]
        let input = Philox(seed: 9).normal(model.inputShape)
        let outputCount = network(Variable(input), ForwardPass(arena: arena, trainable: false)).count / batch
        let targets = Philox(seed: 10).uniform([batch, outputCount])

        // One batched backward pass with capture.
        let pass = ForwardPass(arena: arena, capturePerExample: true)
        let factors = pass.backward(Self.loss(network(Variable(input), pass), targets))
        let batchGradient = arena.flatGradients()
        let dense = pass.denseGradients(from: factors)
        #expect(dense.shape == [batch, arena.count])

        // Batch-of-one passes, one per example.
        var reference: [Tensor] = []
        for example in 0..<batch {
            let x = input.slice(alongAxis: 0, start: example, length: 1)
            let t = targets.slice(alongAxis: 0, start: example, length: 1)
            let single = ForwardPass(arena: arena)
            single.backward(Self.loss(network(Variable(x), single), t))
            reference.append(arena.flatGradients())
        }
        var worst: Float = 0
        for example in 0..<batch {
            for index in 0..<arena.count {
                let a = dense[flat: example * arena.count + index]
                let b = reference[example][flat: index]
                worst = max(worst, abs(a - b) / max(1e-2, abs(b)))
            }
        }
        #expect(worst < 1e-4, "\(model.name): worst relative error \(worst)")
        // The per-example gradients add up to the batch gradient.
        let summed = dense.sum(alongAxes: [0])
        for index in 0..<arena.count {
            #expect(
                abs(summed[flat: index] - batchGradient[flat: index]) < 1e-4
                    * max(1, abs(batchGradient[flat: index])))
        }

        // Dot products from factors equal the dense ones: Σ_layers sum((A_i A_jᵀ) ⊙ (Δ_i Δ_jᵀ)).
        let factored = perExampleDotProducts(factors, factors)
        let exact = Tensor.matmul(dense, dense, transposeB: true)
        for index in 0..<factored.count {
            let (a, b) = (factored[flat: index], exact[flat: index])
            #expect(abs(a - b) <= 1e-4 * max(1, abs(b)), "\(model.name) pair \(index): \(a) vs \(b)")
        }
    }

    @Test func crossBatchDotProducts() {
        // Factors of two different batches (train vs test) give the cross Gram matrix.
        var builder = ParameterArenaBuilder(seed: 4)
        let network = Sequential([
            Conv2d("c", inputChannels: 1, outputChannels: 2, kernelSize: 3, padding: 1, in: &builder),
            Activation.tanh, Reshape([32]), Linear("fc", inputCount: 32, outputCount: 3, in: &builder),
        ])
        let arena = builder.build()
        func capture(_ seed: UInt64, _ batch: Int) -> ([GradientFactor], Tensor) {
            let pass = ForwardPass(arena: arena, capturePerExample: true)
            let x = Philox(seed: seed).normal([batch, 1, 4, 4])
            let factors = pass.backward(network(Variable(x), pass).squared().sum())
            return (factors, pass.denseGradients(from: factors))
        }
        let (trainFactors, trainDense) = capture(1, 3)
        let (testFactors, testDense) = capture(2, 2)
        let factored = perExampleDotProducts(trainFactors, testFactors)
        let exact = Tensor.matmul(trainDense, testDense, transposeB: true)
        #expect(factored.shape == [3, 2])
        for index in 0..<6 {
            #expect(abs(factored[flat: index] - exact[flat: index]) <= 1e-4 * max(1, abs(exact[flat: index])))
        }
    }
}
