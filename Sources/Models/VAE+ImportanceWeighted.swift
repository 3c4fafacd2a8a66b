// The importance-weighted bound (Burda et al. 2016) as a log-likelihood estimate:
//     log p̂(x) = logsumexp_k log w_k − log K,
//     log w_k = log p(x|z_k) + log N(z_k; 0, I) − log N(z_k; μ, σ²),  z_k = μ + σ ⊙ ε_k.
// The 2π terms of the prior and of q cancel. Samples are processed in chunks to bound memory.

import Autodiff
import NN
import TensorCore

extension VAE {
    /// log p̂(x) per example (nats), from `samples` importance samples: `[B]`.
    ///
    /// - Parameters:
    ///   - x: inputs `[B, C, H, W]`.
    ///   - target: likelihood targets of the same examples.
    ///   - indices: the examples' dataset indices (they key the draws).
    ///   - samples: K.
    ///   - chunk: samples decoded at once per example (memory ∝ B·chunk·D).
    ///   - draws: the examples' streams; ε_k of example b is draws k·Z ..< (k+1)·Z of its stream.
    public func importanceWeightedLogLikelihood(
        _ x: Tensor, target: LikelihoodTarget, indices: [Int], samples: Int, chunk: Int, draws keys: Draws,
        pass existing: ForwardPass? = nil
    ) -> Tensor {
        let batch = x.shape[0]
        let latent = latentCount
        // A given pass may carry per-example encoder copies (Likelihood Regret).
        let pass = existing ?? ForwardPass(arena: arena, trainable: false)
        let (mean, logVariance) = encode(Variable(x), pass)
        let standardDeviation = (logVariance.value * 0.5).exp()
        // Σ_j ½ log σ_j² per example: the −log N(z; μ, σ²) normalizer.
        let logDeterminant = (logVariance.value * 0.5).sum(alongAxes: [1])
        var logWeights = Tensor.zeros([batch, samples])
        let generators = indices.map { keys.generator($0) }
        var start = 0
        while start < samples {
            let count = min(chunk, samples - start)
            // ε: [B, count, Z], example-major, element (k, j) of example b = draw k·Z + j.
            let noise = Tensor(shape: [batch, count, latent]) { out in
                for (row, generator) in generators.enumerated() {
                    let draws = generator.normal([count * latent], first: UInt64(start * latent))
                    draws.withUnsafeBufferPointer { source in
                        for index in 0..<(count * latent) {
                            out[row * count * latent + index] = source[index]
                        }
                    }
                }
            }
            let z =
                mean.value.reshaped(to: [batch, 1, latent]) + standardDeviation.reshaped(to: [
                    batch, 1, latent,
                ]) * noise
            let output = decode(Variable(z.reshaped(to: [batch * count, latent])), pass)
            let repeated = LikelihoodTarget(
                values: target.values.reshaped(to: [batch, 1, pixelCount])
                    .broadcast(to: [batch, count, pixelCount])
                    .reshaped(to: [batch * count] + imageShape),
                classes: target.classes.isEmpty
                    ? [] : repeatClasses(target.classes, batch: batch, count: count))
            let logLikelihood = -reconstructionLoss(output, repeated, pass).value  // [B·count]
            // log N(z; 0, I) − log N(z; μ, σ²) = −½‖z‖² + ½‖ε‖² + Σ ½ log σ².
            let prior = z.squared().sum(alongAxes: [2]) * -0.5
            let posterior =
                noise.squared().sum(alongAxes: [2]) * -0.5 - logDeterminant.reshaped(to: [batch, 1])
            let weights = logLikelihood.reshaped(to: [batch, count]) + prior - posterior
            logWeights.store(weights, batch: batch, count: count, at: start)
            start += count
        }
        return logWeights.logSumExp(alongAxis: 1) + (-Float.logOf(Float(samples)))
    }

    private func repeatClasses(_ classes: [Int], batch: Int, count: Int) -> [Int] {
        var repeated: [Int] = []
        repeated.reserveCapacity(classes.count * count)
        for b in 0..<batch {
            let row = classes[(b * pixelCount)..<((b + 1) * pixelCount)]
            for _ in 0..<count { repeated.append(contentsOf: row) }
        }
        return repeated
    }
}

extension Tensor {
    /// Writes a chunk's log-weights `[B·count]` (example-major) into columns
    /// `start..<start + count` of this `[B, samples]` table.
    mutating func store(_ weights: Tensor, batch: Int, count: Int, at start: Int) {
        let samples = shape[1]
        withUnsafeMutableBufferPointer { out in
            weights.withUnsafeBufferPointer { source in
                for b in 0..<batch {
                    for k in 0..<count { out[b * samples + start + k] = source[b * count + k] }
                }
            }
        }
    }
}

extension Float {
    /// Natural logarithm through the tensor kernel (keeps Glibc out of this file).
    static func logOf(_ x: Float) -> Float { Tensor(x).log().scalar }
}
