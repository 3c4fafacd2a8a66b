// `vaekit bench projection`: how well projected influence scores rank training examples like the
// exact (factor-mode) ones — per test example and per score (tracin, cosine, relatif), the
// Spearman correlation over the ranked training examples and the overlap of the top 10, with
// η_c as the index weighs the checkpoints. Training gradients are taken in chunks, so all 60,000
// examples can be ranked at S = 1.

import ArgumentParser
import Foundation
import Influence
import Runs
import Storage
import TensorCore

struct ProjectionBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "projection",
        abstract: "Spearman correlation and top-10 overlap of projected with exact influence scores.")

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

    @Flag(help: "Round the projected vectors to float16, as `influence index --storage float16` stores them.")
    var float16 = false

    @Option(help: "Training examples per batch of gradients (bounds memory).")
    var chunk = 5000

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
        guard !steps.isEmpty, chunk >= 1 else {
            throw StorageError.cannotOpen(path: loaded.directory.checkpointsPath, reason: "no checkpoint")
        }
        let trainCount = min(train, data.train.count)
        let testIndices = Array(0..<min(tests, data.test.count))
        // Test examples in the query role, as `influence query` computes them.
        let queries = data.test.withDrawSplit(DrawSplit.test.query)
        var sums = [GradientMode.factors: InfluenceScoreSums(tests: testIndices.count, train: trainCount)]
        sums[.projected] = sums[.factors]
        var previous = 0
        for step in steps.sorted() {
            guard let info = try loaded.load(.step(step)) else { continue }
            // η_c as the index weighs it: the training since the previous checkpoint ranked.
            let eta = info.learningRate * Float(info.batchSize * (step - previous)) / Float(data.train.count)
            previous = step
            for mode in [GradientMode.factors, .projected] {
                var settings = InfluenceSettings()
                settings.mode = mode
                settings.samples = samples
                settings.projectionDimension = projectionDimension
                settings.projectionSeed = projectionSeed
                let computer = GradientComputer(
                    model: model, config: config, settings: settings, checkpointStep: step)
                // The stored side (training vectors) in the index's precision; queries stay Float32.
                let stored = { (gradients: ExampleGradients) -> ExampleGradients in
                    guard mode == .projected, float16, let vectors = gradients.vectors else {
                        return gradients
                    }
                    var rounded = gradients
                    rounded.vectors = Tensor(
                        shape: vectors.shape, scalars: vectors.scalars.map { Float(Float16($0)) })
                    return rounded
                }
                let test = computer.gradients(queries, indices: testIndices)
                sums[mode]?.addTest(test.squaredNorms(), eta: eta)
                var start = 0
                while start < trainCount {
                    let indices = Array(start..<min(start + chunk, trainCount))
                    let gradients = stored(computer.gradients(data.train, indices: indices))
                    sums[mode]?.addTrain(
                        gradients.dotProducts(with: test), norms: gradients.squaredNorms(), first: start,
                        eta: eta)
                    start += indices.count
                }
            }
        }
        guard let exact = sums[.factors], let projected = sums[.projected] else { return }
        var results: [String: Any] = [
            "dimension": projectionDimension, "samples": samples, "checkpoints": steps, "train": trainCount,
            "tests": testIndices.count,
        ]
        print(
            "projected (D = \(projectionDimension)\(float16 ? ", stored as float16" : "")) vs exact influence, S = \(samples), \(steps.count) checkpoint(s), "
                + "\(trainCount) train × \(testIndices.count) test:")
        for score in InfluenceScore.allCases {
            let pairs = testIndices.indices.map {
                (exact.scores(test: $0, score), projected.scores(test: $0, score))
            }
            let correlations = pairs.map { spearmanCorrelation($0.0, $0.1) }
            let overlaps = pairs.map { topOverlap($0.0, $0.1, count: 10) }
            let sorted = correlations.sorted()
            print(
                String(
                    format: "  %@ Spearman min %.3f median %.3f; top-10 overlap mean %.2f min %.2f",
                    score.rawValue.padding(8), sorted.first ?? .nan, sorted[sorted.count / 2],
                    overlaps.reduce(0, +) / Double(max(overlaps.count, 1)), overlaps.min() ?? .nan))
            results[score.rawValue] = ["spearman": correlations, "top10_overlap": overlaps]
            if score == .tracin {
                results["spearman"] = correlations
                results["minimum"] = sorted.first ?? Double.nan
            }
        }
        if let json {
            try AtomicFile.write(
                Array(try JSONSerialization.data(withJSONObject: results, options: [.sortedKeys])), to: json)
        }
    }
}
