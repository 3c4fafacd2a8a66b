// Seeded random affine augmentations (rotation, translation, scale) — the semantics-preserving
// transformations t(x) of consistency regularization (Sinha & Dieng 2021; their code uses
// torchvision's RandomAffine(15°, translate 0.05, scale 0.9–1.1)). Each example's parameters
// are drawn from Philox keyed by (seed, step, example), so augmentations do not depend on the
// batch or the rank. Pixels are resampled bilinearly from the intensities (zero outside).

import Foundation
import TensorCore

/// The ranges of a random affine transformation.
public struct AffineRanges: Equatable, Sendable {
    /// Rotation uniform in ±degrees.
    public var degrees: Float
    /// Translation uniform in ±fraction·side, per axis.
    public var translation: Float
    /// Scale uniform in [minimum, maximum].
    public var scale: ClosedRange<Float>

    /// Ranges.
    public init(degrees: Float, translation: Float, scale: ClosedRange<Float>) {
        self.degrees = degrees
        self.translation = translation
        self.scale = scale
    }
}

extension ImageDataset {
    /// Intensities of the examples `indices` after a random affine transformation each:
    /// `[B, C, H, W]` in [0, 1]. Output pixel p takes the input at c + R(−θ)(p − c − t)/s
    /// (c the image centre), interpolated bilinearly.
    public func affineAugmented(_ indices: [Int], ranges: AffineRanges, seed: UInt64, step: UInt64) -> Tensor
    {
        let source = intensities(indices)
        let (h, w, planes) = (height, width, channels)
        let center = (x: Float(w - 1) / 2, y: Float(h - 1) / 2)
        let keys = Draws(seed: seed, .augmentation, step: step, split: drawSplit)
        return Tensor(shape: source.shape) { out in
            source.withUnsafeBufferPointer { input in
                for (row, example) in indices.enumerated() {
                    let u = keys.generator(example).uniform([4]).scalars
                    let angle = (u[0] * 2 - 1) * ranges.degrees * Float.pi / 180
                    let shiftX = ((u[1] * 2 - 1) * ranges.translation * Float(w)).rounded()
                    let shiftY = ((u[2] * 2 - 1) * ranges.translation * Float(h)).rounded()
                    let scale =
                        ranges.scale.lowerBound + u[3] * (ranges.scale.upperBound - ranges.scale.lowerBound)
                    let (cosine, sine) = (cosf(angle), sinf(angle))
                    for plane in 0..<planes {
                        let base = (row * planes + plane) * h * w
                        for y in 0..<h {
                            for x in 0..<w {
                                // Inverse map: undo the translation, the rotation, then the scale.
                                let dx = Float(x) - center.x - shiftX
                                let dy = Float(y) - center.y - shiftY
                                let sx = (cosine * dx + sine * dy) / scale + center.x
                                let sy = (-sine * dx + cosine * dy) / scale + center.y
                                out[base + y * w + x] = bilinear(
                                    input, base: base, x: sx, y: sy, width: w, height: h)
                            }
                        }
                    }
                }
            }
        }
    }

    /// Binary draws x ~ Bernoulli(p) of the augmented intensities `p` of the examples `indices`
    /// of this set (keyed like `binarized`, with their own purpose).
    public func binarizeAugmented(_ intensities: Tensor, indices: [Int], seed: UInt64, step: UInt64) -> Tensor
    {
        let size = intensities.count / max(indices.count, 1)
        let keys = Draws(seed: seed, .augmentedBinarize, step: step, split: drawSplit)
        return Tensor(shape: intensities.shape) { out in
            intensities.withUnsafeBufferPointer { input in
                for (row, example) in indices.enumerated() {
                    keys.generator(example).uniform([size]).withUnsafeBufferPointer { u in
                        for index in 0..<size {
                            out[row * size + index] = u[index] < input[row * size + index] ? 1 : 0
                        }
                    }
                }
            }
        }
    }
}

/// Bilinear interpolation of one plane at (x, y); zero outside the image.
private func bilinear(
    _ input: UnsafeBufferPointer<Float>, base: Int, x: Float, y: Float, width: Int, height: Int
) -> Float {
    let x0 = Int(x.rounded(.down))
    let y0 = Int(y.rounded(.down))
    let fx = x - Float(x0)
    let fy = y - Float(y0)
    func pixel(_ px: Int, _ py: Int) -> Float {
        guard px >= 0, px < width, py >= 0, py < height else { return 0 }
        return input[base + py * width + px]
    }
    let top = pixel(x0, y0) * (1 - fx) + pixel(x0 + 1, y0) * fx
    let bottom = pixel(x0, y0 + 1) * (1 - fx) + pixel(x0 + 1, y0 + 1) * fx
    return top * (1 - fy) + bottom * fy
}
