// Where a training step's time goes (`vaekit bench train --profile`): its phases, the forward
// pass layer by layer and the backward pass op by op.

import TensorCore

/// A training run's time by phase, by layer (forward) and by op (backward). Worker phases —
/// batch, forward, backward — are thread-seconds summed over the in-process workers; the others
/// run once per step on the calling thread.
public final class TrainingProfile: Sendable {
    /// The step's phases: `batch` (data, binarization, draws), `forward`, `backward` (per
    /// worker), `sum of worker gradients`, `all-reduce`, `finiteness check`, `clipping`,
    /// `optimizer`.
    public let phases = TimeProfile()
    /// Each layer's forward time.
    public let layers = TimeProfile()
    /// Each VJP's time in the backward pass, by op.
    public let operations = TimeProfile()

    /// An empty profile.
    public init() {}
}
