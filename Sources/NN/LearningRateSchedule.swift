// Learning-rate schedules as pure functions of the step, so that a resumed run gets the same
// rate as an uninterrupted one.

#if canImport(Glibc)
    import Glibc
#endif

/// The learning rate at each optimizer step.
public enum LearningRateSchedule: Sendable, Equatable {
    /// The base rate throughout.
    case constant
    /// `base · gamma^⌊step / stepSize⌋` (torch.optim.lr_scheduler.StepLR).
    case step(stepSize: Int, gamma: Float)
    /// `minimum + (base − minimum)(1 + cos(π·step/totalSteps))/2`, held at `minimum` after
    /// `totalSteps` (CosineAnnealingLR's first half-period).
    case cosine(totalSteps: Int, minimum: Float)

    /// The rate for optimizer step `step` (0-based).
    public func rate(base: Float, step: Int) -> Float {
        switch self {
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
