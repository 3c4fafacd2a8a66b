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

    @Option(name: .customLong("run"), help: "The trained run.")
    var runFolder: String

    @Option(
        name: .customLong("in"), help: "In-distribution set: test (the run's test set) or fashion-mnist:test."
    )
    var inDistribution = "fashion-mnist:test"

    @Option(help: "Comma-separated OOD sets: noise, constant, vflip, invert, or HDF5/IDX files.")
    var ood = "noise,constant,vflip,invert"

    @Option(help: "Images per set (the first ones).")
    var count = 200

    @OptionGroup var regret: RegretOptions

    @Option(help: "A run trained with data.perturbation for the likelihood-ratio baseline.")
    var background: String?

    @Option(help: "Checkpoint to score (default: the run's newest).")
    var checkpoint: String?

    func run() throws {
        let communicator = try makeCommunicator()
        setBLASThreadCount(1)
        try runOnEveryRank(communicator) {
            guard count >= 1 else { throw ValidationError("--count must be ≥ 1") }
            let runner = OODRunner(run: RunDirectory(runFolder), communicator: communicator)
            runner.count = count
            runner.settings = try regret.settings(ranks: communicator.size)
            runner.checkpoint = checkpoint
            runner.background = background.map { RunDirectory($0) }
            runner.log = { communicator.isCoordinator ? print($0) : () }
            let sets = ood.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
            guard !sets.isEmpty else { throw ValidationError("--ood needs at least one set") }
            try runner.score(inDistribution: inDistribution, outOfDistribution: sets)
            if communicator.isCoordinator {
                try RunDirectory(runFolder).recordCommand(CommandLine.arguments, ranks: communicator.size)
            }
        }
    }
}

/// The Likelihood Regret options of `vaekit ood` and `vaekit bench regret`.
struct RegretOptions: ParsableArguments {
    @Option(help: "Importance samples K of both IWAE estimates.")
    var iwaeSamples = 1000

    @Option(help: "Refit steps of Likelihood Regret.")
    var steps = 100

    @Option(help: "Test images refitted together on a rank (independent encoder copies).")
    var batchSize = 32

    @Option(help: "Worker threads per rank, 1 BLAS thread each (default: 2 on one rank, 1 under mpirun).")
    var workers: Int?

    /// The settings, checked: K, refit steps, batch, and workers (default 2 on one rank, 1 under
    /// mpirun, where the ranks already fill the cores).
    func settings(ranks: Int) throws -> RegretSettings {
        guard iwaeSamples >= 1, steps >= 0, batchSize >= 1, (workers ?? 1) >= 1 else {
            throw ValidationError("--iwae-samples, --batch-size and --workers must be ≥ 1, --steps ≥ 0")
        }
        var settings = RegretSettings()
        settings.importanceSamples = iwaeSamples
        settings.chunk = min(100, iwaeSamples)
        settings.steps = steps
        settings.batchSize = batchSize
        settings.workers = workers ?? (ranks > 1 ? 1 : 2)
        return settings
    }
}
