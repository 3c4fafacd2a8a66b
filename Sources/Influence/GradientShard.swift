// One rank's per-example gradients at one checkpoint:
// gradients/ckpt-<step>/rank-<r>.h5 with /example_index (int64), /labels (int64), and
// /projected or /dense `[n, D]`, or /layers/<name>/{inputs, output_gradients} `[n, L, ·]`;
// attributes format, mode, checkpoint_step, eta, samples, projection_seed,
// projection_dimension, config.

import Autodiff
import Storage
import TensorCore

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

    /// Reads a shard, checking its format and mode.
    public static func read(_ path: String, mode: GradientMode) throws -> ExampleGradients {
        let file = try HDF5File.open(path)
        let found = (try? file.stringAttribute("format")) ?? "none"
        guard found == format else {
            throw StorageError.formatMismatch(path: path, expected: format, found: found)
        }
        let storedMode = try file.stringAttribute("mode")
        guard storedMode == mode.rawValue else {
            throw StorageError.formatMismatch(
                path: path, expected: "mode \(mode.rawValue)", found: "mode \(storedMode)")
        }
        let indices = try file.readInt64s("/example_index").values.map { Int($0) }
        let labels = try file.readInt64s("/labels").values
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
                factors.append(
                    GradientFactor(
                        layer: try file.stringAttribute("layer", on: path),
                        inputs: try file.readTensor("\(path)/inputs"),
                        outputGradients: try file.readTensor("\(path)/output_gradients"), layout: layout,
                        weightIndex: weight < 0 ? nil : weight, biasIndex: bias < 0 ? nil : bias))
            }
            return ExampleGradients(indices: indices, labels: labels, factors: factors, vectors: nil)
        }
    }
}
