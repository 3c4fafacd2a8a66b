// Representation metrics used by the consistency-regularization paper (Sinha & Dieng 2021,
// after Burda et al. 2016 and Dieng et al. 2019): active units, the mutual information I(x; z)
// under q, and the accuracy of a linear classifier on the posterior means. The supervised VAE's
// test accuracy and invariance rate are here too.

import Autodiff
import Datasets
import Foundation
import Models
import NN
import Runs
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

    /// ln n for n test examples: the aggregate posterior is a mixture of n components, so
    /// E log q(z) ≥ E log q(z|x) − ln n and the estimate cannot exceed ln n in expectation (its
    /// Monte Carlo noise can). A value near it says the estimator saturated, not how informative
    /// z is: compare models only well below it, or evaluate more examples.
    public var mutualInformationCeiling: Double { log(Double(max(testCount, 1))) }
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
