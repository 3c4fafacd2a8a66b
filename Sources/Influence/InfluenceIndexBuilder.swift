// `vaekit influence index`: every rank computes the per-example gradients of ITS contiguous
// share of the training set at each chosen checkpoint and writes its own shard. A build writes
// into a new generation, gradients/gen-<g>/ckpt-<step>/rank-<r>.h5, and records each finished
// checkpoint in gradients/gen-<g>/progress.json; only when every checkpoint is written does rank 0
// swap gradients/manifest.json to the new generation (atomically) and remove the older ones. A
// failed or interrupted rebuild leaves the previous index queryable, and `--resume` continues
// the newest unfinished generation with the same settings from its next checkpoint.

import Cluster
import Datasets
import Foundation
import Runs
import Storage

/// The record of a build in progress: what it was asked for and the checkpoints it finished.
struct IndexBuildProgress: Codable, Equatable {
    var mode: String
    var samples: Int
    var projectionSeed: UInt64
    var projectionDimension: Int
    var trainCount: Int
    var worldSize: Int
    var steps: [Int]
    var storage: String
    var preconditioner: String
    var completed: [IndexManifest.Checkpoint]
}

/// Builds a run's gradient index.
public final class InfluenceIndexBuilder {
    let run: RunDirectory
    let settings: InfluenceSettings
    let communicator: any Communicator
    /// Checkpoint steps to index (nil: all of the run's checkpoints).
    public var checkpointSteps: [Int]?
    /// Continue the newest unfinished build with the same settings instead of starting anew.
    public var resume = false
    /// Show progress with ETA on stderr (rank 0, over its own share).
    public var showsProgress = true
    /// The memory a rank may hold in gradients at once (bytes); examples are computed and written
    /// in chunks that fit.
    public var maxMemoryBytes = 2 << 30
    /// Messages from rank 0.
    public var log: (String) -> Void = { print($0) }

    /// A builder for `run`.
    public init(run: RunDirectory, settings: InfluenceSettings, communicator: any Communicator) {
        self.run = run
        self.settings = settings
        self.communicator = communicator
    }

    var gradientsPath: String { "\(run.path)/gradients" }

    /// Computes and writes every shard, then swaps the manifest; returns the manifest.
    @discardableResult
    public func build() throws -> IndexManifest {
        let loaded = try LoadedRun(run, checkpoint: .none, communicator: communicator)
        let (config, data, model) = (loaded.config, loaded.data, try loaded.model)
        try GradientComputer.checkSupported(model.objective)
        if settings.storage == .float16 && settings.mode == .factors {
            throw ConfigError.badValue(
                path: "--storage", key: "storage", value: "float16",
                expected: "float32 in factors mode (float16 is for projected and dense)")
        }
        let steps = (checkpointSteps ?? run.checkpointSteps()).sorted()
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
        var progress = IndexBuildProgress(
            mode: settings.mode.rawValue, samples: settings.samples, projectionSeed: settings.projectionSeed,
            projectionDimension: settings.projectionDimension, trainCount: count,
            worldSize: communicator.size, steps: steps, storage: settings.storage.rawValue,
            preconditioner: settings.preconditioner.rawValue, completed: [])
        let generation = try chooseGeneration(&progress)
        let mine = loaded.trainShare
        let clock = ContinuousClock()
        var previousStep = progress.completed.last?.step ?? 0
        let remaining = steps.filter { step in !progress.completed.contains { $0.step == step } }
        let display = ProgressDisplay(
            total: remaining.count * mine.count, label: "index",
            enabled: showsProgress && communicator.isCoordinator)
        for (position, step) in remaining.enumerated() {
            let started = clock.now
            let preconditioner = try loaded.preconditioner(settings.preconditioner, step: step)
            guard let info = loaded.checkpoint else { continue }
            // η_c: the training this checkpoint stands for, since the previous indexed one.
            let trained = Double(info.batchSize * (step - previousStep)) / Double(count)
            let eta = Double(info.learningRate) * trained
            previousStep = step
            var computer = GradientComputer(
                model: model, config: config, settings: settings, checkpointStep: step)
            computer.preconditioner = preconditioner
            // Gradients are computed and written a chunk of examples at a time, sized so that a
            // chunk (with its copies) fits in the memory budget.
            let chunk = try chunkSize(computer, data.train, first: mine.lowerBound)
            computer.settings.batchSize = min(settings.batchSize, chunk)
            let folder = "gradients/gen-\(generation)/ckpt-\(step)"
            try makeDirectories("\(run.path)/\(folder)")
            try GradientShard.write(
                to: "\(run.path)/\(folder)/rank-\(communicator.rank).h5", settings: settings,
                checkpointStep: step, eta: eta, config: config.yaml, examples: mine,
                labels: mine.map { data.train.labels[$0] }, chunk: chunk
            ) { rows in
                let done = (rows.first ?? mine.lowerBound) - mine.lowerBound
                return computer.gradients(data.train, indices: rows) { within in
                    display.update(done: position * mine.count + done + within, message: "checkpoint \(step)")
                }
            }
            try communicator.barrier()
            let seconds = (clock.now - started) / .seconds(1)
            let shards = (0..<communicator.size).map { rank in
                IndexManifest.Shard(
                    file: "\(folder)/rank-\(rank).h5", rank: rank, first: rank * count / communicator.size,
                    end: (rank + 1) * count / communicator.size)
            }
            progress.completed.append(IndexManifest.Checkpoint(step: step, eta: eta, shards: shards))
            if communicator.isCoordinator {
                try AtomicFile.writeJSON(progress, to: progressPath(generation))
                log(
                    String(
                        format:
                            "checkpoint %d (%d of %d): %d examples × %d draws in %.1f s (%.0f examples/s per rank), η = %.4g, %@ on rank 0",
                        step, progress.completed.count, steps.count, count, settings.samples, seconds,
                        Double(mine.count) / max(seconds, 1e-9), eta, peakMemoryText()))
            }
        }
        let manifest = IndexManifest(
            format: IndexManifest.currentFormat, mode: settings.mode.rawValue, samples: settings.samples,
            projectionSeed: settings.projectionSeed, projectionDimension: settings.projectionDimension,
            trainCount: count, worldSize: communicator.size, checkpoints: progress.completed,
            codeVersion: vaekitVersion, storage: settings.storage.rawValue,
            preconditioner: settings.preconditioner.rawValue)
        if communicator.isCoordinator {
            try AtomicFile.writeJSON(manifest, to: IndexManifest.path(run))
            try removeGenerations(except: generation)
        }
        try communicator.barrier()
        return manifest
    }

    /// Examples per chunk: a third of the budget over one example's stored floats (a chunk's
    /// gradients, their concatenation and the backward pass's activations live at once).
    private func chunkSize(_ computer: GradientComputer, _ set: ImageDataset, first: Int) throws -> Int {
        guard first < set.count else { return 1 }
        let one = computer.gradients(set, indices: [first])
        let floats =
            one.vectors.map { $0.count }
            ?? one.factors.reduce(0) { $0 + $1.inputs.count + $1.outputGradients.count }
        let chunk = maxMemoryBytes / 3 / max(floats * MemoryLayout<Float>.stride, 1)
        guard chunk >= 1 else {
            throw ConfigError.badValue(
                path: "--max-memory", key: "bytes", value: "\(maxMemoryBytes)",
                expected:
                    "at least \(3 * floats * MemoryLayout<Float>.stride) bytes (three examples' gradients)")
        }
        return chunk
    }

    private func progressPath(_ generation: Int) -> String {
        "\(gradientsPath)/gen-\(generation)/progress.json"
    }

    /// Generation numbers present under gradients/, ascending.
    private func generations() -> [Int] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: gradientsPath)) ?? []
        return names.compactMap { $0.hasPrefix("gen-") ? Int($0.dropFirst(4)) : nil }.sorted()
    }

    /// Rank 0 picks the generation to write (the newest unfinished one with these settings when
    /// resuming, else a new one) and tells every rank, with the checkpoints already finished.
    private func chooseGeneration(_ progress: inout IndexBuildProgress) throws -> Int {
        var chosen = [Int64(0)]
        var resumed: IndexBuildProgress?
        if communicator.isCoordinator {
            let existing = generations()
            let current = (try? IndexManifest.load(run))?.checkpoints.first?.shards.first?.file
            let requested = progress
            if resume {
                for generation in existing.reversed()
                where current?.hasPrefix("gradients/gen-\(generation)/") != true {
                    guard
                        var found = try? AtomicFile.readJSON(
                            IndexBuildProgress.self, from: progressPath(generation))
                    else { continue }
                    let completed = found.completed
                    found.completed = []
                    if found == requested {
                        found.completed = completed
                        resumed = found
                        chosen[0] = Int64(generation)
                        break
                    }
                }
            }
            if let resumed {
                log(
                    "resuming the index build in gradients/gen-\(chosen[0]): "
                        + "\(resumed.completed.count) of \(resumed.steps.count) checkpoints done")
            } else {
                if resume { log("no unfinished index build with these settings: building anew") }
                chosen[0] = Int64((existing.last ?? 0) + 1)
                try makeDirectories("\(gradientsPath)/gen-\(chosen[0])")
                try AtomicFile.writeJSON(progress, to: progressPath(Int(chosen[0])))
            }
        }
        try communicator.broadcast(&chosen, root: 0)
        // Every rank needs the finished checkpoints (to skip them and to list them).
        let text = try communicator.broadcast(
            communicator.isCoordinator
                ? String(decoding: try JSONEncoder().encode(resumed?.completed ?? []), as: UTF8.self) : "",
            root: 0)
        progress.completed = try JSONDecoder().decode([IndexManifest.Checkpoint].self, from: Data(text.utf8))
        return Int(chosen[0])
    }

    /// Removes every generation but `generation`, and the folders of indexes from before
    /// generations (gradients/ckpt-*).
    private func removeGenerations(except generation: Int) throws {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: gradientsPath)) ?? []
        for name in names
        where (name.hasPrefix("gen-") && name != "gen-\(generation)") || name.hasPrefix("ckpt-") {
            try FileManager.default.removeItem(atPath: "\(gradientsPath)/\(name)")
        }
    }
}
