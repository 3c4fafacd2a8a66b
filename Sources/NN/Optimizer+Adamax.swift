// Adamax (Kingma & Ba 2015, §7.1): Adam with the infinity norm, as torch.optim.Adamax.

import TensorCore

#if canImport(Glibc)
    import Glibc
#endif

/// Adamax: `g ← g + λp`; `m ← β₁m + (1 − β₁)g`; `u ← max(β₂u, |g| + ε)`;
/// `p ← p − (lr / (1 − β₁ᵗ)) · m / u`.
public final class Adamax: MomentOptimizer, Optimizer {
    /// Adamax with PyTorch's defaults.
    public init(beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 0) {
        super.init(
            beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: weightDecay,
            slotNames: ("exp_avg", "exp_inf"))
    }

    /// One Adamax step.
    public func step(_ arena: ParameterArena, learningRate: Float) {
        let (m, u) = moments(for: arena)
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
