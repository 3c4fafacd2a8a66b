// One rank's per-example gradients at one checkpoint:
// gradients/ckpt-<step>/rank-<r>.h5 with /example_index (int64), /labels (int64), and
// /projected or /dense `[n, D]`, or /layers/<name>/{inputs, output_gradients} `[n, L, ·]`;
// attributes format, mode, checkpoint_step, eta, samples, projection_seed,
// projection_dimension, config.

import Autodiff
import Storage
import TensorCore

/// What a shard must hold to belong to an index: the manifest's settings, its checkpoint, its
/// weight and exactly its range of examples, in order.
public struct ShardExpectation: Sendable {
    /// Mode, draws S, projection seed and size.
    public var settings: InfluenceSettings
    /// The checkpoint the shard's gradients were taken at.
    public var checkpointStep: Int
    /// The checkpoint's weight η.
    public var eta: Double
    /// The examples, each once, in order.
    public var examples: Range<Int>

    /// What a shard of one checkpoint must hold.
    public init(settings: InfluenceSettings, checkpointStep: Int, eta: Double, examples: Range<Int>) {
        self.settings = settings
        self.checkpointStep = checkpointStep
        self.eta = eta
        self.examples = examples
    }
}

/// Reading and writing gradient shards.
public enum GradientShard {
    /// The `format` attribute.
    public static let format = "vaekit-gradients-1"

    /// Writes the shard of the examples `examples` to `path` atomically, `chunk` examples at a
    /// time: `compute` gives a chunk's gradients, which are written into their rows and freed
    /// before the next chunk, so memory is bounded by the chunk, not the shard.
    public static func write(
        to path: String, settings: InfluenceSettings, checkpointStep: Int, eta: Double, config: String,
        examples: Range<Int>, labels: [Int64], chunk: Int, compute: ([Int]) throws -> ExampleGradients
    ) throws {
        let count = examples.count
        try HDF5File.create(atomicallyAt: path) { file in
            try file.write("/example_index", int64s: examples.map { Int64($0) }, shape: [count])
            try file.write("/labels", int64s: labels, shape: [count])
            var start = 0
            while start < count {
                let rows = Array(examples.dropFirst(start).prefix(max(1, chunk)))
                let gradients = try compute(rows)
                if start == 0 {
                    try createDatasets(
                        file, like: gradients, count: count, mode: settings.mode, storage: settings.storage)
                }
                if let vectors = gradients.vectors {
                    try file.writeRows(settings.mode == .dense ? "/dense" : "/projected", vectors, at: start)
                }
                for (position, factor) in gradients.factors.enumerated() {
                    let group = layerGroup(position, factor.layer)
                    try file.writeRows("\(group)/inputs", factor.inputs, at: start)
                    try file.writeRows("\(group)/output_gradients", factor.outputGradients, at: start)
                }
                start += rows.count
            }
            try file.setAttribute("format", format)
            try file.setAttribute("mode", settings.mode.rawValue)
            try file.setAttribute("checkpoint_step", Int64(checkpointStep))
            try file.setAttribute("eta", eta)
            try file.setAttribute("samples", Int64(settings.samples))
            try file.setAttribute("projection_seed", Int64(bitPattern: settings.projectionSeed))
            try file.setAttribute("projection_dimension", Int64(settings.projectionDimension))
            try file.setAttribute("storage", settings.storage.rawValue)
            try file.setAttribute("preconditioner", settings.preconditioner.rawValue)
            try file.setAttribute("config", config)
        }
    }

    static func layerGroup(_ position: Int, _ layer: String) -> String {
        "/layers/\(String(format: "%03d", position))-\(layer)"
    }

    /// The shard's datasets, sized for `count` examples from the first chunk's shapes.
    private static func createDatasets(
        _ file: HDF5File, like gradients: ExampleGradients, count: Int, mode: GradientMode,
        storage: GradientStorage
    ) throws {
        if let vectors = gradients.vectors {
            let width = vectors.shape[1]
            try file.createFloats(
                mode == .dense ? "/dense" : "/projected", shape: [count, width],
                chunk: [min(max(count, 1), max(1, (1 << 20) / max(width, 1))), width],
                half: storage == .float16)
        }
        for (position, factor) in gradients.factors.enumerated() {
            let group = layerGroup(position, factor.layer)
            try file.createGroup(group)
            let (positions, a, d) = (
                factor.inputs.shape[1], factor.inputs.shape[2], factor.outputGradients.shape[2]
            )
            let rows = min(max(count, 1), max(1, (1 << 20) / max(positions * max(a, d), 1)))
            try file.createFloats(
                "\(group)/inputs", shape: [count, positions, a], chunk: [rows, positions, a])
            try file.createFloats(
                "\(group)/output_gradients", shape: [count, positions, d], chunk: [rows, positions, d])
            try file.setAttribute("layer", factor.layer, on: group)
            try file.setAttribute(
                "layout", factor.layout == .outputByInput ? "output_by_input" : "input_by_output", on: group)
            try file.setAttribute("weight_index", Int64(factor.weightIndex ?? -1), on: group)
            try file.setAttribute("bias_index", Int64(factor.biasIndex ?? -1), on: group)
        }
    }

    /// Reads a whole shard, checked against what the manifest says it holds.
    public static func read(_ path: String, expecting expected: ShardExpectation) throws -> ExampleGradients {
        let reader = try GradientShardReader(path, expecting: expected)
        return try reader.gradients(0..<reader.count)
    }
}

/// An open gradient shard, checked against what the manifest says it holds — format, mode,
/// checkpoint, η, draws, projection, and exactly the expected examples (none missing, none
/// twice, in order) with as many labels and gradient rows — and read a block of rows at a time.
public struct GradientShardReader {
    let file: HDF5File
    let mode: GradientMode
    /// The examples, in row order.
    public let indices: [Int]
    /// Their labels.
    public let labels: [Int64]
    /// Factor mode: each layer's group, attributes and per-example shapes `(L, a, d)`.
    let layers: [(group: String, layer: String, layout: GradientFactor.Layout, weight: Int?, bias: Int?)]
    /// Floats stored per example.
    public let floatsPerExample: Int

    /// Rows (examples) in the shard.
    public var count: Int { indices.count }

    /// Opens and checks the shard at `path`.
    public init(_ path: String, expecting expected: ShardExpectation) throws {
        let file = try HDF5File.open(path)
        let found = (try? file.stringAttribute("format")) ?? "none"
        guard found == GradientShard.format else {
            throw StorageError.formatMismatch(path: path, expected: GradientShard.format, found: found)
        }
        let settings = expected.settings
        let mode = settings.mode
        let mismatch = { (what: String, want: String, have: String) in
            StorageError.formatMismatch(path: path, expected: "\(what) \(want)", found: "\(what) \(have)")
        }
        let storedMode = try file.stringAttribute("mode")
        guard storedMode == mode.rawValue else { throw mismatch("mode", mode.rawValue, storedMode) }
        let step = Int(try file.intAttribute("checkpoint_step"))
        guard step == expected.checkpointStep else {
            throw mismatch(
                "checkpoint_step", "\(expected.checkpointStep)", "\(step) (a shard of another checkpoint)")
        }
        let samples = Int(try file.intAttribute("samples"))
        guard samples == settings.samples else {
            throw mismatch("samples", "\(settings.samples)", "\(samples)")
        }
        let eta = try file.doubleAttribute("eta")
        guard abs(eta - expected.eta) <= 1e-9 * max(1, abs(expected.eta)) else {
            throw mismatch("eta", "\(expected.eta)", "\(eta)")
        }
        if mode == .projected {
            let seed = UInt64(bitPattern: try file.intAttribute("projection_seed"))
            let dimension = Int(try file.intAttribute("projection_dimension"))
            guard seed == settings.projectionSeed, dimension == settings.projectionDimension else {
                throw mismatch(
                    "projection (seed, dimension)",
                    "(\(settings.projectionSeed), \(settings.projectionDimension))",
                    "(\(seed), \(dimension))")
            }
        }
        let preconditioner = (try? file.stringAttribute("preconditioner")) ?? "none"
        guard preconditioner == settings.preconditioner.rawValue else {
            throw mismatch("preconditioner", settings.preconditioner.rawValue, preconditioner)
        }
        let storage = (try? file.stringAttribute("storage")) ?? "float32"
        guard storage == settings.storage.rawValue else {
            throw mismatch("storage", settings.storage.rawValue, storage)
        }
        let indices = try file.readInt64s("/example_index").values.map { Int($0) }
        guard indices == Array(expected.examples) else {
            let duplicated = indices.count - Set(indices).count
            throw StorageError.invalid(
                path: path,
                reason:
                    "/example_index holds \(indices.count) examples (\(duplicated) repeated, first \(indices.first.map(String.init) ?? "none")), "
                    + "the manifest expects exactly \(expected.examples.lowerBound)..<\(expected.examples.upperBound) in order"
            )
        }
        let labels = try file.readInt64s("/labels").values
        guard labels.count == indices.count else {
            throw StorageError.wrongShape(
                path: path, object: "/labels", expected: "[\(indices.count)]", found: [labels.count])
        }
        var layers:
            [(group: String, layer: String, layout: GradientFactor.Layout, weight: Int?, bias: Int?)] = []
        var floats = 0
        switch mode {
        case .projected, .dense:
            let (shape, _) = try file.describe(mode == .dense ? "/dense" : "/projected")
            guard shape.count == 2, shape[0] == indices.count else {
                throw StorageError.wrongShape(
                    path: path, object: "vectors", expected: "[\(indices.count), D]", found: shape)
            }
            floats = shape[1]
        case .factors:
            for group in try file.members(of: "/layers") {
                let object = "/layers/\(group)"
                let inputs = try file.describe("\(object)/inputs").shape
                let outputs = try file.describe("\(object)/output_gradients").shape
                guard inputs.count == 3, outputs.count == 3, inputs[0] == indices.count,
                    outputs[0] == indices.count,
                    inputs[1] == outputs[1]
                else {
                    throw StorageError.wrongShape(
                        path: path, object: "\(object) inputs/output_gradients",
                        expected: "[\(indices.count), L, ·] each", found: inputs + outputs)
                }
                floats += inputs[1] * (inputs[2] + outputs[2])
                let weight = Int(try file.intAttribute("weight_index", on: object))
                let bias = Int(try file.intAttribute("bias_index", on: object))
                layers.append(
                    (
                        object, try file.stringAttribute("layer", on: object),
                        try file.stringAttribute("layout", on: object) == "output_by_input"
                            ? .outputByInput : .inputByOutput, weight < 0 ? nil : weight,
                        bias < 0 ? nil : bias
                    ))
            }
        }
        self.file = file
        self.mode = mode
        self.indices = indices
        self.labels = labels
        self.layers = layers
        floatsPerExample = floats
    }

    /// The gradients of rows `rows`.
    public func gradients(_ rows: Range<Int>) throws -> ExampleGradients {
        let (indices, labels) = (Array(self.indices[rows]), Array(self.labels[rows]))
        switch mode {
        case .projected, .dense:
            let vectors = try file.readRows(mode == .dense ? "/dense" : "/projected", rows)
            return ExampleGradients(indices: indices, labels: labels, factors: [], vectors: vectors)
        case .factors:
            let factors = try layers.map { layer in
                GradientFactor(
                    layer: layer.layer, inputs: try file.readRows("\(layer.group)/inputs", rows),
                    outputGradients: try file.readRows("\(layer.group)/output_gradients", rows),
                    layout: layer.layout, weightIndex: layer.weight, biasIndex: layer.bias)
            }
            return ExampleGradients(indices: indices, labels: labels, factors: factors, vectors: nil)
        }
    }
}
