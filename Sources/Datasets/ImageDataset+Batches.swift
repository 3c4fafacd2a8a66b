// Turning examples into input tensors: intensities in [0, 1], or dynamically binarized with
// draws keyed by (seed, step, split, example index), never by the position in the batch or the rank.

import TensorCore

/// How pixel bytes become model inputs and likelihood targets.
public enum Binarization: String, Sendable, CaseIterable {
    /// x = byte / 255.
    case none
    /// x ~ Bernoulli(byte / 255), drawn anew for every step (Salakhutdinov & Murray 2008).
    case dynamic
}

extension ImageDataset {
    /// Intensities of the examples `indices` as `[B, C, H, W]`, in [0, 1].
    public func intensities(_ indices: [Int]) -> Tensor {
        let size = imageSize
        return Tensor(shape: [indices.count, channels, height, width]) { out in
            images.withUnsafeBufferPointer { pixels in
                for (row, example) in indices.enumerated() {
                    precondition(example >= 0 && example < count, "example \(example) outside 0..<\(count)")
                    let source = example * size
                    let target = row * size
                    for index in 0..<size { out[target + index] = Float(pixels[source + index]) * (1 / 255) }
                }
            }
        }
    }

    /// Binary images x ~ Bernoulli(byte/255) for the examples `indices`: `[B, C, H, W]`.
    ///
    /// Example e's thresholds at `step` are the draws `(seed, binarize, step, drawSplit, e)`.
    public func binarized(_ indices: [Int], seed: UInt64, step: UInt64) -> Tensor {
        let size = imageSize
        let keys = Draws(seed: seed, .binarize, step: step, split: drawSplit)
        return Tensor(shape: [indices.count, channels, height, width]) { out in
            images.withUnsafeBufferPointer { pixels in
                for (row, example) in indices.enumerated() {
                    keys.generator(example).uniform([size]).withUnsafeBufferPointer { u in
                        let source = example * size
                        let target = row * size
                        for index in 0..<size {
                            out[target + index] = u[index] * 255 < Float(pixels[source + index]) ? 1 : 0
                        }
                    }
                }
            }
        }
    }

    /// Pixel bytes of the examples `indices` as class labels `[B·C·H·W]` (256-way likelihoods).
    public func pixelClasses(_ indices: [Int]) -> [Int] {
        var classes: [Int] = []
        classes.reserveCapacity(indices.count * imageSize)
        for example in indices {
            let start = example * imageSize
            for index in start..<(start + imageSize) { classes.append(Int(images[index])) }
        }
        return classes
    }

    /// Model inputs for a batch under `binarization`.
    public func batch(_ indices: [Int], binarization: Binarization, seed: UInt64, step: UInt64) -> Tensor {
        switch binarization {
        case .none: return intensities(indices)
        case .dynamic: return binarized(indices, seed: seed, step: step)
        }
    }
}
