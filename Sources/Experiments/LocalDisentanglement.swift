// Local disentanglement metrics of Rhodes & Lee 2021 (official `local_mig.py`,
// `local_modularity.py`, on disentanglement_lib's utilities): for each of `clusters` random
// factor centroids c, sample factor vectors uniformly within ±⌊n·locality⌋ of c (clipped to the
// factor's range), render them, encode to the posterior mean μ, discretize each latent into 5
// equal-width bins over its observed range, and compute the mutual information m[latent, factor]
// (nats). Local MIG = mean over factors of (largest − second largest m)/H(factor) (factors with
// zero entropy skipped); local modularity (Ridgeway & Zemel 2018) = mean over latents of
// 1 − (Σ_f m² − max m²)/(max m² · (F − 1)) (0 when max m = 0). Both averaged over the clusters.

import Autodiff
import Datasets
import Foundation
import Models
import NN
import TensorCore

/// Local MIG and local modularity of one model at one locality.
public struct LocalDisentanglementScore: Codable, Sendable {
    /// The locality (fraction of each factor's range).
    public var locality: Double
    /// Mean local MIG over clusters.
    public var mig: Double
    /// Mean local modularity over clusters.
    public var modularity: Double
}

/// Computes local disentanglement metrics of a VAE trained on three-dots.
public struct LocalDisentanglement {
    /// The model.
    public var model: VAE
    /// The renderer (its side must match the model's images).
    public var dots: ThreeDots
    /// Centroids (the paper: 20).
    public var clusters = 20
    /// Factor vectors per centroid (the paper: 10,000).
    public var samples = 10_000
    /// Histogram bins per latent (the paper: 5).
    public var bins = 5
    /// The seed of the centroids and samples when none is chosen: models scored with it (by
    /// `vaekit disentanglement` or a study) are scored on the same factor vectors.
    public static let defaultSeed: UInt64 = 7

    /// A metric computer.
    public init(model: VAE, dots: ThreeDots) {
        self.model = model
        self.dots = dots
    }

    /// Scores at `locality`, with centroids and samples keyed by `seed` (the same for every model).
    public func score(locality: Double, seed: UInt64) -> LocalDisentanglementScore {
        let n = dots.factorValues
        let radius = Int((Double(n) * locality).rounded(.down))
        var migs: [Double] = []
        var modularities: [Double] = []
        for cluster in 0..<clusters {
            let centroid = dots.randomFactors(
                count: 1,
                generator: Draws(seed: seed, .disentanglement, split: DrawSplit("centroids")).generator(
                    cluster))
            let draws = Draws(seed: seed, .disentanglement, split: DrawSplit("neighbourhoods")).generator(
                cluster
            )
            .uniform([samples * 6]).scalars
            var factors = [Int](repeating: 0, count: samples * 6)
            for s in 0..<samples {
                for j in 0..<6 {
                    let offset = min(2 * radius, Int(draws[s * 6 + j] * Float(2 * radius + 1)))
                    factors[s * 6 + j] = min(n - 1, max(0, centroid[j] - radius + offset))
                }
            }
            let codes = means(dots.images(factors))  // [samples, Z]
            let information = mutualInformation(codes: codes, factors: factors)
            migs.append(Self.mig(information.matrix, entropies: information.entropies))
            modularities.append(Self.modularity(information.matrix))
        }
        let finite = migs.filter { !$0.isNaN }
        return LocalDisentanglementScore(
            locality: locality, mig: finite.reduce(0, +) / Double(max(finite.count, 1)),
            modularity: modularities.reduce(0, +) / Double(max(modularities.count, 1)))
    }

    /// Posterior means of intensities `[B, 1, H, W]`, in batches: `[B, Z]`.
    func means(_ images: Tensor) -> Tensor {
        let count = images.shape[0]
        var rows: [Float] = []
        rows.reserveCapacity(count * model.latentCount)
        var start = 0
        while start < count {
            let length = min(1000, count - start)
            let pass = ForwardPass(arena: model.arena, trainable: false)
            rows +=
                model.encode(Variable(images.slice(alongAxis: 0, start: start, length: length)), pass).mean
                .value
                .scalars
            start += length
        }
        return Tensor(shape: [count, model.latentCount], scalars: rows)
    }

    /// m[latent][factor] (nats) from 5-bin discretized codes, and each factor's entropy.
    func mutualInformation(codes: Tensor, factors: [Int]) -> (matrix: [[Double]], entropies: [Double]) {
        let (count, latent) = (codes.shape[0], codes.shape[1])
        let values = codes.scalars
        let binned = (0..<latent).map { i -> [Int] in
            let column = (0..<count).map { values[$0 * latent + i] }
            let low = column.min() ?? 0
            let high = column.max() ?? 0
            let width = (high - low) / Float(bins)
            return column.map { width > 0 ? min(bins - 1, Int((($0 - low) / width).rounded(.down))) : 0 }
        }
        let factorColumns = (0..<6).map { j in (0..<count).map { factors[$0 * 6 + j] } }
        let matrix = binned.map { codeColumn in
            factorColumns.map { Self.discreteMutualInformation(codeColumn, $0) }
        }
        return (matrix, factorColumns.map { Self.discreteMutualInformation($0, $0) })
    }

    /// I(a; b) in nats of two discrete sequences (I(a; a) = H(a)).
    static func discreteMutualInformation(_ a: [Int], _ b: [Int]) -> Double {
        var joint: [Int: [Int: Int]] = [:]
        var left: [Int: Int] = [:]
        var right: [Int: Int] = [:]
        for (x, y) in zip(a, b) {
            joint[x, default: [:]][y, default: 0] += 1
            left[x, default: 0] += 1
            right[y, default: 0] += 1
        }
        let total = Double(a.count)
        var information = 0.0
        for (x, row) in joint {
            for (y, count) in row {
                let p = Double(count) / total
                information += p * log(p * total * total / (Double(left[x] ?? 1) * Double(right[y] ?? 1)))
            }
        }
        return max(0, information)
    }

    /// Mean over factors with positive entropy of (top − second)/H.
    static func mig(_ matrix: [[Double]], entropies: [Double]) -> Double {
        var gaps: [Double] = []
        for (j, entropy) in entropies.enumerated() where entropy > 0 {
            let column = matrix.map { $0[j] }.sorted(by: >)
            gaps.append((column[0] - (column.count > 1 ? column[1] : 0)) / entropy)
        }
        return gaps.isEmpty ? .nan : gaps.reduce(0, +) / Double(gaps.count)
    }

    /// Ridgeway & Zemel's modularity, averaged over latents.
    static func modularity(_ matrix: [[Double]]) -> Double {
        let scores = matrix.map { row -> Double in
            let squares = row.map { $0 * $0 }
            let peak = squares.max() ?? 0
            guard peak > 0, squares.count > 1 else { return 0 }
            return 1 - (squares.reduce(0, +) - peak) / (peak * Double(squares.count - 1))
        }
        return scores.reduce(0, +) / Double(max(scores.count, 1))
    }
}
