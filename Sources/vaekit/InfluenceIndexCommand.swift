// `vaekit influence index`: per-example gradients of every training example at the run's
// checkpoints, each rank writing the shard of its examples.

import ArgumentParser
import Cluster
import Influence
import Runs
import TensorCore

struct IndexCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index",
        abstract: "Per-example gradients of every training example at the run's checkpoints.")

    @OptionGroup var folder: RunOptions

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

    @Flag(help: "Continue the newest unfinished build with the same settings from its next checkpoint.")
    var resume = false

    @Option(help: "Storage of projected and dense vectors: float32, or float16 (half the size).")
    var storage = "float32"

    @Option(help: "none, or adam: ⟨g, P g'⟩ with the checkpoint's Adam preconditioner P = 1/(√v̂ + ε).")
    var preconditioner = "none"

    @OptionGroup var memory: MemoryOptions

    func run() throws {
        try withRanks(blasThreads: .onePerRankWhenShared, record: folder.directory) { communicator in
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
            guard let storage = GradientStorage(rawValue: storage) else {
                throw ValidationError("--storage \(self.storage): expected float32 or float16")
            }
            settings.storage = storage
            guard let preconditioner = InfluencePreconditioner(rawValue: preconditioner) else {
                throw ValidationError("--preconditioner \(self.preconditioner): expected none or adam")
            }
            settings.preconditioner = preconditioner
            let builder = InfluenceIndexBuilder(
                run: folder.directory, settings: settings, communicator: communicator)
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
            builder.resume = resume
            builder.maxMemoryBytes = try memory.bytes()
            builder.log = { communicator.isCoordinator ? print($0) : () }
            let manifest = try builder.build()
            if communicator.isCoordinator {
                print(
                    "index: \(manifest.mode), \(manifest.checkpoints.count) checkpoint(s), \(manifest.trainCount) "
                        + "examples on \(communicator.size) rank(s); manifest \(IndexManifest.path(folder.directory))"
                )
            }
        }
    }
}
