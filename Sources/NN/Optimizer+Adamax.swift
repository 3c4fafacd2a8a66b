// Adamax (Kingma & Ba 2015, §7.1): Adam with the infinity norm, as torch.optim.Adamax.

import TensorCore

#if canImport(Glibc)
    import Glibc
#endif

/// Adamax: `g ← g + λp`; `m ← β₁m + (1 − β₁)g`; `u ← max(β₂u, |g| + ε)`;
/// `p ← p − (lr / (1 − β₁ᵗ)) · m / u`.
public final class Adamax: Optimizer {
    /// β₁, the decay of the first moment.
    public let beta1: Float
    /// β₂, the decay of the second moment (Adam) or of the infinity norm (Adamax).
    public let beta2: Float
    /// ε inside the max, as PyTorch places it.
    public let epsilon: Float
    /// L2 weight decay λ.
    public let weightDecay: Float
    /// Steps taken (t).
    public var stepCount = 0
    private var moments = MomentSlots("exp_avg", "exp_inf")

    /// Adamax with PyTorch's defaults.
    public init(beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 0) {
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
    }

    /// `exp_avg` and `exp_inf`, PyTorch's names.
    public var slots: [String: TensorStorage] { moments.dictionary }

    /// `exp_avg`, `exp_inf`.
    public var slotNames: [String] { moments.names }

    /// Replaces the state (checkpoint restore).
    public func restore(stepCount: Int, slots: [String: TensorStorage]) {
        self.stepCount = stepCount
        moments.restore(slots)
    }

    /// One Adamax step.
    public func step(_ arena: ParameterArena, learningRate: Float) {
        let (m, u) = moments.pointers(for: arena)
        stepCount += 1
        let stepSize = learningRate / (1 - powf(beta1, Float(stepCount)))
        let p = arena.values.pointer
        let g = arena.gradients.pointer
        for index in 0..<arena.count {
            let gradient = g[index] + weightDecay * p[index]
            m[index] = beta1 * m[index] + (1 - beta1) * gradient
            u[index] = max(beta2 * u[index], Swift.abs(gradient) + epsilon)
            p[index] -= stepSize * m[index] / u[index]
        }
    }
}
