// Test-set evaluation: the single-sample negative ELBO and the IWAE log-likelihood, in nats and
// bits per dimension, over a fixed binarization and fixed draws (so numbers are comparable
// across epochs and runs).

import Autodiff
import Cluster
import Datasets
import Models
import NN
import TensorCore

/// Averages over a test set.
public struct EvaluationResult: Equatable, Sendable {
    /// Examples evaluated.
    public var count: Int
    /// Mean −ELBO (one sample), nats.
    public var negativeELBO: Double
    /// Mean −log p̂(x) by IWAE, nats (nil when not computed).
    public var negativeLogLikelihood: Double?
    /// Importance samples K.
    public var importanceSamples: Int
    /// Pixels per image, D.
    public var dimensions: Int

    /// −log p̂(x) / (D ln 2).
    public var bitsPerDimension: Double? {
        negativeLogLikelihood.map { $0 / (Double(dimensions) * 0.693_147_180_559_945_3) }
    }
}

/// Evaluates a model on examples of a set.
public struct Evaluator {
    /// The model.
    public var model: VAE
    /// The config (data handling, seed, β).
    public var config: RunConfig
    /// Examples per batch: as small as a training worker's share, so that the end-of-epoch
    /// evaluation never sets training's peak memory (250 did: 540 MiB for the DCGAN).
    public var batchSize = 64

    /// An evaluator.
    public init(model: VAE, config: RunConfig) {
        self.model = model
        self.config = config
    }

    /// Mean single-sample −ELBO (β = 1) over the first `count` examples (0 = all), each rank
    /// evaluating its share of them.
    public func negativeELBO(_ set: ImageDataset, count: Int, communicator: any Communicator) throws -> Double
    {
        let total = Evaluator.examples(count, of: set)
        let mine = communicator.share(of: total)
        var sums = [negativeELBOSum(set, range: mine)]
        try communicator.allReduceSum(&sums)
        return sums[0] / Double(max(total, 1))
    }

    /// Mean single-sample −ELBO (β = 1) over the first `count` examples (0 = all).
    public func negativeELBO(_ set: ImageDataset, count: Int) -> Double {
        let total = Evaluator.examples(count, of: set)
        return negativeELBOSum(set, range: 0..<total) / Double(max(total, 1))
    }

    /// Σ −ELBO over the examples in `range`, split over the in-process workers.
    func negativeELBOSum(_ set: ImageDataset, range: Range<Int>) -> Double {
        let workers = max(1, config.training.workers)
        var partial = [Double](repeating: 0, count: workers)
        let shared = UncheckedBox(self)
        partial.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            let output = SharedPointer(base)
            runWorkers(workers) { worker in
                let lower = range.lowerBound + worker * range.count / workers
                let upper = range.lowerBound + (worker + 1) * range.count / workers
                output.base[worker] = shared.value.negativeELBOSerial(set, range: lower..<upper)
            }
        }
        return partial.reduce(0, +)
    }

    private func negativeELBOSerial(_ set: ImageDataset, range: Range<Int>) -> Double {
        let total = range.upperBound
        var sum: Double = 0
        var start = range.lowerBound
        while start < total {
            let indices = Array(start..<min(start + batchSize, total))
            let (input, target) = config.batch(set, indices: indices, step: RunConfig.evaluationStep)
            let draws = { (purpose: RandomPurpose) in
                self.config.evaluationDraws(set, purpose).normal(indices, count: self.model.latentCount)
            }
            let noise = draws(.importance)
            let pass = ForwardPass(arena: model.arena, trainable: false)
            if case .hamiltonian = model.objective {
                // The HVAE's own bound (its flow after the encoder), with γ drawn like ε.
                var batch = ObjectiveBatch(input: input, target: target, noise: noise)
                batch.momentumNoise = draws(.momentum)
                sum += Double(model.objectiveTerms(batch, beta: 1, pass).loss.value.sum())
            } else {
                let terms = model.elbo(input, target: target, noise: noise, pass)
                sum += Double(terms.loss(beta: 1).value.sum())
            }
            start += indices.count
        }
        return sum
    }

    /// Per-example IWAE log-likelihoods of the examples `indices` (nats).
    public func logLikelihoods(_ set: ImageDataset, indices: [Int], samples: Int, chunk: Int) -> [Float] {
        var result: [Float] = []
        var start = 0
        // Examples per decoder call: keep B·chunk rows near 4096.
        let rows = max(1, 4096 / max(chunk, 1))
        while start < indices.count {
            let part = Array(indices[start..<min(start + rows, indices.count)])
            let (input, target) = config.batch(set, indices: part, step: RunConfig.evaluationStep)
            let keys = config.evaluationDraws(set)
            let values: Tensor
            if case .hamiltonian = model.objective {
                values = model.hamiltonianImportanceWeightedLogLikelihood(
                    input, target: target, indices: part, samples: samples, chunk: min(chunk, samples),
                    draws: keys)
            } else {
                values = model.importanceWeightedLogLikelihood(
                    input, target: target, indices: part, samples: samples, chunk: min(chunk, samples),
                    draws: keys)
            }
            result += values.scalars
            start += part.count
        }
        return result
    }

    /// The examples an evaluation of `count` examples of `set` covers (0 = all).
    public static func examples(_ count: Int, of set: ImageDataset) -> Int {
        count == 0 ? set.count : min(count, set.count)
    }

    /// −ELBO and IWAE −log p̂ over the first `count` examples (0 = all).
    public func evaluate(
        _ set: ImageDataset, count: Int, samples: Int, chunk: Int, progress: ((Int, Int) -> Void)? = nil
    )
        -> EvaluationResult
    {
        let total = Evaluator.examples(count, of: set)
        let elbo = negativeELBO(set, count: total)
        var sum: Double = 0
        var start = 0
        // Blocks of 50 examples per in-process worker, each worker on its own thread.
        let workers = max(1, config.training.workers)
        let shared = UncheckedBox(self)
        while start < total {
            let parts = (0..<workers).map { worker in
                Array(min(start + worker * 50, total)..<min(start + (worker + 1) * 50, total))
            }
            var partial = [Double](repeating: 0, count: workers)
            partial.withUnsafeMutableBufferPointer { buffer in
                guard let base = buffer.baseAddress else { return }
                let output = SharedPointer(base)
                runWorkers(workers) { worker in
                    let values = shared.value.logLikelihoods(
                        set, indices: parts[worker], samples: samples, chunk: chunk)
                    output.base[worker] = values.reduce(0) { $0 + Double($1) }
                }
            }
            sum -= partial.reduce(0, +)
            start = min(start + 50 * workers, total)
            progress?(start, total)
        }
        return EvaluationResult(
            count: total, negativeELBO: elbo, negativeLogLikelihood: sum / Double(max(total, 1)),
            importanceSamples: samples, dimensions: model.pixelCount)
    }
}
