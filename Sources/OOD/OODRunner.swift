// `vaekit ood`: scores an in-distribution test set and OOD sets with Likelihood Regret and the
// baselines, test examples sharded over ranks, scores gathered at rank 0, metrics and ood.json.
// Scores follow one convention: higher means more OOD, all in nats except input complexity (bits).

import Cluster
import Datasets
import Foundation
import Models
import Runs
import Storage
import TensorCore

/// One example's scores.
public struct OODExampleScores: Codable, Equatable, Sendable {
    /// Index in its set.
    public var index: Int
    /// IWAE −log p̂(x) (nats).
    public var negativeLogLikelihood: Double
    /// Likelihood Regret (nats).
    public var regret: Double
    /// Input complexity: NLL in bits minus the PNG length in bits.
    public var inputComplexity: Double
    /// Likelihood ratio: NLL(model) − NLL(background) (nats); nil without a background model.
    public var likelihoodRatio: Double?
}

/// Runs OOD scoring for a trained run.
public final class OODRunner {
    let run: RunDirectory
    let communicator: any Communicator
    /// Refit and IWAE settings.
    public var settings = RegretSettings()
    /// Examples scored per set (the first ones).
    public var count = 200
    /// Checkpoint (default: the run's newest).
    public var checkpoint: String?
    /// A run trained on perturbed inputs (`data.perturbation`), for the likelihood ratio.
    public var background: RunDirectory?
    /// Messages from rank 0.
    public var log: (String) -> Void = { print($0) }

    /// A runner for `run`.
    public init(run: RunDirectory, communicator: any Communicator) {
        self.run = run
        self.communicator = communicator
    }

    /// Resolves a set name: `test` / `fashion-mnist:test` (the run's test set), `noise`,
    /// `constant`, `vflip`, `invert` (of the test set), or an HDF5/IDX file. Every set but the
    /// test set draws in a split of its own (`ood:<spec>`), so its image i and test image i never
    /// share draws.
    func resolve(_ spec: String, config: RunConfig, test: ImageDataset) throws -> ImageDataset {
        if spec == "test" || spec == "fashion-mnist:test" { return test }
        return try resolveOOD(spec, config: config, test: test).withDrawSplit(DrawSplit("ood:\(spec)"))
    }

    private func resolveOOD(_ spec: String, config: RunConfig, test: ImageDataset) throws -> ImageDataset {
        let padding = config.data.padding
        let raw = (
            channels: test.channels, height: test.height - 2 * padding, width: test.width - 2 * padding
        )
        let unpadded = try RunData.loadSet(config.data.test, limit: config.data.testLimit, padding: 0)
        switch spec {
        case "noise":
            return SyntheticImages.noise(
                count: count, channels: raw.channels, height: raw.height, width: raw.width,
                seed: config.seed + 101
            ).padded(by: padding)
        case "constant":
            return SyntheticImages.constant(
                count: count, channels: raw.channels, height: raw.height, width: raw.width,
                seed: config.seed + 102
            ).padded(by: padding)
        case "vflip": return unpadded.flippedVertically().padded(by: padding)
        case "invert": return unpadded.inverted().padded(by: padding)
        default:
            guard fileExists(spec) else {
                throw DatasetError.unknownName(
                    spec, expected: ["test", "noise", "constant", "vflip", "invert", "an HDF5 or IDX file"])
            }
            let set =
                spec.hasSuffix(".h5") || spec.hasSuffix(".hdf5")
                ? try ImageDataset.read(spec)
                : try ImageDataset.importIDX(images: spec, labels: nil, source: spec, split: "ood")
            let padded = set.padded(by: padding)
            guard padded.channels == test.channels, padded.height == test.height, padded.width == test.width
            else {
                throw ConfigError.mismatch(
                    "\(spec): images are \(set.channels)×\(set.height)×\(set.width), the model needs "
                        + "\(raw.channels)×\(raw.height)×\(raw.width)")
            }
            return padded
        }
    }

    /// Scores every set and writes `ood.json` (rank 0); returns the metrics table on rank 0.
    @discardableResult
    public func score(inDistribution: String, outOfDistribution: [String]) throws -> OODReport? {
        let loaded = try LoadedRun(run, checkpoint: checkpoint.map { .file($0) } ?? .newest)
        let (config, data, model) = (loaded.config, loaded.data, try loaded.model)
        let path = loaded.checkpointPath ?? ""
        // The background run scores the same images: its model is opened over this run's data.
        var backgroundModel: (VAE, RunConfig)?
        if let background {
            let other = try LoadedRun(background, data: data)
            backgroundModel = (try other.model, other.config)
        }
        let names = [inDistribution] + outOfDistribution
        let sets = try names.map { try resolve($0, config: config, test: data.test) }
        let regret = LikelihoodRegret(model: model, config: config, settings: settings)
        var results: [String: [OODExampleScores]] = [:]
        let clock = ContinuousClock()
        let started = clock.now
        var scored = 0
        for (number, (name, set)) in zip(names, sets).enumerated() {
            let setStarted = clock.now
            let total = min(count, set.count)
            let mine = Array(communicator.share(of: total))
            let scores = regret.scores(set, indices: mine)
            let bits = InputComplexity.compressedBits(set.subset(mine))
            var background: [Double]?
            if let (other, backgroundConfig) = backgroundModel {
                let (input, target) = backgroundConfig.batch(
                    set, indices: mine, step: RunConfig.evaluationStep)
                background = other.importanceWeightedLogLikelihood(
                    input, target: target, indices: mine, samples: settings.importanceSamples,
                    chunk: settings.chunk, draws: backgroundConfig.evaluationDraws(set)
                ).scalars.map { -Double($0) }
            }
            let local = scores.enumerated().map { row, score in
                OODExampleScores(
                    index: score.index, negativeLogLikelihood: score.negativeLogLikelihoodBefore,
                    regret: score.regret,
                    inputComplexity: score.negativeLogLikelihoodBefore / 0.693_147_180_559_945_3 - bits[row],
                    likelihoodRatio: background.map { score.negativeLogLikelihoodBefore - $0[row] })
            }
            scored += local.count
            log(
                String(
                    format: "set %d/%d %@: %d images scored in %.1f s (rank 0's share: %d)", number + 1,
                    names.count, name, total, (clock.now - setStarted) / .seconds(1), local.count))
            if let parts = try communicator.gatherBytes(Array(try JSONEncoder().encode(local)), root: 0) {
                results[name] = try parts.flatMap {
                    try JSONDecoder().decode([OODExampleScores].self, from: Data($0))
                }
            }
        }
        var totals = [Double(scored)]
        try communicator.allReduceSum(&totals)
        guard communicator.isCoordinator else { return nil }
        let elapsed = (clock.now - started) / .seconds(1)
        let report = try OODReport(
            checkpoint: path, inDistribution: inDistribution, results: results, order: names,
            settings: settings,
            ranks: communicator.size, imagesPerSecond: totals[0] / max(elapsed, 1e-9))
        try AtomicFile.writeJSON(report, to: "\(run.path)/ood.json")
        log(report.table)
        log(
            String(
                format: "%.0f images in %.1f s (%.2f images/s); wrote %@/ood.json", totals[0], elapsed,
                report.imagesPerSecond, run.path))
        return report
    }
}

/// `ood.json`: per-example scores of every set and the metrics of every method.
public struct OODReport: Codable, Sendable {
    /// Format tag.
    public var format = "vaekit-ood-1"
    /// The checkpoint scored.
    public var checkpoint: String
    /// The in-distribution set's name.
    public var inDistribution: String
    /// Sets in order, first the in-distribution one.
    public var order: [String]
    /// Per-example scores by set.
    public var scores: [String: [OODExampleScores]]
    /// metrics[method][OOD set].
    public var metrics: [String: [String: DetectionMetrics]]
    /// Mean AUROC of each method over the OOD sets.
    public var meanAUROC: [String: Double]
    /// Refit steps, importance samples.
    public var steps: Int
    /// K of the IWAE estimates.
    public var importanceSamples: Int
    /// Ranks that scored.
    public var ranks: Int
    /// Throughput (all sets, both IWAE estimates and the refit included).
    public var imagesPerSecond: Double

    init(
        checkpoint: String, inDistribution: String, results: [String: [OODExampleScores]], order: [String],
        settings: RegretSettings, ranks: Int, imagesPerSecond: Double
    ) throws {
        self.checkpoint = checkpoint
        self.inDistribution = inDistribution
        self.order = order
        scores = results
        steps = settings.steps
        importanceSamples = settings.importanceSamples
        self.ranks = ranks
        self.imagesPerSecond = imagesPerSecond
        let methods: [(String, (OODExampleScores) -> Double?)] = [
            ("likelihood_regret", { $0.regret }), ("iwae_nll", { $0.negativeLogLikelihood }),
            ("input_complexity", { $0.inputComplexity }), ("likelihood_ratio", { $0.likelihoodRatio }),
        ]
        var metrics: [String: [String: DetectionMetrics]] = [:]
        var means: [String: Double] = [:]
        let inScores = results[inDistribution] ?? []
        for (method, value) in methods {
            let inValues = inScores.compactMap(value)
            guard !inValues.isEmpty else { continue }
            var table: [String: DetectionMetrics] = [:]
            for name in order.dropFirst() {
                let outValues = (results[name] ?? []).compactMap(value)
                table[name] = try DetectionMetrics(inDistribution: inValues, outOfDistribution: outValues)
            }
            metrics[method] = table
            means[method] = table.values.map(\.auroc).reduce(0, +) / Double(max(table.count, 1))
        }
        self.metrics = metrics
        meanAUROC = means
    }

    /// AUROC per method (rows) and OOD set (columns), plus the mean.
    public var table: String {
        let sets = Array(order.dropFirst())
        var lines = ["AUROC (OOD positive; \(scores[inDistribution]?.count ?? 0) in-distribution images)"]
        lines.append(
            "method".padding(toLength: 20, withPad: " ", startingAt: 0)
                + sets.map { $0.padding(toLength: 12, withPad: " ", startingAt: 0) }.joined() + "mean")
        for method in ["likelihood_regret", "iwae_nll", "input_complexity", "likelihood_ratio"] {
            guard let row = metrics[method] else { continue }
            let cells = sets.map { String(format: "%-12.3f", row[$0]?.auroc ?? .nan) }.joined()
            lines.append(
                method.padding(toLength: 20, withPad: " ", startingAt: 0) + cells
                    + String(format: "%.3f", meanAUROC[method] ?? .nan))
        }
        return lines.joined(separator: "\n")
    }
}
