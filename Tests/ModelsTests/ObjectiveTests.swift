// Likelihoods against their formulas, the ELBO's KL, and the importance-weighted estimate
// against a brute-force computation of its definition.

import Autodiff
import Datasets
import Foundation
import Models
import NN
import Testing

@testable import TensorCore

@Suite struct ObjectiveTests {
    @Test func likelihoodsMatchFormulas() {
        let logits = Tensor(shape: [1, 1, 1, 2], scalars: [0.5, -2])
        let x = Tensor(shape: [1, 1, 1, 2], scalars: [1, 0])
        let bernoulli = Likelihood.bernoulli.negativeLogLikelihood(
            Variable(logits.reshaped(to: [1, 2])), LikelihoodTarget(values: x), logScale: nil)
        let first: Double = -log(1 / (1 + exp(-0.5)))
        let second: Double = -log(1 - 1 / (1 + exp(2.0)))
        let expected = first + second
        #expect(abs(Double(bernoulli.scalar) - expected) < 1e-5)

        let gaussian = Likelihood.gaussianFixed(standardDeviation: 0.5).negativeLogLikelihood(
            Variable(logits.reshaped(to: [1, 2])), LikelihoodTarget(values: x), logScale: nil)
        var gaussianExpected = 0.0
        for (target, mean) in [(1.0, 0.5), (0.0, -2.0)] {
            let residual: Double = (target - mean) / 0.5
            gaussianExpected += 0.5 * residual * residual + log(0.5) + 0.5 * log(2 * Double.pi)
        }
        #expect(abs(Double(gaussian.scalar) - gaussianExpected) < 1e-4)

        // 256-way: −log softmax(logits)[byte] per pixel and channel, summed; conv decoders emit
        // channels-last [B, H, W, C·256] (pixel-major, then channel, then the 256 levels), while
        // the target classes are [B, C, H, W]. Two channels, two pixels.
        let levels = Philox(seed: 1).normal([1, 1, 2, 2 * 256])
        let classes = [3, 250, 17, 0]  // (c0, p0), (c0, p1), (c1, p0), (c1, p1)
        let categorical = Likelihood.categorical256.negativeLogLikelihood(
            Variable(levels), LikelihoodTarget(values: Tensor.zeros([1, 2, 1, 2]), classes: classes),
            logScale: nil)
        var manual = 0.0
        for channel in 0..<2 {
            for pixel in 0..<2 {
                let row = (0..<256).map { Double(levels[flat: (pixel * 2 + channel) * 256 + $0]) }
                let peak = row.max() ?? 0
                let normalizer = peak + log(row.reduce(0) { $0 + exp($1 - peak) })
                manual += normalizer - row[classes[channel * 2 + pixel]]
            }
        }
        #expect(abs(Double(categorical.scalar) - manual) < 1e-3)
    }

    func tinyModel() -> VAE {
        VAE(
            imageShape: [1, 2, 3], latentCount: 3, likelihood: .bernoulli,
            architecture: .mlp(hidden: [5], activation: .tanh), seed: 11)
    }

    @Test func klMatchesClosedForm() {
        let model = tinyModel()
        let x = Philox(seed: 2).uniform([4, 1, 2, 3])
        let pass = ForwardPass(arena: model.arena, trainable: false)
        let terms = model.elbo(x, target: LikelihoodTarget(values: x), noise: Tensor.zeros([4, 3]), pass)
        let (mean, logVariance) = model.encode(Variable(x), pass)
        for example in 0..<4 {
            var expected: Float = 0
            for j in 0..<3 {
                let (m, v) = (mean.value[flat: example * 3 + j], logVariance.value[flat: example * 3 + j])
                expected += 0.5 * (m * m + exp(v) - 1 - v)
            }
            #expect(abs(terms.kl.value[flat: example] - expected) < 1e-5)
        }
    }

    @Test func importanceWeightedEstimateMatchesItsDefinition() {
        let model = tinyModel()
        let x = Philox(seed: 3).uniform([2, 1, 2, 3]).map01()
        let target = LikelihoodTarget(values: x)
        let samples = 5
        let estimate = model.importanceWeightedLogLikelihood(
            x, target: target, indices: [10, 11], samples: samples, chunk: 2,
            draws: Draws(seed: 4, .importance))
        // Brute force: the same draws, one sample at a time.
        let pass = ForwardPass(arena: model.arena, trainable: false)
        let (mean, logVariance) = model.encode(Variable(x), pass)
        for (row, example) in [10, 11].enumerated() {
            let generator = Draws(seed: 4, .importance).generator(example)
            var weights: [Double] = []
            for k in 0..<samples {
                let epsilon = generator.normal([3], first: UInt64(k * 3))
                var z: [Float] = []
                var logPrior = 0.0
                var logPosterior = 0.0
                for j in 0..<3 {
                    let m = mean.value[flat: row * 3 + j]
                    let v = logVariance.value[flat: row * 3 + j]
                    let value = m + exp(0.5 * v) * epsilon[flat: j]
                    z.append(value)
                    logPrior += -0.5 * Double(value * value) - 0.5 * log(2 * Double.pi)
                    logPosterior +=
                        -0.5 * Double(epsilon[flat: j] * epsilon[flat: j]) - 0.5 * Double(v) - 0.5
                        * log(2 * Double.pi)
                }
                let logits = model.decode(Variable(Tensor(shape: [1, 3], scalars: z)), pass)
                let nll = model.reconstructionLoss(
                    logits, LikelihoodTarget(values: x.slice(alongAxis: 0, start: row, length: 1)), pass)
                weights.append(-Double(nll.scalar) + logPrior - logPosterior)
            }
            let peak = weights.max() ?? 0
            let expected = peak + log(weights.reduce(0) { $0 + exp($1 - peak) } / Double(samples))
            #expect(abs(Double(estimate[flat: row]) - expected) < 1e-3, "example \(example)")
        }
        // Chunking does not change the estimate.
        let unchunked = model.importanceWeightedLogLikelihood(
            x, target: target, indices: [10, 11], samples: samples, chunk: samples,
            draws: Draws(seed: 4, .importance))
        for row in 0..<2 { #expect(abs(unchunked[flat: row] - estimate[flat: row]) < 1e-4) }
    }
}

extension Tensor {
    /// Rounds intensities to {0, 1}.
    fileprivate func map01() -> Tensor { Tensor(shape: shape, scalars: scalars.map { $0 > 0.5 ? 1 : 0 }) }
}
