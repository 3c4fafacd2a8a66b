// The mechanism Jacobian-L1 relies on (Rhodes & Lee 2021): an L1 penalty on the decoder's
// Jacobian makes it sparse, so each latent moves few pixels, close together. Measured on the
// decoder Jacobian at the posterior means of a fixed set of test images (the same images for
// every model compared), by forward differences as the training penalty.

import Datasets
import Foundation
import Models
import Runs
import TensorCore

/// The decoder Jacobian's size, sparsity and per-latent pixel locality.
public struct JacobianStructure: Codable, Sendable, Equatable {
    /// Mean over images of Σ|J| (the quantity the penalty weighs, here at μ instead of a draw).
    public var l1: Double
    /// Mean over images of the fraction of J's Z·D entries that hold 90 % of Σ|J| (lower is sparser).
    public var massFraction90: Double
    /// Mean over images of the per-latent pixel spread, √(weighted variance of the pixel
    /// coordinates under |J_j|) in units of the image side, averaged over latents weighted by
    /// Σ|J_j| (lower is more local; a column spread evenly over the image has 0.41).
    public var pixelSpread: Double
    /// Images measured.
    public var count: Int
}

extension JacobianStructure {
    /// The structure of one Jacobian block `jacobian: [Z, B, D]` of images `[C, height, width]`
    /// (D = C·height·width), averaged over its B images.
    init(jacobian: Tensor, height: Int, width: Int) {
        let (latent, rows, pixels) = (jacobian.shape[0], jacobian.shape[1], jacobian.shape[2])
        // Pixel p = channel·H·W + row·W + column; coordinates in units of the image side.
        let rowOf = (0..<pixels).map { Double(($0 / width) % height) / Double(height) }
        let columnOf = (0..<pixels).map { Double($0 % width) / Double(width) }
        let values = jacobian.scalars
        var (l1, mass90, spread) = (0.0, 0.0, 0.0)
        for b in 0..<rows {
            var magnitudes: [Double] = []
            magnitudes.reserveCapacity(latent * pixels)
            var weightedSpread = 0.0
            var total = 0.0
            for j in 0..<latent {
                let base = (j * rows + b) * pixels
                var (sum, sumRow, sumColumn) = (0.0, 0.0, 0.0)
                for p in 0..<pixels {
                    let w = Double(abs(values[base + p]))
                    magnitudes.append(w)
                    sum += w
                    sumRow += w * rowOf[p]
                    sumColumn += w * columnOf[p]
                }
                guard sum > 0 else { continue }
                let (meanRow, meanColumn) = (sumRow / sum, sumColumn / sum)
                var variance = 0.0
                for p in 0..<pixels {
                    let w = Double(abs(values[base + p]))
                    let (dr, dc) = (rowOf[p] - meanRow, columnOf[p] - meanColumn)
                    variance += w * (dr * dr + dc * dc)
                }
                weightedSpread += sum * (variance / sum).squareRoot()
                total += sum
            }
            l1 += total
            spread += total > 0 ? weightedSpread / total : 0
            magnitudes.sort(by: >)
            var (covered, entries) = (0.0, 0)
            while entries < magnitudes.count, covered < 0.9 * total {
                covered += magnitudes[entries]
                entries += 1
            }
            mass90 += Double(entries) / Double(max(magnitudes.count, 1))
        }
        let n = Double(max(rows, 1))
        self.init(l1: l1 / n, massFraction90: mass90 / n, pixelSpread: spread / n, count: rows)
    }

    /// Averages blocks weighted by their image counts.
    init(combining parts: [JacobianStructure]) {
        let n = Double(max(parts.map(\.count).reduce(0, +), 1))
        func mean(_ value: (JacobianStructure) -> Double) -> Double {
            parts.map { value($0) * Double($0.count) }.reduce(0, +) / n
        }
        self.init(
            l1: mean(\.l1), massFraction90: mean(\.massFraction90), pixelSpread: mean(\.pixelSpread),
            count: parts.map(\.count).reduce(0, +))
    }
}

extension Evaluator {
    /// The structure of the decoder Jacobian at μ of the first `count` test images, step `h`.
    public func jacobianStructure(_ test: ImageDataset, count: Int, differenceStep h: Float = 1e-3)
        -> JacobianStructure
    {
        let indices = Array(0..<min(count, test.count))
        let (mean, _) = posteriors(test, indices: indices)
        var parts: [JacobianStructure] = []
        var start = 0
        while start < indices.count {
            let rows = min(50, indices.count - start)
            let jacobian = model.decoderJacobian(
                at: mean.slice(alongAxis: 0, start: start, length: rows), differenceStep: h)
            parts.append(
                JacobianStructure(jacobian: jacobian, height: model.imageShape[1], width: model.imageShape[2])
            )
            start += rows
        }
        return JacobianStructure(combining: parts)
    }
}
