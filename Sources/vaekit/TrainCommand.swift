// `vaekit train`: one run from a config.

import ArgumentParser
import Cluster
import Runs
import TensorCore
import Training

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train", abstract: "Train a VAE from a YAML config into a run folder.",
        discussion: "Config keys (in the YAML file, or --set key=value):\n" + RunConfig.keyReference)

    @Option(help: "The run config (YAML).")
    var config: String

    @Option(
        name: .customLong("set"), help: "Override a config key, e.g. --set training.epochs=3 (repeatable).")
    var overrides: [String] = []

    @Option(name: .customLong("run"), help: "Run folder (default: runs/<name>).")
    var runFolder: String?

    @Flag(help: "Continue from the run folder's newest checkpoint.")
    var resume = false

    @Option(help: "Stop after this many steps in total (the run can be resumed).")
    var maxSteps: Int?

    @Flag(help: "No progress display.")
    var quiet = false

    func run() throws {
        try withRanks(blasThreads: .byCommand) { try train($0) }
    }

    private func train(_ communicator: any Communicator) throws {
        var settings = try RunConfig.load(config, overrides: overrides)
        let folder = RunDirectory(runFolder ?? "runs/\(settings.name)")
        if resume {
            // The run's own resolved config governs a resumed run; --set may still adjust it.
            settings = try folder.loadConfig(overrides: overrides)
        }
        let trainer = try Trainer(config: settings, run: folder, communicator: communicator)
        trainer.showsProgress = !quiet
        trainer.stopAfterStep = maxSteps
        if communicator.isCoordinator {
            print(
                "training \(settings.name): \(trainer.data.train.count) examples, \(trainer.model.arena.count) "
                    + "parameters, \(trainer.totalSteps) steps, \(communicator.size) rank(s) × "
                    + "\(settings.training.workers) worker(s), OpenBLAS \(blasCoreName), run folder \(folder.path)"
            )
        }
        if communicator.isCoordinator {
            try trainer.checkFolder(resume: resume)
            try folder.create()
            try folder.recordCommand(CommandLine.arguments, ranks: communicator.size)
        }
        let summary = try trainer.train(resume: resume)
        if communicator.isCoordinator {
            print(
                "done: \(summary.steps) steps, \(Int(summary.examplesPerSecond)) examples/s, "
                    + "\(peakMemoryText()) on rank 0, checkpoint \(summary.checkpoint)")
        }
    }
}
