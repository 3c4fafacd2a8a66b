// The deterministic shuffling sampler: one seeded permutation per epoch, cut into global
// batches; a rank takes a contiguous part of each global batch.

import TensorCore

/// Epoch permutations keyed by (seed, epoch), cut into batches of `batchSize`.
///
/// The last incomplete batch of an epoch is dropped, so every epoch has
/// `stepsPerEpoch = count / batchSize` steps and every rank takes the same number of steps.
public struct ShuffleSampler: Sendable {
    /// Examples in the dataset.
    public var count: Int
    /// Global batch size B.
    public var batchSize: Int
    /// The seed of the permutations.
    public var seed: UInt64

    /// A sampler; `batchSize` must be in 1...count.
    public init(count: Int, batchSize: Int, seed: UInt64) {
        precondition(batchSize >= 1 && batchSize <= count, "batch size \(batchSize) for \(count) examples")
        self.count = count
        self.batchSize = batchSize
        self.seed = seed
    }

    /// Steps in each epoch.
    public var stepsPerEpoch: Int { count / batchSize }

    /// The permutation of epoch `epoch` (Fisher–Yates over Philox draws).
    public func permutation(epoch: Int) -> [Int] {
        var order = Array(0..<count)
        let draws = Draws(seed: seed, .shuffle, step: UInt64(epoch), split: .train).generator(0).uniform([
            max(count - 1, 1)
        ])
        draws.withUnsafeBufferPointer { u in
            for position in stride(from: count - 1, to: 0, by: -1) {
                let other = min(Int(u[count - 1 - position] * Float(position + 1)), position)
                order.swapAt(position, other)
            }
        }
        return order
    }

    /// The example indices of global batch `step` (0-based within the epoch) of a permutation.
    public func batch(_ permutation: [Int], step: Int) -> [Int] {
        Array(permutation[(step * batchSize)..<((step + 1) * batchSize)])
    }
}
