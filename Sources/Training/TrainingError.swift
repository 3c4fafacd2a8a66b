// Why training stopped before its last step.

/// Training could not go on.
public enum TrainingError: Error, CustomStringConvertible, Equatable {
    /// A loss or gradient became NaN or infinite at `step` (on some rank); the parameters are
    /// those after step − 1, and no checkpoint holds a non-finite value.
    case diverged(step: Int, lastCheckpoint: String?)
    /// `--max-steps` asks to stop at or before the step the run already reached.
    case alreadyPast(maxSteps: Int, step: Int)

    /// A sentence naming the step and what to do.
    public var description: String {
        switch self {
        case .diverged(let step, let checkpoint):
            let kept =
                checkpoint.map { "the last checkpoint, \($0), is finite" } ?? "no checkpoint was written"
            return "training diverged at step \(step + 1): the loss or the summed gradient is not finite "
                + "(NaN or infinite) on at least one rank; stopped before updating, \(kept). "
                + "Lower training.learning_rate or set training.gradient_clip."
        case .alreadyPast(let maxSteps, let step):
            return
                "--max-steps \(maxSteps): the run is already at step \(step), so there is nothing to train; "
                + "give a larger value to continue it"
        }
    }
}
