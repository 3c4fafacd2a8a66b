// The manifest of a gradient index (gradients/manifest.json): the settings, the checkpoints with
// their weights η_c, and the shards of each; checked on load before any shard is read.

import Cluster
import Datasets
import Foundation
import Models
import Runs
import Storage
import TensorCore

/// The manifest of a gradient index.
public struct IndexManifest: Codable, Equatable, Sendable, VersionedJSON {
    /// The format this build writes and reads; another is refused by name.
    public static let currentFormat = "vaekit-gradient-index-4"
    /// One shard file.
    public struct Shard: Codable, Equatable, Sendable {
        /// Path relative to the run folder.
        public var file: String
        /// The rank that wrote it.
        public var rank: Int
        /// First training example (inclusive) and end (exclusive).
        public var first: Int
        /// End of the range (exclusive).
        public var end: Int
    }

    /// One checkpoint.
    public struct Checkpoint: Codable, Equatable, Sendable {
        /// Optimizer steps of the checkpoint.
        public var step: Int
        /// TracIn weight η_c = learning rate × batch × steps since the previous *indexed*
        /// checkpoint (or the start) / N: each indexed checkpoint stands for the training since the
        /// one before it in the index, so skipped checkpoints' intervals are not dropped.
        public var eta: Double
        /// Its shards, in rank order.
        public var shards: [Shard]
    }

    /// `vaekit-gradient-index-4`.
    public var format: String
    /// factors, projected or dense.
    public var mode: String
    /// Draws per example's loss.
    public var samples: Int
    /// Projection seed and size (projected mode).
    public var projectionSeed: UInt64
    /// k per side.
    public var projectionDimension: Int
    /// Training examples N.
    public var trainCount: Int
    /// Ranks that built the index.
    public var worldSize: Int
    /// Checkpoints, ascending.
    public var checkpoints: [Checkpoint]
    /// Code version.
    public var codeVersion: String
    /// Storage of projected and dense vectors (`float32` when absent).
    public var storage: String?
    /// The preconditioner (`none` when absent).
    public var preconditioner: String?

    /// The settings the index was built with.
    public var settings: InfluenceSettings {
        var settings = InfluenceSettings()
        settings.mode = GradientMode(rawValue: mode) ?? .projected  // `validate` refuses other modes
        settings.storage = GradientStorage(rawValue: storage ?? "float32") ?? .float32
        settings.preconditioner = InfluencePreconditioner(rawValue: preconditioner ?? "none") ?? .none
        settings.samples = samples
        settings.projectionSeed = projectionSeed
        settings.projectionDimension = projectionDimension
        return settings
    }

    /// The manifest's path in a run.
    public static func path(_ run: RunDirectory) -> String { "\(run.path)/gradients/manifest.json" }

    /// Reads and checks a run's manifest.
    public static func load(_ run: RunDirectory) throws -> IndexManifest {
        let path = IndexManifest.path(run)
        guard FileManager.default.fileExists(atPath: path) else {
            throw StorageError.cannotOpen(
                path: path, reason: "no gradient index (run `vaekit influence index --run \(run.path)` first)"
            )
        }
        let manifest = try AtomicFile.readJSON(IndexManifest.self, from: path)
        try manifest.validate(path: path)
        return manifest
    }

    /// Checks what a manifest claims before any shard is read: a known mode, positive sizes,
    /// ascending checkpoints, and shards that partition 0..<N in order, with the same ranges at
    /// every checkpoint (a rank then owns the same examples at every checkpoint), under
    /// `gradients/`.
    public func validate(path: String) throws {
        let fail = { (reason: String) in StorageError.invalid(path: path, reason: reason) }
        guard GradientMode(rawValue: mode) != nil else {
            throw fail(
                "mode '\(mode)' is not one of \(GradientMode.allCases.map(\.rawValue).joined(separator: ", "))"
            )
        }
        guard InfluencePreconditioner(rawValue: preconditioner ?? "none") != nil else {
            throw fail("preconditioner '\(preconditioner ?? "")' is not none or adam")
        }
        guard GradientStorage(rawValue: storage ?? "float32") != nil else {
            throw fail("storage '\(storage ?? "")' is not float32 or float16")
        }
        guard samples >= 1, projectionDimension >= 1, trainCount >= 0, worldSize >= 1 else {
            throw fail("samples, projectionDimension and worldSize must be ≥ 1 and trainCount ≥ 0")
        }
        guard !checkpoints.isEmpty else { throw fail("no checkpoints") }
        let steps = checkpoints.map(\.step)
        guard steps == steps.sorted(), Set(steps).count == steps.count else {
            throw fail("checkpoint steps \(steps) are not strictly ascending")
        }
        let ranges = checkpoints[0].shards.map { $0.first..<max($0.first, $0.end) }
        for checkpoint in checkpoints {
            guard checkpoint.eta.isFinite, checkpoint.eta >= 0 else {
                throw fail("checkpoint \(checkpoint.step): η = \(checkpoint.eta) is not a finite weight ≥ 0")
            }
            var next = 0
            for shard in checkpoint.shards {
                guard shard.first == next, shard.end >= shard.first else {
                    throw fail(
                        "checkpoint \(checkpoint.step): shard \(shard.file) covers \(shard.first)..<\(shard.end) "
                            + "where \(next)..< was expected (shards must partition the training set in order)"
                    )
                }
                guard shard.file.hasPrefix("gradients/"), !shard.file.split(separator: "/").contains("..")
                else {
                    throw fail("shard path \(shard.file) is not inside gradients/")
                }
                next = shard.end
            }
            guard next == trainCount else {
                throw fail(
                    "checkpoint \(checkpoint.step): shards cover 0..<\(next), the index has \(trainCount) examples"
                )
            }
            guard checkpoint.shards.map({ $0.first..<$0.end }) == ranges else {
                throw fail(
                    "checkpoint \(checkpoint.step): shard ranges differ from checkpoint \(checkpoints[0].step)'s"
                )
            }
        }
    }

    /// What a shard of `checkpoint` must hold.
    func expectation(_ checkpoint: Checkpoint, _ shard: Shard) -> ShardExpectation {
        ShardExpectation(
            settings: settings, checkpointStep: checkpoint.step, eta: checkpoint.eta,
            examples: shard.first..<shard.end)
    }
}
