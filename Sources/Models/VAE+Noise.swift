// Reparameterization noise keyed by example, so that an example's draws never depend on the
// batch it was in or the rank that computed it.

import TensorCore

extension VAE {
    /// ε `[B, Z]` for the examples `indices` at training step `step`: row b is
    /// `Philox(seed, stream(purpose, step, indices[b])).normal([Z])`.
    public func noise(seed: UInt64, purpose: UInt64, step: UInt64, indices: [Int]) -> Tensor {
        let latent = latentCount
        return Tensor(shape: [indices.count, latent]) { out in
            for (row, example) in indices.enumerated() {
                let draws = Philox(seed: seed, stream: Philox.stream(purpose, step, UInt64(example))).normal([
                    latent
                ])
                draws.withUnsafeBufferPointer { source in
                    for index in 0..<latent { out[row * latent + index] = source[index] }
                }
            }
        }
    }
}
