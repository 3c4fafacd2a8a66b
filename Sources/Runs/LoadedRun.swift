// The one way to open a run: a run folder (or a checkpoint file) opened once into its resolved
// config, its datasets, a model with the parameters of a chosen checkpoint, that checkpoint's
// attributes, and this rank's share of the training set. Every command that opens a run goes
// through here.

import Cluster
import Foundation
import Models
import NN
import Storage
import TensorCore

/// Which checkpoint's parameters an opened run holds.
public enum CheckpointChoice: Sendable, Equatable {
    /// None: the model keeps its initial parameters (training from scratch, or load later).
    case none
    /// The run's newest checkpoint (an error when it has none).
    case newest
    /// The checkpoint after this many steps.
    case step(Int)
    /// A checkpoint file by path.
    case file(String)
}

/// A run opened once.
public final class LoadedRun {
    /// The run's folder.
    public let directory: RunDirectory
    /// The resolved config.
    public let config: RunConfig
    /// The training and test sets, named `train` and `test` for their draws.
    public let data: RunData
    /// The ranks sharing the work.
    public let communicator: any Communicator
    /// The path of the loaded checkpoint, when one is.
    public private(set) var checkpointPath: String?
    /// The loaded checkpoint's attributes, when one is.
    public private(set) var checkpoint: CheckpointInfo?

    private var builtModel: VAE?

    /// Opens a run from a config: loads and checks its data. `data` reuses sets already loaded
    /// for this config (a background run scored on the same images).
    public init(
        config: RunConfig, directory: RunDirectory, communicator: any Communicator = LocalCommunicator(),
        data: RunData? = nil
    ) throws {
        self.config = config
        self.directory = directory
        self.communicator = communicator
        CollectiveTimeout.set(Double(config.training.collectiveTimeoutSeconds))
        if let data {
            self.data = data
        } else {
            self.data = try RunData.load(config)
            // The files' read buffers and the unpadded copies are gone: give their memory back.
            releaseFreeHeapMemory()
        }
    }

    /// Opens the run folder `directory` with its resolved `config.yaml` (adjusted by `overrides`)
    /// and the parameters of `checkpoint`.
    public convenience init(
        _ directory: RunDirectory, checkpoint: CheckpointChoice = .newest,
        communicator: any Communicator = LocalCommunicator(), overrides: [String] = [], data: RunData? = nil
    ) throws {
        let config = try directory.loadConfig(overrides: overrides)
        try self.init(config: config, directory: directory, communicator: communicator, data: data)
        try load(checkpoint)
    }

    /// Opens the run a checkpoint file belongs to, with the config stored inside the checkpoint
    /// (so a checkpoint copied out of its folder still opens).
    public convenience init(
        checkpointFile path: String, communicator: any Communicator = LocalCommunicator(),
        overrides: [String] = []
    ) throws {
        let info = try Checkpoint.info(path)
        // The stored config is the resolved one (absolute data paths); older checkpoints' relative
        // paths are read from the working directory, as they were written.
        let config = try RunConfig.parse(info.config, path: "\(path) (stored config)", overrides: overrides)
            .resolvingDataPaths(
                from: URL(fileURLWithPath: FileManager.default.currentDirectoryPath), overrides: overrides)
        try self.init(
            config: config, directory: RunDirectory(RunDirectory.folder(ofCheckpoint: path)),
            communicator: communicator)
        try load(.file(path))
    }

    /// The model, built on first use from the config (parameters initialized from the seed until
    /// a checkpoint is loaded).
    public var model: VAE {
        get throws {
            if let builtModel { return builtModel }
            let model = try config.makeModel(imageShape: data.imageShape)
            builtModel = model
            return model
        }
    }

    /// Parameters of the model, counted from the config without building it.
    public var parameterCount: Int { config.parameterCount(imageShape: data.imageShape) }

    /// This rank's contiguous share of the training set.
    public var trainShare: Range<Int> { communicator.share(of: data.train.count) }

    /// Loads a checkpoint's parameters (and the optimizer state, when given) into the model;
    /// returns its attributes (nil for `.none`).
    @discardableResult
    public func load(_ choice: CheckpointChoice, optimizer: (any Optimizer)? = nil) throws -> CheckpointInfo?
    {
        let path: String
        switch choice {
        case .none: return nil
        case .newest:
            guard let latest = directory.latestCheckpoint else {
                throw StorageError.cannotOpen(
                    path: directory.checkpointsPath, reason: "the run has no checkpoint")
            }
            path = latest
        case .step(let step): path = try directory.existingCheckpointPath(step: step)
        case .file(let file): path = file
        }
        let arena = try model.arena
        let info = try Checkpoint.load(path, into: arena, optimizer: optimizer)
        // A diverged model is refused by name rather than carried into every result as NaN.
        for entry in arena.entries {
            let values = UnsafeBufferPointer(start: arena.values.pointer + entry.offset, count: entry.count)
            if let bad = values.first(where: { !$0.isFinite }) {
                throw StorageError.cannotOpen(
                    path: path,
                    reason:
                        "parameter \(entry.name) holds \(bad) (the run diverged); use an earlier checkpoint")
            }
        }
        checkpointPath = path
        checkpoint = info
        return info
    }
}

extension RunConfig {
    /// Parameters of this config's model for images of `imageShape`, without building it.
    public func parameterCount(imageShape: [Int]) -> Int {
        VAE.parameterCount(
            imageShape: imageShape, latentCount: model.latent, likelihood: likelihood,
            architecture: architecture,
            objective: vaeObjective)
    }
}

extension RunDirectory {
    /// The checkpoint after `step` steps; an error naming the steps present when there is none.
    public func existingCheckpointPath(step: Int) throws -> String {
        let available = checkpointSteps()
        guard available.contains(step) else {
            throw StorageError.cannotOpen(
                path: checkpointPath(step: step), reason: "no such checkpoint (have \(available))")
        }
        return checkpointPath(step: step)
    }

    /// The run folder of a checkpoint at `<run>/checkpoints/checkpoint-N.h5` (or the checkpoint's
    /// own folder when it lies elsewhere).
    public static func folder(ofCheckpoint path: String) -> String {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 2 else { return "." }
        let folder = parts.dropLast().joined(separator: "/")
        if parts[parts.count - 2] == "checkpoints" {
            let run = parts.dropLast(2).joined(separator: "/")
            return run.isEmpty ? (path.hasPrefix("/") ? "/" : ".") : run
        }
        return folder.isEmpty ? "/" : folder
    }
}
