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

    /// Writes `gradients` to `path` atomically.
    public static func write(
        _ gradients: ExampleGradients, to path: String, settings: InfluenceSettings, checkpointStep: Int,
        eta: Double,
        config: String
    ) throws {
        try HDF5File.create(atomicallyAt: path) { file in
            try file.write(
                "/example_index", int64s: gradients.indices.map { Int64($0) }, shape: [gradients.count])
            try file.write("/labels", int64s: gradients.labels, shape: [gradients.count])
            if let vectors = gradients.vectors {
                let name = settings.mode == .dense ? "/dense" : "/projected"
                try file.write(
                    name, tensor: vectors, chunk: [min(max(gradients.count, 1), 1024), vectors.shape[1]])
            }
            for (position, factor) in gradients.factors.enumerated() {
                let group = "/layers/\(String(format: "%03d", position))-\(factor.layer)"
                try file.createGroup(group)
                try file.write("\(group)/inputs", tensor: factor.inputs)
                try file.write("\(group)/output_gradients", tensor: factor.outputGradients)
                try file.setAttribute("layer", factor.layer, on: group)
                try file.setAttribute(
                    "layout", factor.layout == .outputByInput ? "output_by_input" : "input_by_output",
                    on: group)
                try file.setAttribute("weight_index", Int64(factor.weightIndex ?? -1), on: group)
                try file.setAttribute("bias_index", Int64(factor.biasIndex ?? -1), on: group)
            }
            try file.setAttribute("format", format)
            try file.setAttribute("mode", settings.mode.rawValue)
            try file.setAttribute("checkpoint_step", Int64(checkpointStep))
            try file.setAttribute("eta", eta)
            try file.setAttribute("samples", Int64(settings.samples))
            try file.setAttribute("projection_seed", Int64(bitPattern: settings.projectionSeed))
            try file.setAttribute("projection_dimension", Int64(settings.projectionDimension))
            try file.setAttribute("config", config)
        }
    }

    /// Reads a shard, checking it against what the manifest says it holds: format, mode,
    /// checkpoint, η, draws, projection, and exactly the expected examples (none missing, none
    /// twice, in order), with as many labels and gradient rows as examples.
    public static func read(_ path: String, expecting expected: ShardExpectation) throws -> ExampleGradients {
        let file = try HDF5File.open(path)
        let found = (try? file.stringAttribute("format")) ?? "none"
        guard found == format else {
            throw StorageError.formatMismatch(path: path, expected: format, found: found)
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
        switch mode {
        case .projected, .dense:
            let vectors = try file.readTensor(mode == .dense ? "/dense" : "/projected")
            guard vectors.shape.first == indices.count else {
                throw StorageError.wrongShape(
                    path: path, object: "vectors", expected: "[\(indices.count), D]", found: vectors.shape)
            }
            return ExampleGradients(indices: indices, labels: labels, factors: [], vectors: vectors)
        case .factors:
            var factors: [GradientFactor] = []
            for group in try file.members(of: "/layers") {
                let path = "/layers/\(group)"
                let layout: GradientFactor.Layout =
                    try file.stringAttribute("layout", on: path) == "output_by_input"
                    ? .outputByInput : .inputByOutput
                let weight = Int(try file.intAttribute("weight_index", on: path))
                let bias = Int(try file.intAttribute("bias_index", on: path))
                let inputs = try file.readTensor("\(path)/inputs")
                let outputGradients = try file.readTensor("\(path)/output_gradients")
                guard inputs.rank == 3, outputGradients.rank == 3, inputs.shape[0] == indices.count,
                    outputGradients.shape[0] == indices.count, inputs.shape[1] == outputGradients.shape[1]
                else {
                    throw StorageError.wrongShape(
                        path: path, object: "inputs/output_gradients",
                        expected: "[\(indices.count), L, ·] each",
                        found: inputs.shape + outputGradients.shape)
                }
                factors.append(
                    GradientFactor(
                        layer: try file.stringAttribute("layer", on: path), inputs: inputs,
                        outputGradients: outputGradients, layout: layout,
                        weightIndex: weight < 0 ? nil : weight, biasIndex: bias < 0 ? nil : bias))
            }
            return ExampleGradients(indices: indices, labels: labels, factors: factors, vectors: nil)
        }
    }
}
