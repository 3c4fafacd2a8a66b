// `vaekit influence index`: every rank computes the per-example gradients of ITS contiguous
// share of the training set at each chosen checkpoint and writes its own shard; rank 0 writes
// gradients/manifest.json listing checkpoints (with their weights η_c) and shards.

import Cluster
import Datasets
import Foundation
import Models
import Runs
import Storage
import TensorCore

/// The manifest of a gradient index.
public struct IndexManifest: Codable, Equatable, Sendable {
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

    /// `vaekit-gradient-index-3`.
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

    /// The settings the index was built with.
    public var settings: InfluenceSettings {
        var settings = InfluenceSettings()
        settings.mode = GradientMode(rawValue: mode) ?? .projected
        settings.samples = samples
        settings.projectionSeed = projectionSeed
        settings.projectionDimension = projectionDimension
        return settings
    }

    static let format = "vaekit-gradient-index-3"

    /// The manifest's path in a run.
    public static func path(_ run: RunDirectory) -> String { "\(run.path)/gradients/manifest.json" }

    /// Reads and checks a run's manifest.
    public static func load(_ run: RunDirectory) throws -> IndexManifest {
        let path = IndexManifest.path(run)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw StorageError.cannotOpen(
                path: path, reason: "no gradient index (run `vaekit influence index --run \(run.path)` first)"
            )
        }
        let manifest: IndexManifest
        do {
            manifest = try JSONDecoder().decode(IndexManifest.self, from: data)
        } catch {
            throw StorageError.invalid(path: path, reason: "not a gradient index manifest (\(error))")
        }
        guard manifest.format == format else {
            throw StorageError.formatMismatch(path: path, expected: format, found: manifest.format)
        }
        return manifest
    }
}

/// Builds a run's gradient index.
public final class InfluenceIndexBuilder {
    let run: RunDirectory
    let settings: InfluenceSettings
    let communicator: any Communicator
    /// Checkpoint steps to index (nil: all of the run's checkpoints).
    public var checkpointSteps: [Int]?
    /// Messages from rank 0.
    public var log: (String) -> Void = { print($0) }

    /// A builder for `run`.
    public init(run: RunDirectory, settings: InfluenceSettings, communicator: any Communicator) {
        self.run = run
        self.settings = settings
        self.communicator = communicator
    }

    /// Computes and writes every shard and the manifest; returns the manifest.
    @discardableResult
    public func build() throws -> IndexManifest {
        let loaded = try LoadedRun(run, checkpoint: .none, communicator: communicator)
        let (config, data, model) = (loaded.config, loaded.data, try loaded.model)
        try GradientComputer.checkSupported(model.objective)
        let steps = checkpointSteps ?? run.checkpointSteps()
        for step in steps { _ = try run.existingCheckpointPath(step: step) }
        if Set(steps).count != steps.count {
            throw ConfigError.badValue(
                path: "--checkpoints", key: "steps", value: steps.map(String.init).joined(separator: ","),
                expected: "each checkpoint step once")
        }
        guard !steps.isEmpty else {
            throw StorageError.cannotOpen(
                path: run.checkpointsPath, reason: "the run has no checkpoints to index")
        }
        let count = data.train.count
        let mine = loaded.trainShare
        var entries: [IndexManifest.Checkpoint] = []
        let clock = ContinuousClock()
        var previousStep = 0
        for step in steps.sorted() {
            let started = clock.now
            guard let info = try loaded.load(.step(step)) else { continue }
            let eta = Double(info.learningRate) * Double(info.batchSize) * Double(step - previousStep) / Double(count)
            previousStep = step
            let computer = GradientComputer(
                model: model, config: config, settings: settings, checkpointStep: step)
            let gradients = computer.gradients(data.train, indices: Array(mine))
            let folder = "gradients/ckpt-\(step)"
            try makeDirectories("\(run.path)/\(folder)")
            try GradientShard.write(
                gradients, to: "\(run.path)/\(folder)/rank-\(communicator.rank).h5", settings: settings,
                checkpointStep: step, eta: eta, config: config.yaml)
            try communicator.barrier()
            let seconds = (clock.now - started) / .seconds(1)
            let shards = (0..<communicator.size).map { rank in
                IndexManifest.Shard(
                    file: "\(folder)/rank-\(rank).h5", rank: rank, first: rank * count / communicator.size,
                    end: (rank + 1) * count / communicator.size)
            }
            entries.append(IndexManifest.Checkpoint(step: step, eta: eta, shards: shards))
            if communicator.isCoordinator {
                log(
                    String(
                        format:
                            "checkpoint %d: %d examples × %d draws in %.1f s (%.0f examples/s per rank), η = %.4g",
                        step, count, settings.samples, seconds, Double(mine.count) / max(seconds, 1e-9), eta))
            }
        }
        let manifest = IndexManifest(
            format: IndexManifest.format, mode: settings.mode.rawValue, samples: settings.samples,
            projectionSeed: settings.projectionSeed, projectionDimension: settings.projectionDimension,
            trainCount: count, worldSize: communicator.size, checkpoints: entries, codeVersion: vaekitVersion)
        if communicator.isCoordinator {
            try AtomicFile.writeJSON(manifest, to: IndexManifest.path(run))
        }
        try communicator.barrier()
        return manifest
    }
}
