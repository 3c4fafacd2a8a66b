// `vaekit bench train`: training throughput of a config, timed over steps after a warm-up,
// without writing checkpoints, metrics or images.

import ArgumentParser
import Cluster
import Foundation
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
        let profile = profile ? TrainingProfile() : nil
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
            printProfile(profile, stepSeconds: seconds / Double(steps), workers: settings.training.workers)
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

    /// The profile as milliseconds per step: worker phases, layers and ops per worker (their
    /// thread-seconds over the workers), the others on the calling thread, and what no phase holds.
    private func printProfile(_ profile: TrainingProfile, stepSeconds: Double, workers: Int) {
        let workerPhases: Set = ["batch", "forward", "backward"]
        let perStep = { (seconds: Double, name: String) -> Double in
            seconds / Double(steps) / (workerPhases.contains(name) ? Double(workers) : 1)
        }
        func line(_ name: String, _ seconds: Double) -> String {
            name.padding(toLength: 44, withPad: " ", startingAt: 0)
                + String(format: "%9.3f %7.1f %%", seconds * 1e3, 100 * seconds / stepSeconds)
        }
        print(
            "profile of \(steps) steps, \(workers) worker(s): \(String(format: "%.3f", stepSeconds * 1e3)) ms per step"
        )
        print("phase (ms per step, share of the step; worker phases per worker)")
        var accounted = 0.0
        for row in profile.phases.rows {
            let value = perStep(row.seconds, row.name)
            accounted += value
            print("  " + line(row.name, value))
        }
        print("  " + line("other (loss terms, scheduling, waiting)", stepSeconds - accounted))
        print("forward by layer (per worker)")
        for row in profile.layers.rows { print("  " + line(row.name, perStep(row.seconds, "forward"))) }
        print("backward by op (per worker, largest first)")
        for row in profile.operations.rows.sorted(by: { $0.seconds > $1.seconds }) {
            print("  " + line(row.name, perStep(row.seconds, "backward")))
        }
    }
}
