// `vaekit influence index|query`: the sharded VAE-TracIn index of a run and queries against it.

import ArgumentParser
import Cluster
import Influence
import Runs
import TensorCore

struct InfluenceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "influence", abstract: "VAE-TracIn: per-example gradient index and influence queries.",
        subcommands: [IndexCommand.self, QueryCommand.self])
}

struct IndexCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index",
        abstract: "Per-example gradients of every training example at the run's checkpoints.")

    @Option(name: .customLong("run"), help: "The run folder.")
    var runFolder: String

    @Option(help: "factors (exact), projected (Kronecker random projection) or dense.")
    var mode = "projected"

    @Option(help: "Comma-separated checkpoint steps (default: all of the run's checkpoints).")
    var checkpoints: String?

    @Option(help: "Reparameterization draws averaged in each example's loss.")
    var samples = 16

    @Option(help: "Sketch size D per layer in projected mode (D numbers per layer and example).")
    var projectionDimension = 256

    @Option(help: "Seed of the projections.")
    var projectionSeed: UInt64 = 0x7AC1

    @Option(help: "Examples per batched backward pass.")
    var batchSize = 64

    func run() throws {
        let communicator = try makeCommunicator()
        // One BLAS thread per rank when several ranks share the machine's cores.
        if communicator.size > 1 { setBLASThreadCount(1) }
        try runOnEveryRank(communicator) {
            guard let gradientMode = GradientMode(rawValue: mode) else {
                throw ValidationError("--mode \(mode): expected factors, projected or dense")
            }
            guard samples >= 1, projectionDimension >= 1, batchSize >= 1 else {
                throw ValidationError("--samples, --projection-dimension and --batch-size must be ≥ 1")
            }
            var settings = InfluenceSettings()
            settings.mode = gradientMode
            settings.samples = samples
            settings.projectionDimension = projectionDimension
            settings.projectionSeed = projectionSeed
            settings.batchSize = batchSize
            let builder = InfluenceIndexBuilder(
                run: RunDirectory(runFolder), settings: settings, communicator: communicator)
            if let checkpoints {
                let steps = checkpoints.split(separator: ",").map {
                    Int($0.trimmingCharacters(in: .whitespaces))
                }
                guard steps.allSatisfy({ $0 != nil }) else {
                    throw ValidationError(
                        "--checkpoints \(checkpoints): expected comma-separated step numbers")
                }
                builder.checkpointSteps = steps.compactMap { $0 }
            }
            builder.log = { communicator.isCoordinator ? print($0) : () }
            let manifest = try builder.build()
            if communicator.isCoordinator {
                print(
                    "index: \(manifest.mode), \(manifest.checkpoints.count) checkpoint(s), \(manifest.trainCount) "
                        + "examples on \(communicator.size) rank(s); manifest \(IndexManifest.path(RunDirectory(runFolder)))"
                )
                try RunDirectory(runFolder).recordCommand(CommandLine.arguments, ranks: communicator.size)
            }
        }
    }
}

struct QueryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query", abstract: "Top proponents and opponents of test examples; self-influence.")

    @Option(name: .customLong("run"), help: "The run folder (with a gradient index).")
    var runFolder: String

    @Option(help: "Examples to explain: test:0-99, train:5,17 (ranges inclusive).")
    var test: String?

    @Option(help: "Proponents and opponents kept per example.")
    var top = 10

    @Flag(name: .customLong("self"), help: "Also compute the self-influence of every training example.")
    var selfInfluence = false

    func run() throws {
        let communicator = try makeCommunicator()
        // One BLAS thread per rank when several ranks share the machine's cores.
        if communicator.size > 1 { setBLASThreadCount(1) }
        try runOnEveryRank(communicator) {
            guard test != nil || selfInfluence else {
                throw ValidationError("give --test SPEC, --self, or both")
            }
            guard top >= 1 else { throw ValidationError("--top must be ≥ 1") }
            let query = InfluenceQuery(run: RunDirectory(runFolder), communicator: communicator)
            query.log = { communicator.isCoordinator ? print($0) : () }
            if let test { try query.query(try ExampleSpec(test), top: top) }
            if selfInfluence { try query.selfInfluence() }
            if communicator.isCoordinator {
                try RunDirectory(runFolder).recordCommand(CommandLine.arguments, ranks: communicator.size)
            }
        }
    }
}
