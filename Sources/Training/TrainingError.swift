// Why training stopped before its last step.

/// Training could not go on.
public enum TrainingError: Error, CustomStringConvertible, Equatable {
    /// A loss or gradient became NaN or infinite at `step` (on some rank); the parameters are
    /// those after step − 1, and no checkpoint holds a non-finite value.
    case diverged(step: Int, lastCheckpoint: String?)

    /// A sentence naming the step, what went non-finite, and what is kept.
    public var description: String {
        switch self {
        case .diverged(let step, let checkpoint):
            let kept =
                checkpoint.map { "the last checkpoint, \($0), is finite" } ?? "no checkpoint was written"
            return "training diverged at step \(step + 1): the loss or the summed gradient is not finite "
                + "(NaN or infinite) on at least one rank; stopped before updating, \(kept). "
                + "Lower training.learning_rate or set training.gradient_clip."
        }
    }
}
