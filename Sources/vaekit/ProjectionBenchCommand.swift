// `vaekit bench projection`: how well projected influence scores rank training examples like the
// exact (factor-mode) ones — Spearman correlation per test example of Σ_c ⟨g_train, g_test⟩ over
// a subset of training examples, at the run's checkpoints.

import ArgumentParser
import Foundation
import Influence
import Runs
import Storage
import TensorCore

struct ProjectionBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "projection",
        abstract: "Spearman correlation of projected with exact influence scores, per test example.")

    @OptionGroup var folder: RunOptions

    @Option(help: "Training examples ranked (the first ones).")
    var train = 600

    @Option(help: "Test examples (the first ones of the test set).")
    var tests = 10

    @Option(help: "Reparameterization draws S.")
    var samples = 16

    @Option(help: "Sketch size D per layer.")
    var projectionDimension = 256

    @Option(help: "Seed of the projections.")
    var projectionSeed: UInt64 = 0x7AC1

    @Option(help: "Comma-separated checkpoint steps (default: all).")
    var checkpoints: String?

    @Option(help: "Write the correlations as JSON here.")
    var json: String?

    func run() throws {
        let loaded = try LoadedRun(folder.directory, checkpoint: .none)
        let (config, data, model) = (loaded.config, loaded.data, try loaded.model)
        let steps =
            try checkpoints.map { text in
                try text.split(separator: ",").map { part -> Int in
                    guard let step = Int(part) else { throw ValidationError("--checkpoints \(text)") }
                    return step
                }
            } ?? loaded.directory.checkpointSteps()
        guard !steps.isEmpty else {
            throw StorageError.cannotOpen(path: loaded.directory.checkpointsPath, reason: "no checkpoint")
        }
        let trainIndices = Array(0..<min(train, data.train.count))
        let testIndices = Array(0..<min(tests, data.test.count))
        var exact = Tensor.zeros([testIndices.count, trainIndices.count])
        var projected = exact
        for step in steps {
            try loaded.load(.step(step))
            for mode in [GradientMode.factors, .projected] {
                var settings = InfluenceSettings()
                settings.mode = mode
                settings.samples = samples
                settings.projectionDimension = projectionDimension
                settings.projectionSeed = projectionSeed
                let computer = GradientComputer(
                    model: model, config: config, settings: settings, checkpointStep: step)
                // Test examples in the query role, as `influence query` computes them.
                let scores = computer.gradients(
                    data.test.withDrawSplit(DrawSplit.test.query), indices: testIndices
                )
                .dotProducts(with: computer.gradients(data.train, indices: trainIndices))
                if mode == .factors { exact = exact + scores } else { projected = projected + scores }
            }
        }
        let correlations = (0..<testIndices.count).map { row -> Double in
            let a = (0..<trainIndices.count).map { exact[flat: row * trainIndices.count + $0] }
            let b = (0..<trainIndices.count).map { projected[flat: row * trainIndices.count + $0] }
            return spearmanCorrelation(a, b)
        }
        let sorted = correlations.sorted()
        print(
            String(
                format: "Spearman (projected D = %d vs exact, S = %d, %d checkpoint(s), %d train × %d test): "
                    + "min %.3f, median %.3f, mean %.3f, share ≥ 0.9: %.2f",
                projectionDimension, samples, steps.count, trainIndices.count, testIndices.count,
                sorted.first ?? .nan,
                sorted[sorted.count / 2], correlations.reduce(0, +) / Double(correlations.count),
                Double(correlations.filter { $0 >= 0.9 }.count) / Double(correlations.count)))
        print("per test example: " + correlations.map { String(format: "%.3f", $0) }.joined(separator: " "))
        if let json {
            let object: [String: Any] = [
                "spearman": correlations, "minimum": sorted.first ?? Double.nan,
                "dimension": projectionDimension,
                "samples": samples, "checkpoints": steps, "train": trainIndices.count,
            ]
            try AtomicFile.write(
                Array(try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])), to: json)
        }
    }
}

/// Spearman's rank correlation (average ranks for ties).
func spearmanCorrelation(_ a: [Float], _ b: [Float]) -> Double {
    func ranks(_ values: [Float]) -> [Double] {
        let order = values.indices.sorted { values[$0] < values[$1] }
        var result = [Double](repeating: 0, count: values.count)
        var start = 0
        while start < order.count {
            var end = start
            while end + 1 < order.count && values[order[end + 1]] == values[order[start]] { end += 1 }
            for position in start...end { result[order[position]] = Double(start + end) / 2 }
            start = end + 1
        }
        return result
    }
    let (x, y) = (ranks(a), ranks(b))
    let n = Double(x.count)
    let (mx, my) = (x.reduce(0, +) / n, y.reduce(0, +) / n)
    var (sxy, sxx, syy) = (0.0, 0.0, 0.0)
    for i in x.indices {
        sxy += (x[i] - mx) * (y[i] - my)
        sxx += (x[i] - mx) * (x[i] - mx)
        syy += (y[i] - my) * (y[i] - my)
    }
    return sxy / max((sxx * syy).squareRoot(), 1e-300)
}
