// `vaekit ood`: Likelihood Regret and baselines on an in-distribution set and OOD sets.

import ArgumentParser
import Cluster
import OOD
import Runs
import TensorCore

struct OODCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ood",
        abstract: "Likelihood Regret, IWAE NLL, input complexity and likelihood ratio; metrics in ood.json.")

    @OptionGroup var folder: RunOptions

    @Option(
        name: .customLong("in"), help: "In-distribution set: test, the run's test set (data.test)."
    )
    var inDistribution = "test"

    @Option(
        help: ArgumentHelp(
            "Comma-separated OOD sets: noise, constant, vflip, invert, digits (generated MNIST-like "
                + "digits), heldout-classes (test images of data.exclude_classes), or HDF5/IDX files."))
    var ood = "noise,constant,vflip,invert,digits"

    @Option(help: "Images per set (the first ones).")
    var count = 200

    @OptionGroup var regret: RegretOptions

    @Option(help: "A run trained with data.perturbation for the likelihood-ratio baseline.")
    var background: String?

    @Option(help: "Checkpoint to score (default: the run's newest).")
    var checkpoint: String?

    @Option(
        help: ArgumentHelp(
            "Flag each image as OOD or not: thresholds keep this share of in-distribution "
                + "calibration images (test images after the scored ones) below them, e.g. 0.95.",
            valueName: "rate"))
    var flagAtTpr: Double?

    @Option(help: "Calibration images for --flag-at-tpr.")
    var calibration = 200

    @Option(help: "Bootstrap resamples of the metrics' 95 % intervals.")
    var resamples = 1000

    func run() throws {
        try withRanks(blasThreads: .one, record: folder.directory) { communicator in
            guard count >= 1 else { throw ValidationError("--count must be ≥ 1") }
            guard resamples >= 1, calibration >= 1 else {
                throw ValidationError("--resamples and --calibration must be ≥ 1")
            }
            if let rate = flagAtTpr, !(rate > 0 && rate < 1) {
                throw ValidationError("--flag-at-tpr must be in (0, 1), e.g. 0.95; got \(rate)")
            }
            let runner = OODRunner(run: folder.directory, communicator: communicator)
            runner.count = count
            runner.settings = try regret.settings(ranks: communicator.size)
            runner.checkpoint = checkpoint
            runner.flagAtTruePositiveRate = flagAtTpr
            runner.calibrationCount = calibration
            runner.resamples = resamples
            runner.background = background.map { RunDirectory($0) }
            runner.log = { communicator.isCoordinator ? print($0) : () }
            let sets = ood.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
            guard !sets.isEmpty else { throw ValidationError("--ood needs at least one set") }
            try runner.score(inDistribution: inDistribution, outOfDistribution: sets)
        }
    }
}
