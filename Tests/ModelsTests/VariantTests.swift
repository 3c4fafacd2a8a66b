// The seed papers' objectives: gradients of the HVAE ELBO through its leapfrog forces against
// finite differences (every tempering), the HVAE's importance-weighted bound, the Jacobian-L1
// penalty against separate decoder calls (and its gradient reaching the decoder only), the
// consistency KL against its closed form, the affine augmentation, and the supervised loss.

import Autodiff
import Datasets
import Foundation
import Models
import NN
import Testing

@testable import TensorCore

@Suite struct VariantTests {
    /// A tiny smooth VAE (softplus, so second derivatives are not zero almost everywhere).
    func tinyModel(_ objective: VAEObjective, likelihood: Likelihood = .bernoulli) -> VAE {
        VAE(
            imageShape: [1, 3, 3], latentCount: 2, likelihood: likelihood,
            architecture: .mlp(hidden: [5], activation: .softplus), seed: 7, objective: objective)
    }

    func batch(_ model: VAE, count: Int = 3) -> ObjectiveBatch {
        let input = Philox(seed: 11).uniform([count, 1, 3, 3])
        var batch = ObjectiveBatch(
            input: input, target: LikelihoodTarget(values: input), noise: Philox(seed: 12).normal([count, 2]))
        batch.momentumNoise = Philox(seed: 13).normal([count, 2])
        batch.labels = (0..<count).map { $0 % 3 }
        batch.augmented = (
            Philox(seed: 14).uniform([count, 1, 3, 3]),
            LikelihoodTarget(values: Philox(seed: 14).uniform([count, 1, 3, 3])),
            Philox(seed: 15).normal([count, 2])
        )
        return batch
    }

    /// The loss as a function of every parameter of the arena.
    func lossOfParameters(_ model: VAE, _ batch: ObjectiveBatch) -> ([Variable]) -> Variable {
        { variables in
            let pass = ForwardPass(arena: model.arena, trainable: false)
            for (index, variable) in variables.enumerated() {
                pass.override(ParameterID(index: index), with: variable)
            }
            return model.objectiveTerms(batch, beta: 1, pass).loss.sum()
        }
    }

    func parameters(_ model: VAE) -> [Tensor] {
        // Copies: arena values are views that write through, and the check perturbs its inputs.
        model.arena.entries.indices.map {
            let view = model.arena.value(ParameterID(index: $0))
            return Tensor(shape: view.shape, scalars: view.scalars)
        }
    }

    /// A finite-difference check of the whole loss: a stop-gradient through the leapfrog forces
    /// (pythae's shortcut) would fail it, since the flow's output depends on the decoder through ∇U.
    @Test(arguments: Tempering.allCases)
    func hamiltonianELBOGradientMatchesFiniteDifferences(_ tempering: Tempering) {
        var settings = HamiltonianSettings()
        settings.leapfrogSteps = 3
        settings.tempering = tempering
        settings.initialStepSize = 0.3
        let model = tinyModel(.hamiltonian(settings))
        let names = model.arena.entries.map(\.name)
        #expect(names.contains("flow.step_logits"))
        #expect(names.contains("flow.temperature") == (tempering == .fixed))
        #expect(names.contains("flow.alpha_logits") == (tempering == .free))
        let check = checkGradient(
            lossOfParameters(model, batch(model)), at: parameters(model), epsilon: 1e-2, tolerance: 2e-2)
        #expect(check.passed, "\(tempering): \(check.worstLocation) (error \(check.worstError))")
    }

    @Test func hamiltonianImportanceWeightedBoundIsAboveTheELBO() {
        var settings = HamiltonianSettings()
        settings.leapfrogSteps = 2
        let model = tinyModel(.hamiltonian(settings))
        let data = batch(model, count: 4)
        let logLikelihood = model.hamiltonianImportanceWeightedLogLikelihood(
            data.input, target: data.target, indices: [0, 1, 2, 3], samples: 2000, chunk: 500,
            draws: Draws(seed: 3, .importance))
        // The mean single-sample ELBO over many draws, per example.
        var elbo = [Double](repeating: 0, count: 4)
        let draws = 400
        for draw in 0..<draws {
            var sample = data
            sample.noise = Philox(seed: 100 + UInt64(draw)).normal([4, 2])
            sample.momentumNoise = Philox(seed: 5000 + UInt64(draw)).normal([4, 2])
            let pass = ForwardPass(arena: model.arena, trainable: false)
            let loss = model.objectiveTerms(sample, beta: 1, pass).loss.value
            for b in 0..<4 { elbo[b] -= Double(loss[flat: b]) / Double(draws) }
        }
        for b in 0..<4 {
            // log p(x) ≥ IWAE_K ≥ ELBO in expectation; with K = 2000 the gap dominates MC noise.
            #expect(Double(logLikelihood[flat: b]) >= elbo[b] - 0.05, "example \(b)")
        }
    }

    @Test func jacobianPenaltyEqualsSeparateDecoderCalls() {
        let model = tinyModel(.jacobianL1(gamma: 0.1, differenceStep: 1e-2))
        let z = Philox(seed: 21).normal([3, 2])
        let pass = ForwardPass(arena: model.arena, trainable: false)
        let penalty = model.jacobianL1(at: z, differenceStep: 1e-2, pass).value
        func mean(_ latents: Tensor) -> Tensor { model.decode(Variable(latents), pass).value.sigmoid() }
        let center = mean(z)
        for b in 0..<3 {
            var expected: Float = 0
            for j in 0..<2 {
                var shifted = z
                shifted.withUnsafeMutableBufferPointer { $0[b * 2 + j] += 1e-2 }
                let moved = mean(shifted)
                for p in 0..<9 { expected += abs(moved[flat: b * 9 + p] - center[flat: b * 9 + p]) / 1e-2 }
            }
            #expect(abs(penalty[flat: b] - expected) <= 1e-3 * max(1, expected), "example \(b)")
        }
        // The latents are constants: the penalty's gradient reaches the decoder only.
        let training = ForwardPass(arena: model.arena)
        training.backward(model.jacobianL1(at: z, differenceStep: 1e-2, training).sum())
        let gradients = model.arena.flatGradients().scalars
        for entry in model.arena.entries {
            let norm = gradients[entry.offset..<(entry.offset + entry.count)].map { $0 * $0 }.reduce(0, +)
            #expect(entry.name.hasPrefix("decoder.") ? norm > 0 : norm == 0, "\(entry.name)")
        }
    }

    @Test(arguments: ["jacobian_l1", "consistency", "supervised"])
    func objectiveGradientMatchesFiniteDifferences(_ kind: String) {
        let objective: VAEObjective
        switch kind {
        case "jacobian_l1": objective = .jacobianL1(gamma: 0.5, differenceStep: 1e-2)
        case "consistency": objective = .consistency(weight: 0.7)
        default:
            var settings = SupervisedSettings()
            settings.supervisedLatents = 1
            settings.classes = 3
            settings.classifierHidden = 4
            objective = .supervised(settings, weight: 2)
        }
        let model = tinyModel(objective)
        let check = checkGradient(
            lossOfParameters(model, batch(model)), at: parameters(model), epsilon: 1e-2, tolerance: 2e-2)
        #expect(check.passed, "\(kind): \(check.worstLocation) (error \(check.worstError))")
    }

    @Test func consistencyKLMatchesClosedForm() {
        let model = tinyModel(.consistency(weight: 1))
        let a = (
            mean: Variable(Tensor(shape: [1, 2], scalars: [0.5, -1])),
            logVariance: Variable(Tensor(shape: [1, 2], scalars: [0.2, -0.3]))
        )
        let b = (
            mean: Variable(Tensor(shape: [1, 2], scalars: [0, 0.5])),
            logVariance: Variable(Tensor(shape: [1, 2], scalars: [-0.1, 0.4]))
        )
        var expected = 0.0
        for d in 0..<2 {
            let (ma, la, mb, lb) = (
                Double(a.mean.value[flat: d]), Double(a.logVariance.value[flat: d]),
                Double(b.mean.value[flat: d]),
                Double(b.logVariance.value[flat: d])
            )
            expected += 0.5 * (lb - la - 1 + (exp(la) + (ma - mb) * (ma - mb)) / exp(lb))
        }
        #expect(abs(Double(model.gaussianKL(a, from: b).scalar) - expected) < 1e-5)
        #expect(abs(model.gaussianKL(a, from: a).scalar) < 1e-6)
    }

    @Test func affineAugmentation() {
        // A 5×5 image with one bright pixel right of the centre.
        var pixels = [UInt8](repeating: 0, count: 25)
        pixels[2 * 5 + 3] = 255
        let set = ImageDataset(
            images: pixels, labels: [0], channels: 1, height: 5, width: 5, source: "t", split: "t")
        let identity = set.affineAugmented(
            [0], ranges: AffineRanges(degrees: 0, translation: 0, scale: 1...1), seed: 1, step: 0)
        #expect(identity.scalars == set.intensities([0]).scalars)
        // Keyed: the same (seed, step, example) gives the same transformation.
        let ranges = AffineRanges(degrees: 30, translation: 0.1, scale: 0.8...1.2)
        let first = set.affineAugmented([0], ranges: ranges, seed: 4, step: 9)
        #expect(first.scalars == set.affineAugmented([0], ranges: ranges, seed: 4, step: 9).scalars)
        #expect(first.scalars != set.affineAugmented([0], ranges: ranges, seed: 4, step: 10).scalars)
        // Mass is roughly preserved for a small transformation inside the frame.
        let total = first.scalars.reduce(0, +)
        #expect(total > 0.5 && total < 1.6)
    }

    @Test func supervisedLossAddsClassifierCrossEntropy() {
        var settings = SupervisedSettings()
        settings.supervisedLatents = 1
        settings.classes = 3
        settings.classifierHidden = 4
        let model = tinyModel(.supervised(settings, weight: 2))
        let data = batch(model)
        let pass = ForwardPass(arena: model.arena, trainable: false)
        let terms = model.objectiveTerms(data, beta: 1, pass)
        guard let crossEntropy = terms.extra else {
            Issue.record("no cross-entropy term")
            return
        }
        let expected = terms.reconstruction.value + terms.kl.value + crossEntropy.value * 2
        for b in 0..<3 { #expect(abs(terms.loss.value[flat: b] - expected[flat: b]) < 1e-4) }
        #expect(crossEntropy.value.scalars.allSatisfy { $0 > 0 })
    }
}
