// Where a step's time goes — a training step (`vaekit bench train --profile`) or a Likelihood
// Regret refit step (`vaekit bench regret --profile`): its phases, the forward pass layer by layer
// and the backward pass op by op.

import TensorCore

/// Time by phase, by layer (forward) and by op (backward), summed over every step and every
/// thread that reports to it.
public final class StepProfile: Sendable {
    /// The phases, named by whoever times them (a training step: `batch`, `forward`, `backward`
    /// per worker, then `sum of worker gradients`, `all-reduce`, `finiteness check`, `clipping`,
    /// `optimizer`; a refit: `IWAE estimates`, `copies`, `forward`, `backward`, `Adam`).
    public let phases = TimeProfile()
    /// Each layer's forward time (nil for phases only).
    public let layers: TimeProfile?
    /// Each VJP's time in the backward pass, by op (nil for phases only).
    public let operations: TimeProfile?

    /// An empty profile; `detailed: false` times the phases only (no clock read per layer or op).
    public init(detailed: Bool = true) {
        layers = detailed ? TimeProfile() : nil
        operations = detailed ? TimeProfile() : nil
    }
}
