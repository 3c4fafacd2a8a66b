// A quiet OOD runner on a tiny run, with the small settings tests use.

import Cluster
import OOD

extension TinyRun {
    /// An OOD runner on this run's folder: `count` images per set, K = `samples` (one chunk),
    /// `steps` refit steps, `resamples` bootstrap resamples, no console output.
    public func oodRunner(count: Int, samples: Int, steps: Int, resamples: Int) -> OODRunner {
        let runner = OODRunner(run: directory(), communicator: LocalCommunicator())
        runner.count = count
        runner.settings.importanceSamples = samples
        runner.settings.chunk = samples
        runner.settings.steps = steps
        runner.resamples = resamples
        runner.log = { _ in }
        runner.showsProgress = false
        return runner
    }
}
