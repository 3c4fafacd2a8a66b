// Representation metrics used by the consistency-regularization paper (Sinha & Dieng 2021,
// after Burda et al. 2016 and Dieng et al. 2019): active units, the mutual information I(x; z)
// under q, and the accuracy of a linear classifier on the posterior means. The supervised VAE's
// test accuracy and invariance rate are here too.

import Autodiff
import Datasets
import Foundation
import Models
import NN
import TensorCore

/// Representation quality of a trained VAE.
public struct RepresentationMetrics: Codable, Sendable {
    /// #{u : Var_x E_q[z_u] > 0.01} over the test examples.
    public var activeUnits: Int
    /// I_q(x; z) in nats: E_x E_q log q(z|x) − E_q log q(z), q(z) the mixture of the examples'
    /// posteriors (Monte Carlo, one z per example).
    public var mutualInformation: Double
    /// Test accuracy of a softmax-linear classifier trained on the training examples' means.
    public var linearProbeAccuracy: Double
    /// Test examples used.
    public var testCount: Int
    /// Training examples the probe was fitted on.
    public var probeTrainCount: Int
}

extension Evaluator {
    /// Posterior means and log-variances of the examples `indices` (inputs as in evaluation).
    public func posteriors(_ set: ImageDataset, indices: [Int]) -> (mean: Tensor, logVariance: Tensor) {
        var means: [Float] = []
        var logVariances: [Float] = []
        var start = 0
        while start < indices.count {
            let part = Array(indices[start..<min(start + 500, indices.count)])
            let (input, _) = config.batch(set, indices: part, step: RunConfig.evaluationStep)
            let pass = ForwardPass(arena: model.arena, trainable: false)
            let (mean, logVariance) = model.encode(Variable(input), pass)
            means += mean.value.scalars
            logVariances += logVariance.value.scalars
            start += part.count
        }
        let shape = [indices.count, model.latentCount]
        return (Tensor(shape: shape, scalars: means), Tensor(shape: shape, scalars: logVariances))
    }

    /// Active units, I(x; z) and the linear-probe accuracy on the first `testCount` test and
    /// `trainCount` training examples.
    public func representation(train: ImageDataset, test: ImageDataset, trainCount: Int, testCount: Int)
        -> RepresentationMetrics
    {
        let latent = model.latentCount
        let testIndices = Array(0..<min(testCount, test.count))
        let (mean, logVariance) = posteriors(test, indices: testIndices)
        let n = testIndices.count
        let mu = mean.scalars
        let logVar = logVariance.scalars
        // Active units: the variance over examples of each coordinate of the mean.
        var active = 0
        for u in 0..<latent {
            let column = (0..<n).map { Double(mu[$0 * latent + u]) }
            let average = column.reduce(0, +) / Double(n)
            let variance = column.map { ($0 - average) * ($0 - average) }.reduce(0, +) / Double(max(n - 1, 1))
            if variance > 0.01 { active += 1 }
        }
        // I(x; z) = E[log q(z|x)] − E[log q(z)], q(z) ≈ (1/N) Σ_j q(z | x_j).
        let noise = Draws(seed: config.seed, .representation, split: test.drawSplit).normal(
            testIndices, count: latent
        )
        .scalars
        let halfLog2Pi = 0.5 * log(2 * Double.pi)
        var negativeEntropy = 0.0
        var logAggregate = 0.0
        for i in 0..<n {
            var z = [Double](repeating: 0, count: latent)
            for u in 0..<latent {
                let index = i * latent + u
                z[u] = Double(mu[index]) + exp(0.5 * Double(logVar[index])) * Double(noise[index])
                negativeEntropy += -halfLog2Pi - 0.5 * (1 + Double(logVar[index]))
            }
            var terms = [Double](repeating: 0, count: n)
            for j in 0..<n {
                var value = 0.0
                for u in 0..<latent {
                    let index = j * latent + u
                    let difference = z[u] - Double(mu[index])
                    value +=
                        -halfLog2Pi - 0.5 * Double(logVar[index]) - 0.5 * difference * difference
                        / exp(Double(logVar[index]))
                }
                terms[j] = value
            }
            let peak = terms.max() ?? 0
            logAggregate += peak + log(terms.map { exp($0 - peak) }.reduce(0, +)) - log(Double(n))
        }
        let information = negativeEntropy / Double(n) - logAggregate / Double(n)
        let trainIndices = Array(0..<min(trainCount, train.count))
        let probe = linearProbe(
            trainFeatures: posteriors(train, indices: trainIndices).mean,
            trainLabels: trainIndices.map { Int(train.labels[$0]) }, testFeatures: mean,
            testLabels: testIndices.map { Int(test.labels[$0]) })
        return RepresentationMetrics(
            activeUnits: active, mutualInformation: information, linearProbeAccuracy: probe, testCount: n,
            probeTrainCount: trainIndices.count)
    }

    /// Test accuracy of softmax regression on standardized features (Adam, full batch).
    func linearProbe(trainFeatures: Tensor, trainLabels: [Int], testFeatures: Tensor, testLabels: [Int])
        -> Double
    {
        let features = trainFeatures.shape[1]
        let classes = (trainLabels + testLabels).max().map { $0 + 1 } ?? 1
        guard classes > 1, trainLabels.allSatisfy({ $0 >= 0 }), testLabels.allSatisfy({ $0 >= 0 }) else {
            return .nan
        }
        let rows = Float(max(trainFeatures.shape[0], 1))
        let center = trainFeatures.sum(alongAxes: [0]) * (1 / rows)
        let scale = ((trainFeatures - center).squared().sum(alongAxes: [0]) * (1 / rows) + 1e-8).sqrt()
        let x = (trainFeatures - center) / scale
        let xTest = (testFeatures - center) / scale
        var builder = ParameterArenaBuilder(seed: 3)
        let layer = Linear("probe", inputCount: features, outputCount: classes, in: &builder)
        let arena = builder.build()
        let adam = Adam()
        for _ in 0..<300 {
            let pass = ForwardPass(arena: arena)
            let loss = crossEntropy(logits: layer(Variable(x), pass), labels: trainLabels, alongAxis: 1)
                .mean()
            pass.backward(loss)
            adam.step(arena, learningRate: 0.05)
        }
        let logits = layer(Variable(xTest), ForwardPass(arena: arena, trainable: false)).value
        var correct = 0
        for row in 0..<testLabels.count {
            var best = 0
            for c in 1..<classes where logits[flat: row * classes + c] > logits[flat: row * classes + best] {
                best = c
            }
            if best == testLabels[row] { correct += 1 }
        }
        return Double(correct) / Double(max(testLabels.count, 1))
    }
}

/// The supervised VAE's test accuracy and how often its label survives resampling z_n.
public struct InvarianceMetrics: Codable, Sendable {
    /// Accuracy of the classifier on μ_s over the test examples.
    public var testAccuracy: Double
    /// Fraction of (image, draw) pairs where the label predicted from the re-encoded μ_s of
    /// decoder([μ_s; z_n]), z_n ~ N(0, I), equals the label predicted from μ_s.
    public var labelPreservation: Double
    /// Test examples.
    public var testCount: Int
    /// z_n draws per example.
    public var draws: Int
}

extension Evaluator {
    /// Predicted classes of supervised latents `[B, d_s]`.
    func predictions(_ supervised: Tensor) -> [Int] {
        let pass = ForwardPass(arena: model.arena, trainable: false)
        let logits = model.classify(Variable(supervised), pass).value
        let (rows, classes) = (logits.shape[0], logits.shape[1])
        return (0..<rows).map { row in
            var best = 0
            for c in 1..<classes where logits[flat: row * classes + c] > logits[flat: row * classes + best] {
                best = c
            }
            return best
        }
    }

    /// Invariant transformations: for each test example, keep z_s = μ_s, draw z_n, decode.
    /// Returns the metrics and, for the first `gridCount` examples, the images `[1 + draws]`
    /// per example (the original's reconstruction first) as decoder means `[n, C, H, W]`.
    public func invariances(_ test: ImageDataset, count: Int, draws: Int, gridCount: Int) -> (
        InvarianceMetrics, Tensor
    ) {
        guard let supervised = model.supervisedLatentCount else {
            preconditionFailure("not a supervised VAE")
        }
        let latent = model.latentCount
        let indices = Array(0..<min(count, test.count))
        let (mean, _) = posteriors(test, indices: indices)
        let labels = predictions(mean.slice(alongAxis: 1, start: 0, length: supervised))
        let correct = zip(labels, indices).filter { $0.0 == Int(test.labels[$0.1]) }.count
        var preserved = 0
        var grid: [Float] = []
        let grids = ImageGrids(model: model, config: config)
        for draw in 0...draws {
            // Draw 0 keeps μ_n (the reconstruction); later draws replace z_n by prior samples.
            let nuisance = Draws(seed: config.seed, .invariances, step: UInt64(draw), split: test.drawSplit)
                .normal(indices, count: latent)
            let z = Tensor(shape: [indices.count, latent]) { out in
                for row in 0..<indices.count {
                    for u in 0..<latent {
                        out[row * latent + u] =
                            u < supervised || draw == 0
                            ? mean[flat: row * latent + u] : nuisance[flat: row * latent + u]
                    }
                }
            }
            let pass = ForwardPass(arena: model.arena, trainable: false)
            let images = grids.meanImages(model.decode(Variable(z), pass))
            grid += images.slice(alongAxis: 0, start: 0, length: min(gridCount, indices.count)).scalars
            guard draw > 0 else { continue }
            let encoded = model.encode(Variable(images), ForwardPass(arena: model.arena, trainable: false))
                .mean.value
            let again = predictions(encoded.slice(alongAxis: 1, start: 0, length: supervised))
            preserved += zip(again, labels).filter { $0.0 == $0.1 }.count
        }
        let shown = min(gridCount, indices.count)
        let metrics = InvarianceMetrics(
            testAccuracy: Double(correct) / Double(max(indices.count, 1)),
            labelPreservation: Double(preserved) / Double(max(indices.count * draws, 1)),
            testCount: indices.count,
            draws: draws)
        // Reorder draw-major rows into example-major rows: example e, draws 0…draws.
        let size = model.pixelCount
        var ordered = [Float](repeating: 0, count: grid.count)
        for draw in 0...draws {
            for example in 0..<shown {
                let source = (draw * shown + example) * size
                let target = (example * (draws + 1) + draw) * size
                for p in 0..<size { ordered[target + p] = grid[source + p] }
            }
        }
        return (metrics, Tensor(shape: [shown * (draws + 1)] + model.imageShape, scalars: ordered))
    }
}
