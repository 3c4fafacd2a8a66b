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

    @Option(help: "Importance samples of the IWAE estimates.")
    var iwaeSamples = 1000

    @Option(help: "Refit steps of Likelihood Regret.")
    var steps = 100

    @Option(help: "Test images refitted together (independent encoder copies).")
    var batchSize = 32

    @Option(help: "A run trained with data.perturbation for the likelihood-ratio baseline.")
    var background: String?

    @Option(help: "Checkpoint to score (default: the run's newest).")
    var checkpoint: String?

    @Option(help: "Worker threads per rank, 1 BLAS thread each (default: 2 on one rank, 1 under mpirun).")
    var workers: Int?

    func run() throws {
        let communicator = try makeCommunicator()
        setBLASThreadCount(1)
        try runOnEveryRank(communicator) {
            guard count >= 1, iwaeSamples >= 1, steps >= 0, batchSize >= 1 else {
                throw ValidationError("--count, --iwae-samples and --batch-size must be ≥ 1, --steps ≥ 0")
            }
            let runner = OODRunner(run: RunDirectory(runFolder), communicator: communicator)
            runner.count = count
            runner.settings.importanceSamples = iwaeSamples
            runner.settings.chunk = min(100, iwaeSamples)
            runner.settings.steps = steps
            runner.settings.batchSize = batchSize
            runner.settings.workers = max(1, workers ?? (communicator.size > 1 ? 1 : 2))
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
