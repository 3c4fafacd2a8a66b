// Learning-rate schedules as pure functions of the step, so that a resumed run gets the same
// rate as an uninterrupted one. The schedule owns its base rate: config → schedule → optimizer
// → checkpoint, in that direction only.

#if canImport(Glibc)
    import Glibc
#endif

/// The learning rate at each optimizer step.
public struct LearningRateSchedule: Sendable, Equatable {
    /// How the rate falls from the base rate.
    public enum Decay: Sendable, Equatable {
        /// The base rate throughout.
        case constant
        /// `base · gamma^⌊step / stepSize⌋` (torch.optim.lr_scheduler.StepLR).
        case step(stepSize: Int, gamma: Float)
        /// `minimum + (base − minimum)(1 + cos(π·step/totalSteps))/2`, held at `minimum` after
        /// `totalSteps` (CosineAnnealingLR's first half-period).
        case cosine(totalSteps: Int, minimum: Float)
    }

    /// The rate at step 0.
    public var base: Float
    /// The decay from it.
    public var decay: Decay

    /// A schedule starting at `base`.
    public init(base: Float, decay: Decay = .constant) {
        self.base = base
        self.decay = decay
    }

    /// The rate for optimizer step `step` (0-based).
    public func rate(step: Int) -> Float {
        switch decay {
        case .constant:
            return base
        case .step(let stepSize, let gamma):
            return base * powf(gamma, Float(step / max(stepSize, 1)))
        case .cosine(let totalSteps, let minimum):
            let progress = min(Double(step) / Double(max(totalSteps, 1)), 1)
            return minimum + (base - minimum) * Float((1 + cos(Double.pi * progress)) / 2)
        }
    }
}
