// `ood.json`: every image's scores and verdicts, and each method's metrics with bootstrap
// intervals. One table of methods (`OODMethod`) names them for the file, the console and the
// report.

import Foundation
import Runs
import Storage
import TensorCore

/// The OOD scores VAEKit computes; higher means more OOD for all of them.
public enum OODMethod: String, CaseIterable, Codable, Sendable {
    case likelihoodRegret = "likelihood_regret"
    case iwaeNLL = "iwae_nll"
    case inputComplexity = "input_complexity"
    case likelihoodRatio = "likelihood_ratio"

    /// The name in tables and figures.
    public var displayName: String {
        switch self {
        case .likelihoodRegret: return "Likelihood Regret"
        case .iwaeNLL: return "IWAE NLL"
        case .inputComplexity: return "input complexity"
        case .likelihoodRatio: return "likelihood ratio"
        }
    }

    /// The unit of its scores.
    public var unit: String { self == .inputComplexity ? "bits" : "nats" }

    /// An image's score by this method; nil where it was not computed.
    public func score(_ scores: OODExampleScores) -> Double? {
        switch self {
        case .likelihoodRegret: return scores.regret
        case .iwaeNLL: return scores.negativeLogLikelihood
        case .inputComplexity: return scores.inputComplexity
        case .likelihoodRatio: return scores.likelihoodRatio
        }
    }
}

/// One image's scores.
public struct OODExampleScores: Codable, Equatable, Sendable {
    /// Index in its set.
    public var index: Int
    /// Its label in its set (-1 when unlabelled).
    public var label: Int64?
    /// IWAE −log p̂(x) (nats).
    public var negativeLogLikelihood: Double
    /// Likelihood Regret (nats).
    public var regret: Double
    /// Input complexity: NLL in bits minus the PNG length in bits; nil for decoders whose
    /// likelihood is not over 8-bit pixel values.
    public var inputComplexity: Double?
    /// Likelihood ratio: NLL(model) − NLL(background) (nats); nil without a background model.
    public var likelihoodRatio: Double?
    /// Flagged as OOD, by method (with `--flag-at-tpr`): the score is above the method's threshold.
    public var flagged: [String: Bool]?
}

/// The thresholds of per-image verdicts, from in-distribution calibration images not scored.
public struct OODCalibration: Codable, Equatable, Sendable {
    /// Where the calibration images came from.
    public var source: String
    /// Calibration images.
    public var count: Int
    /// The share of in-distribution images a threshold keeps below it (e.g. 0.95).
    public var truePositiveRate: Double
    /// Threshold per method: an image whose score is above it is flagged OOD.
    public var thresholds: [String: Double]
}

/// `ood.json`: per-example scores of every set and the metrics of every method.
public struct OODReport: Codable, Sendable, VersionedJSON {
    /// The format this build writes and reads; another is refused by name.
    public static let currentFormat = "vaekit-ood-3"
    /// Format tag.
    public var format = Self.currentFormat
    /// The checkpoint scored: relative to the run folder when inside it, else absolute.
    public var checkpoint: String
    /// The in-distribution set's name.
    public var inDistribution: String
    /// The file the in-distribution images came from (the run's `data.test`), when it is the run's
    /// test set.
    public var inDistributionFile: String?
    /// The background run of the likelihood ratio (`--background`), as given.
    public var background: String?
    /// Sets in order, first the in-distribution one.
    public var order: [String]
    /// Per-example scores by set.
    public var scores: [String: [OODExampleScores]]
    /// metrics[method][OOD set].
    public var metrics: [String: [String: DetectionMetrics]]
    /// intervals[method][OOD set]: bootstrap percentile intervals.
    public var intervals: [String: [String: DetectionIntervals]]?
    /// Methods not computed for this model, with the reason.
    public var notApplicable: [String: String]?
    /// Mean AUROC of each method over the OOD sets.
    public var meanAUROC: [String: Double]
    /// The verdicts' thresholds (with `--flag-at-tpr`).
    public var calibration: OODCalibration?
    /// Refit steps of Likelihood Regret.
    public var steps: Int
    /// K of the IWAE estimates.
    public var importanceSamples: Int
    /// Ranks that scored.
    public var ranks: Int
    /// Throughput (all sets, both IWAE estimates and the refit included).
    public var imagesPerSecond: Double

    /// Metrics and intervals of every method with scores, for every set after the first.
    init(
        checkpoint: String, inDistribution: String, results: [String: [OODExampleScores]], order: [String],
        settings: RegretSettings, ranks: Int, imagesPerSecond: Double, notApplicable: [String: String],
        calibration: OODCalibration?, resamples: Int, seed: UInt64, inDistributionFile: String? = nil
    ) throws {
        self.checkpoint = checkpoint
        self.inDistribution = inDistribution
        self.inDistributionFile = inDistributionFile
        self.order = order
        scores = results
        steps = settings.steps
        importanceSamples = settings.importanceSamples
        self.ranks = ranks
        self.imagesPerSecond = imagesPerSecond
        self.notApplicable = notApplicable.isEmpty ? nil : notApplicable
        self.calibration = calibration
        var metrics: [String: [String: DetectionMetrics]] = [:]
        var intervals: [String: [String: DetectionIntervals]] = [:]
        var means: [String: Double] = [:]
        let inScores = results[inDistribution] ?? []
        for method in OODMethod.allCases {
            let inValues = inScores.compactMap(method.score)
            guard !inValues.isEmpty else { continue }
            var table: [String: DetectionMetrics] = [:]
            var bounds: [String: DetectionIntervals] = [:]
            for name in order.dropFirst() {
                let outValues = (results[name] ?? []).compactMap(method.score)
                table[name] = try DetectionMetrics(inDistribution: inValues, outOfDistribution: outValues)
                bounds[name] = try DetectionMetrics.intervals(
                    inDistribution: inValues, outOfDistribution: outValues, resamples: resamples,
                    draws: Draws(seed: seed, .bootstrap, split: DrawSplit("\(method.rawValue):\(name)")))
            }
            metrics[method.rawValue] = table
            intervals[method.rawValue] = bounds
            means[method.rawValue] = table.values.map(\.auroc).reduce(0, +) / Double(max(table.count, 1))
        }
        self.metrics = metrics
        self.intervals = intervals
        meanAUROC = means
    }

    /// The methods with metrics, in the table's order.
    public var methods: [OODMethod] { OODMethod.allCases.filter { metrics[$0.rawValue] != nil } }

    /// AUROC with its interval per method (rows) and OOD set (columns), the mean, the methods
    /// not applicable, and the verdicts' detection rates.
    public var table: String {
        let sets = Array(order.dropFirst())
        let width = max(23, (order.map(\.count).max() ?? 0) + 2)
        let pad = { (text: String, count: Int) in text.padding(toLength: count, withPad: " ", startingAt: 0) }
        var lines = [
            "AUROC [95 % bootstrap interval] (OOD positive; \(scores[inDistribution]?.count ?? 0) in-distribution images"
                + (inDistributionFile.map { " of \(displayPath($0))" } ?? "") + ")"
        ]
        lines.append(pad("method", 20) + sets.map { pad($0, width) }.joined() + "mean")
        for method in methods {
            let row = metrics[method.rawValue] ?? [:]
            let cells = sets.map { set -> String in
                let value = row[set]?.auroc ?? .nan
                guard let interval = intervals?[method.rawValue]?[set]?.auroc else {
                    return pad(decimal(value), width)
                }
                return pad(
                    "\(decimal(value)) [\(decimal(interval.lower)), \(decimal(interval.upper))]", width)
            }
            lines.append(
                pad(method.rawValue, 20) + cells.joined() + decimal(meanAUROC[method.rawValue] ?? .nan))
        }
        for (method, reason) in (notApplicable ?? [:]).sorted(by: { $0.key < $1.key }) {
            lines.append("\(method): not applicable — \(reason)")
        }
        if let calibration {
            lines.append(
                "flagged as OOD at \(decimal(calibration.truePositiveRate * 100, decimals: 0)) % TPR "
                    + "(thresholds from \(calibration.count) calibration images, \(calibration.source)):")
            lines.append(pad("method", 20) + order.map { pad($0, width) }.joined())
            for method in methods {
                guard calibration.thresholds[method.rawValue] != nil else { continue }
                let cells = order.map { set -> String in
                    let flags = (scores[set] ?? []).compactMap { $0.flagged?[method.rawValue] }
                    let share = Double(flags.filter { $0 }.count) / Double(max(flags.count, 1))
                    return pad("\(decimal(share * 100, decimals: 1)) %", width)
                }
                lines.append(pad(method.rawValue, 20) + cells.joined())
            }
            lines.append(
                "(the in-distribution column is the false-alarm rate, the others the detection rate)")
        }
        return lines.joined(separator: "\n")
    }
}

/// A number with `decimals` digits after the point.
private func decimal(_ value: Double, decimals: Int = 3) -> String {
    String(format: "%.\(decimals)f", value)
}
