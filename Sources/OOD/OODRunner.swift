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
    /// Per-image verdicts: the share of in-distribution calibration images each method's
    /// threshold keeps below it (nil: no verdicts).
    public var flagAtTruePositiveRate: Double?
    /// Calibration images for the thresholds: in-distribution test images after the scored ones.
    public var calibrationCount = 200
    /// Bootstrap resamples of the metrics' intervals.
    public var resamples = 1000
    /// Messages from rank 0.
    public var log: (String) -> Void = { print($0) }
    /// Whether rank 0 shows a progress display (images refitted, rate, ETA).
    public var showsProgress = true

    /// A runner for `run`.
    public init(run: RunDirectory, communicator: any Communicator) {
        self.run = run
        self.communicator = communicator
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
        var sets = try names.map { try OODSets.resolve($0, config: config, test: data.test, count: count) }
        var scoredNames = names
        var calibrationSource: String?
        if flagAtTruePositiveRate != nil {
            // In-distribution images not scored: test images from index `count` on, drawing in a
            // split of their own.
            let start = min(count, data.test.count)
            let end = min(data.test.count, start + calibrationCount)
            guard end > start else {
                throw ConfigError.mismatch(
                    "--flag-at-tpr needs calibration images after the \(start) scored test images; "
                        + "the test set has \(data.test.count)")
            }
            sets.append(data.test.subset(Array(start..<end)).withDrawSplit(DrawSplit("calibration")))
            scoredNames.append(OODRunner.calibrationName)
            calibrationSource = "test images \(start)..<\(end)"
        }
        // Input complexity compares −log₂ p(x) with a PNG code length: both must be over the
        // same 8-bit pixel values, which only the 256-way decoder models.
        var notApplicable: [String: String] = [:]
        if config.likelihood != .categorical256 {
            notApplicable[OODMethod.inputComplexity.rawValue] =
                "it compares −log₂ p(x) with the PNG code length of the 8-bit pixels; this model's "
                + "\(config.likelihood.name) decoder scores intensities, not the 8-bit values "
                + "(use model.likelihood: categorical256)"
        }
        let regret = LikelihoodRegret(model: model, config: config, settings: settings)
        var results: [String: [OODExampleScores]] = [:]
        let clock = ContinuousClock()
        let started = clock.now
        var scored = 0
        // Progress over rank 0's share of every set (the refit dominates the time).
        let shares = zip(scoredNames, sets).map { name, set in
            communicator.share(of: min(name == OODRunner.calibrationName ? set.count : count, set.count))
                .count
        }
        let progress = RefitProgress(
            ProgressDisplay(
                total: shares.reduce(0, +), label: "ood", unit: "img",
                enabled: showsProgress && communicator.isCoordinator))
        for (number, (name, set)) in zip(scoredNames, sets).enumerated() {
            let setStarted = clock.now
            let total = min(name == OODRunner.calibrationName ? set.count : count, set.count)
            let mine = Array(communicator.share(of: total))
            let scores = regret.scores(set, indices: mine, onBatch: progress.add)
            let bits = notApplicable.isEmpty ? InputComplexity.compressedBits(set.subset(mine)) : []
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
                    index: score.index, label: set.labels[score.index],
                    negativeLogLikelihood: score.negativeLogLikelihoodBefore, regret: score.regret,
                    inputComplexity: bits.isEmpty
                        ? nil : score.negativeLogLikelihoodBefore / 0.693_147_180_559_945_3 - bits[row],
                    likelihoodRatio: background.map { score.negativeLogLikelihoodBefore - $0[row] })
            }
            scored += local.count
            log(
                String(
                    format: "set %d/%d %@: %d images scored in %.1f s (rank 0's share: %d)", number + 1,
                    scoredNames.count, name, total, (clock.now - setStarted) / .seconds(1), local.count))
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
        var calibration: OODCalibration?
        if let rate = flagAtTruePositiveRate,
            let calibrationScores = results.removeValue(forKey: OODRunner.calibrationName)
        {
            calibration = OODRunner.calibrate(
                calibrationScores, rate: rate, source: calibrationSource ?? "", results: &results)
        }
        var report = try OODReport(
            checkpoint: path.hasPrefix(run.path + "/")
                ? String(path.dropFirst(run.path.count + 1))
                : URL(fileURLWithPath: path).standardizedFileURL.path,
            inDistribution: inDistribution, results: results, order: names,
            settings: settings, ranks: communicator.size, imagesPerSecond: totals[0] / max(elapsed, 1e-9),
            notApplicable: notApplicable, calibration: calibration, resamples: resamples, seed: config.seed,
            inDistributionFile: OODSets.isRunTestSet(inDistribution) ? config.data.test : nil)
        report.background = background?.path
        try AtomicFile.writeJSON(report, to: "\(run.path)/ood.json")
        log(report.table)
        log(
            String(
                format: "%.0f images in %.1f s (%.2f images/s, %@ on rank 0); wrote %@/ood.json", totals[0],
                elapsed, report.imagesPerSecond, peakMemoryText(), run.path))
        return report
    }

    /// The name the calibration images are scored under.
    static let calibrationName = "calibration"

    /// Thresholds from the calibration scores — per method, the `rate`-quantile (linear
    /// interpolation), so that `rate` of in-distribution images score at or below it — and every
    /// scored image's flag: score above the threshold.
    static func calibrate(
        _ calibrationScores: [OODExampleScores], rate: Double, source: String,
        results: inout [String: [OODExampleScores]]
    ) -> OODCalibration {
        var thresholds: [String: Double] = [:]
        for method in OODMethod.allCases {
            let values = calibrationScores.compactMap(method.score).sorted()
            guard !values.isEmpty else { continue }
            thresholds[method.rawValue] = DetectionMetrics.percentile(values, rate)
        }
        for (name, scores) in results {
            results[name] = scores.map { example in
                var flagged = example
                flagged.flagged = thresholds.reduce(into: [:]) { flags, entry in
                    if let method = OODMethod(rawValue: entry.key), let value = method.score(example) {
                        flags[entry.key] = value > entry.value
                    }
                }
                return flagged
            }
        }
        return OODCalibration(
            source: source, count: calibrationScores.count, truePositiveRate: rate, thresholds: thresholds)
    }
}

/// A progress display fed from the refit's worker threads.
final class RefitProgress: @unchecked Sendable {
    private let lock = NSLock()
    private let display: ProgressDisplay
    private var done = 0

    init(_ display: ProgressDisplay) { self.display = display }

    /// Counts `count` more images done.
    @Sendable func add(_ count: Int) {
        lock.lock()
        done += count
        display.update(done: done)
        lock.unlock()
    }
}
