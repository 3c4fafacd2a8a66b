// Finite-difference checks of every layer with respect to its parameters (through the arena,
// as training uses them) and its input.

import Autodiff
import NN
import Testing

@testable import TensorCore

/// A small network and its input, built fresh for each check.
struct LayerCase: CustomStringConvertible, Sendable {
    var name: String
    var inputShape: [Int]
    var build: @Sendable (inout ParameterArenaBuilder) -> any Layer
    var description: String { name }
}

let layerCases: [LayerCase] = [
    LayerCase(name: "linear", inputShape: [3, 5]) {
        Linear("fc", inputCount: 5, outputCount: 4, in: &$0)
    },
    LayerCase(name: "linear without bias", inputShape: [2, 3]) {
        Linear("fc", inputCount: 3, outputCount: 2, bias: false, in: &$0)
    },
    // Composites use smooth activations: a hidden relu whose input crosses 0 within ±ε would
    // fail any finite-difference check (the kinked ones are checked alone in AutodiffTests).
    LayerCase(name: "mlp softplus/elu/tanh", inputShape: [3, 4]) { builder in
        Sequential([
            Linear("fc1", inputCount: 4, outputCount: 6, in: &builder), Activation.softplus,
            Linear("fc2", inputCount: 6, outputCount: 5, in: &builder), Activation.elu(alpha: 1),
            Linear("fc3", inputCount: 5, outputCount: 3, in: &builder), Activation.tanh,
        ])
    },
    LayerCase(name: "conv2d", inputShape: [2, 2, 5, 5]) {
        Conv2d("conv", inputChannels: 2, outputChannels: 3, kernelSize: 3, stride: 2, padding: 1, in: &$0)
    },
    LayerCase(name: "conv-transpose2d", inputShape: [2, 3, 3, 3]) {
        ConvTranspose2d(
            "deconv", inputChannels: 3, outputChannels: 2, kernelSize: 4, stride: 2, padding: 1, in: &$0)
    },
    LayerCase(name: "channels-last conv and conv-transpose", inputShape: [2, 2, 5, 5]) { builder in
        Sequential([
            ChannelsLast(),
            Conv2d(
                "conv", inputChannels: 2, outputChannels: 3, kernelSize: 3, stride: 2, padding: 1,
                channelsLast: true,
                in: &builder),
            Activation.tanh,
            ConvTranspose2d(
                "deconv", inputChannels: 3, outputChannels: 2, kernelSize: 4, stride: 2, padding: 1,
                channelsLast: true, in: &builder),
            ChannelsFirst(),
        ])
    },
    LayerCase(name: "conv encoder-decoder", inputShape: [2, 1, 6, 6]) { builder in
        Sequential([
            Conv2d(
                "enc", inputChannels: 1, outputChannels: 2, kernelSize: 4, stride: 2, padding: 1, in: &builder
            ),
            Activation.tanh,
            Reshape([18]), Linear("fc", inputCount: 18, outputCount: 18, in: &builder), Reshape([2, 3, 3]),
            ConvTranspose2d(
                "dec", inputChannels: 2, outputChannels: 1, kernelSize: 4, stride: 2, padding: 1, in: &builder
            ),
            Activation.sigmoid,
        ])
    },
]

@Suite struct LayerGradientTests {
    @Test(arguments: layerCases)
    func parameterAndInputGradientsMatchFiniteDifferences(_ layerCase: LayerCase) {
        var builder = ParameterArenaBuilder(seed: 17)
        let layer = layerCase.build(&builder)
        let arena = builder.build()
        let input = Philox(seed: 5).normal(layerCase.inputShape)
        let outputShape = layer(Variable(input), ForwardPass(arena: arena, trainable: false)).shape
        let weights = Philox(seed: 6).uniform(outputShape) * 2 + (-1)

        func loss(_ x: Tensor) -> Double {
            let y = layer(Variable(x), ForwardPass(arena: arena, trainable: false)).value
            return Double((y * weights).sum())
        }
        // Analytic: one backward pass into the arena, plus the input gradient.
        let pass = ForwardPass(arena: arena)
        let x = Variable(input, requiresGradient: true)
        let output = (layer(x, pass) * Variable(weights)).sum()
        let inputGradient = gradients(of: output, wrt: [x])[0].value
        pass.backward(output)
        let parameterGradient = arena.flatGradients()

        let epsilon: Float = 1e-2
        var worst: Float = 0
        let original = arena.flatValues()
        for index in 0..<arena.count {
            var shifted = original
            shifted[flat: index] += epsilon
            arena.load(flatValues: shifted)
            let plus = loss(input)
            shifted[flat: index] -= 2 * epsilon
            arena.load(flatValues: shifted)
            let minus = loss(input)
            let numeric = Float((plus - minus) / (2 * Double(epsilon)))
            let analytic = parameterGradient[flat: index]
            worst = max(worst, abs(numeric - analytic) / max(1, abs(numeric), abs(analytic)))
        }
        arena.load(flatValues: original)
        for index in 0..<input.count {
            var plus = input
            var minus = input
            plus[flat: index] += epsilon
            minus[flat: index] -= epsilon
            let numeric = Float((loss(plus) - loss(minus)) / (2 * Double(epsilon)))
            let analytic = inputGradient[flat: index]
            worst = max(worst, abs(numeric - analytic) / max(1, abs(numeric), abs(analytic)))
        }
        #expect(worst < 1e-2, "\(layerCase.name): worst relative error \(worst)")
    }

    @Test func parameterNamesAndLayout() {
        var builder = ParameterArenaBuilder(seed: 1)
        _ = Linear("encoder.fc1", inputCount: 4, outputCount: 3, in: &builder)
        _ = Conv2d("decoder.conv", inputChannels: 2, outputChannels: 5, kernelSize: 3, in: &builder)
        let arena = builder.build()
        #expect(
            arena.entries.map(\.name) == [
                "encoder.fc1.weight", "encoder.fc1.bias", "decoder.conv.weight", "decoder.conv.bias",
            ])
        #expect(arena.entries.map(\.offset) == [0, 12, 15, 105])
        #expect(arena.count == 110)
        #expect(arena.id(named: "decoder.conv.bias")?.index == 3)
    }

    @Test func initializationIsKeyedByNameAndSeed() {
        var first = ParameterArenaBuilder(seed: 3)
        let a = Linear("fc", inputCount: 100, outputCount: 50, in: &first)
        var second = ParameterArenaBuilder(seed: 3)
        _ = Linear("other", inputCount: 10, outputCount: 10, in: &second)
        let b = Linear("fc", inputCount: 100, outputCount: 50, in: &second)
        let arenaA = first.build()
        let arenaB = second.build()
        #expect(arenaA.value(a.weight).scalars == arenaB.value(b.weight).scalars)
        // PyTorch's default bound 1/√fanIn = 0.1, and a uniform fill of it.
        let weights = arenaA.value(a.weight).scalars
        #expect(weights.allSatisfy { abs($0) <= 0.1 })
        #expect(weights.max()! > 0.095 && weights.min()! < -0.095)
    }
}

@Suite struct SubpixelTransposedConvolutionTests {
    /// Inference takes the sub-pixel form; it must equal the column form that training uses,
    /// for the DCGAN decoder's geometries and odd ones (stride 3, k < stride, output padding),
    /// on both of its paths — direct dots below 8 output channels, blocked GEMMs from 8 — with
    /// channel counts that leave a tail after 16-lane vectors, images whose windows fill several
    /// blocks, and a 1×1 input (one GEMM when unpadded).
    @Test(arguments: [
        (4, 2, 1, 0), (4, 1, 0, 0), (3, 2, 1, 1), (5, 3, 2, 0), (2, 3, 0, 2), (1, 1, 0, 0),
    ])
    func subpixelFormEqualsColumnForm(_ geometry: (Int, Int, Int, Int)) {
        let (k, stride, padding, outputPadding) = geometry
        for (inputs, outputs, height, width) in [(3, 5, 4, 3), (35, 5, 9, 7), (35, 12, 9, 7), (20, 12, 1, 1)]
        {
            var builder = ParameterArenaBuilder(seed: 3)
            let layer = ConvTranspose2d(
                "deconv", inputChannels: inputs, outputChannels: outputs, kernelSize: k, stride: stride,
                padding: padding, outputPadding: outputPadding, channelsLast: true,
                initializer: .normal(standardDeviation: 0.3),
                biasInitializer: .normal(standardDeviation: 0.3),
                in: &builder)
            let arena = builder.build()
            let x = Philox(seed: 4).normal([2, height, width, inputs])
            let columns = layer(Variable(x, requiresGradient: true), ForwardPass(arena: arena)).value
            let subpixels = layer(Variable(x), ForwardPass(arena: arena, trainable: false)).value
            #expect(columns.shape == subpixels.shape)
            let worst = zip(columns.scalars, subpixels.scalars).map { abs($0 - $1) }.max() ?? .infinity
            #expect(
                worst < 1e-4,
                "k \(k) stride \(stride) padding \(padding), \(inputs)→\(outputs) channels, \(height)×\(width): largest difference \(worst)"
            )
        }
    }
}
