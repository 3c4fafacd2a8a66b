// Checkpoints: /params/<name>, /optimizer/<name>/<slot>, /rng, and attributes format, step,
// epoch, learning_rate, config (YAML), world_size, code_version — written atomically, checked on
// load against the model they are loaded into.

import Models
import NN
import Storage
import TensorCore

/// The code version written into every file.
public let vaekitVersion = "0.1.0"

/// What a checkpoint records besides the parameters.
public struct CheckpointInfo: Equatable, Sendable {
    /// Optimizer steps taken.
    public var step: Int
    /// Epochs begun (the epoch of the next step).
    public var epoch: Int
    /// The learning rate of the last step.
    public var learningRate: Float
    /// Steps since the previous checkpoint (TracIn weighs checkpoints by lr × steps).
    public var stepsSincePrevious: Int
    /// Global batch size.
    public var batchSize: Int
    /// Training examples N.
    public var trainCount: Int
    /// Ranks that trained.
    public var worldSize: Int
    /// The resolved config, YAML.
    public var config: String

    /// A record of training state.
    public init(
        step: Int, epoch: Int, learningRate: Float, stepsSincePrevious: Int, batchSize: Int, trainCount: Int,
        worldSize: Int, config: String
    ) {
        self.step = step
        self.epoch = epoch
        self.learningRate = learningRate
        self.stepsSincePrevious = stepsSincePrevious
        self.batchSize = batchSize
        self.trainCount = trainCount
        self.worldSize = worldSize
        self.config = config
    }
}

/// Saving and loading checkpoints.
public enum Checkpoint {
    /// The `format` attribute.
    public static let format = "vaekit-checkpoint-1"

    /// Writes `arena` and `optimizer` state to `path` atomically.
    public static func save(
        _ path: String, arena: ParameterArena, optimizer: any Optimizer, seed: UInt64, info: CheckpointInfo
    ) throws {
        try HDF5File.create(atomicallyAt: path) { file in
            try file.createGroup("/params")
            try file.createGroup("/optimizer")
            for (index, entry) in arena.entries.enumerated() {
                try file.write("/params/\(entry.name)", tensor: arena.value(ParameterID(index: index)))
            }
            for (slot, storage) in optimizer.slots {
                for entry in arena.entries {
                    let view = Tensor(viewing: storage, offset: entry.offset, shape: entry.shape)
                    try file.write("/optimizer/\(entry.name)/\(slot)", tensor: view)
                }
            }
            // The generator is counter-based: (seed, step) is its whole state.
            try file.write("/rng", int64s: [Int64(bitPattern: seed), Int64(info.step)], shape: [2])
            try file.setAttribute("format", format)
            try file.setAttribute("code_version", vaekitVersion)
            try file.setAttribute("step", Int64(info.step))
            try file.setAttribute("epoch", Int64(info.epoch))
            try file.setAttribute("learning_rate", Double(info.learningRate))
            try file.setAttribute("steps_since_previous", Int64(info.stepsSincePrevious))
            try file.setAttribute("batch_size", Int64(info.batchSize))
            try file.setAttribute("train_count", Int64(info.trainCount))
            try file.setAttribute("world_size", Int64(info.worldSize))
            try file.setAttribute("optimizer_steps", Int64(optimizer.stepCount))
            try file.setAttribute("config", info.config)
        }
    }

    /// Reads a checkpoint's attributes, checking its format.
    public static func info(_ path: String) throws -> CheckpointInfo {
        let file = try HDF5File.open(path)
        return try info(file)
    }

    static func info(_ file: HDF5File) throws -> CheckpointInfo {
        let found = (try? file.stringAttribute("format")) ?? "none"
        guard found == format else {
            throw StorageError.formatMismatch(path: file.path, expected: format, found: found)
        }
        return CheckpointInfo(
            step: Int(try file.intAttribute("step")), epoch: Int(try file.intAttribute("epoch")),
            learningRate: Float(try file.doubleAttribute("learning_rate")),
            stepsSincePrevious: Int(try file.intAttribute("steps_since_previous")),
            batchSize: Int(try file.intAttribute("batch_size")),
            trainCount: Int(try file.intAttribute("train_count")),
            worldSize: Int(try file.intAttribute("world_size")), config: try file.stringAttribute("config"))
    }

    /// Loads parameters (and optimizer state, when given) into `arena`, refusing a checkpoint
    /// whose parameter names or shapes differ (one from another config).
    @discardableResult
    public static func load(_ path: String, into arena: ParameterArena, optimizer: (any Optimizer)? = nil)
        throws
        -> CheckpointInfo
    {
        let file = try HDF5File.open(path)
        let info = try info(file)
        let stored = Set(try file.members(of: "/params"))
        let expected = Set(arena.entries.map(\.name))
        if stored != expected {
            let missing = expected.subtracting(stored).sorted().prefix(3)
            let extra = stored.subtracting(expected).sorted().prefix(3)
            throw StorageError.invalid(
                path: path,
                reason: "parameters do not match this model (a checkpoint from another config?): "
                    + "missing \(Array(missing)), unexpected \(Array(extra))")
        }
        for entry in arena.entries {
            let stored = try file.describe("/params/\(entry.name)").shape
            if stored != entry.shape {
                throw StorageError.invalid(
                    path: path,
                    reason: "parameters do not match this model (a checkpoint from another config?): "
                        + "\(entry.name) is \(stored) in the file but \(entry.shape) in the model")
            }
        }
        var values = Tensor.zeros([arena.count])
        for entry in arena.entries {
            let tensor = try file.readTensor("/params/\(entry.name)", shape: entry.shape)
            values.withUnsafeMutableBufferPointer { out in
                tensor.withUnsafeBufferPointer { source in
                    for index in 0..<entry.count { out[entry.offset + index] = source[index] }
                }
            }
        }
        arena.load(flatValues: values)
        if let optimizer {
            var slots: [String: TensorStorage] = [:]
            for slot in optimizer.slotNames {
                guard let first = arena.entries.first, file.exists("/optimizer/\(first.name)/\(slot)") else {
                    continue
                }
                let storage = TensorStorage(count: arena.count, repeating: 0)
                for entry in arena.entries {
                    let tensor = try file.readTensor("/optimizer/\(entry.name)/\(slot)", shape: entry.shape)
                    tensor.withUnsafeBufferPointer { source in
                        for index in 0..<entry.count { storage.pointer[entry.offset + index] = source[index] }
                    }
                }
                slots[slot] = storage
            }
            let steps = Int((try? file.intAttribute("optimizer_steps")) ?? Int64(info.step))
            optimizer.restore(stepCount: steps, slots: slots)
        }
        return info
    }
}
