// `vaekit bench train`: training throughput of a config, timed over steps after a warm-up,
// without writing checkpoints, metrics or images.

import ArgumentParser
import Cluster
import Foundation
import NN
import Runs
import Training

struct TrainBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train", abstract: "Training examples per second of a config (no files written).")

    @Option(help: "The run config (YAML).")
    var config: String

    @Option(name: .customLong("set"), help: "Override a config key (repeatable).")
    var overrides: [String] = []

    @Option(help: "Timed steps.")
    var steps = 200

    @Option(help: "Untimed warm-up steps.")
    var warmup = 20

    @Flag(help: "Print where the timed steps' time goes (phases, layers, backward ops) before the JSON line.")
    var profile = false

    func run() throws {
        try withRanks(blasThreads: .byCommand) { try measure($0) }
    }

    private func measure(_ communicator: any Communicator) throws {
        let settings = try RunConfig.load(config, overrides: overrides)
        let folder = NSTemporaryDirectory() + "vaekit-bench-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let trainer = try Trainer(config: settings, run: RunDirectory(folder), communicator: communicator)
        trainer.showsProgress = false
        trainer.writesFiles = false
        trainer.log = { _ in }
        trainer.stopAfterStep = warmup + steps
        let clock = ContinuousClock()
        var started = clock.now
        var finished = clock.now
        let warmup = warmup
        let profile = profile ? StepProfile() : nil
        trainer.onStep = { [unowned trainer] step in
            if step == warmup {
                started = clock.now
                trainer.profile = profile
            }
            finished = clock.now
        }
        try trainer.train(resume: false)
        let elapsed = finished - started
        let seconds = elapsed / .seconds(1)
        let rate = Double(steps * settings.training.batchSize) / max(seconds, 1e-9)
        if let profile, communicator.isCoordinator {
            let workers = settings.training.workers
            print(
                "profile of \(steps) steps, \(workers) worker(s): "
                    + String(format: "%.3f ms per step", seconds / Double(steps) * 1e3))
            profile.print(
                unit: "step", units: Double(steps), unitSeconds: seconds / Double(steps),
                perWorker: ["batch", "forward", "backward"], workers: workers,
                other: "other (loss terms, scheduling, waiting)")
        }
        if communicator.isCoordinator {
            print(
                "{\"config\": \"\(config)\", \"examples_per_second\": \(Int(rate)), \"steps\": \(steps), "
                    + "\"batch\": \(settings.training.batchSize), \"ranks\": \(communicator.size), "
                    + "\"workers\": \(settings.training.workers), \"blas_threads\": \(settings.training.blasThreads), "
                    + "\"peak_resident_mib\": \(peakResidentMiB() ?? -1)}"
            )
        }
    }
}
