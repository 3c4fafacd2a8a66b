// Out-of-distribution detection metrics with OOD as the positive class and higher scores meaning
// "more OOD" (the Likelihood Regret paper's convention): AUROC, AUPRC (average precision) and the
// false-positive rate at a given true-positive rate. Ties between scores are handled exactly:
// thresholds are placed only between distinct scores.

/// Detection metrics of one OOD set against the in-distribution set.
public struct DetectionMetrics: Equatable, Sendable, Codable {
    /// Area under the ROC curve: P(s_ood > s_in) + ½ P(s_ood = s_in).
    public var auroc: Double
    /// Average precision: Σ_k (R_k − R_{k−1}) P_k over the distinct thresholds.
    public var auprc: Double
    /// The smallest false-positive rate among thresholds reaching 80 % true positives.
    public var fprAt80: Double
    /// The same at 95 % true positives.
    public var fprAt95: Double

    /// Metrics with the given values.
    public init(auroc: Double, auprc: Double, fprAt80: Double, fprAt95: Double) {
        self.auroc = auroc
        self.auprc = auprc
        self.fprAt80 = fprAt80
        self.fprAt95 = fprAt95
    }
}

/// Why metrics cannot be computed.
public enum MetricsError: Error, CustomStringConvertible, Equatable {
    /// One of the two sets is empty (a single class).
    case singleClass(inDistribution: Int, outOfDistribution: Int)
    /// A score is NaN.
    case notANumber

    /// A sentence saying what is wrong.
    public var description: String {
        switch self {
        case .singleClass(let inCount, let outCount):
            return "metrics need both classes: \(inCount) in-distribution and \(outCount) OOD scores"
        case .notANumber: return "a score is NaN"
        }
    }
}

extension DetectionMetrics {
    /// Metrics of `outOfDistribution` scores (positives) against `inDistribution` ones.
    public init(inDistribution: [Double], outOfDistribution: [Double]) throws {
        guard !inDistribution.isEmpty, !outOfDistribution.isEmpty else {
            throw MetricsError.singleClass(
                inDistribution: inDistribution.count, outOfDistribution: outOfDistribution.count)
        }
        guard !(inDistribution + outOfDistribution).contains(where: \.isNaN) else {
            throw MetricsError.notANumber
        }
        let positives = Double(outOfDistribution.count)
        let negatives = Double(inDistribution.count)
        var auroc = 0.0
        var averagePrecision = 0.0
        var fpr80 = 1.0
        var fpr95 = 1.0
        for step in DetectionMetrics.thresholdSweep(
            inDistribution: inDistribution, outOfDistribution: outOfDistribution)
        {
            let (truePositives, falsePositives) = (step.truePositives, step.falsePositives)
            // ROC: trapezoid over the step (a tie block contributes half of its rectangle).
            auroc += step.negatives * (truePositives - step.positives / 2)
            if step.positives > 0 {
                averagePrecision +=
                    (step.positives / positives) * (truePositives / (truePositives + falsePositives))
            }
            let tpr = truePositives / positives
            let fpr = falsePositives / negatives
            if tpr >= 0.8 { fpr80 = min(fpr80, fpr) }
            if tpr >= 0.95 { fpr95 = min(fpr95, fpr) }
        }
        self.init(
            auroc: auroc / (positives * negatives), auprc: averagePrecision, fprAt80: fpr80, fprAt95: fpr95)
    }
}

/// One threshold of the sweep from the highest score down (each distinct score is one step).
public struct ThresholdStep: Sendable, Equatable {
    /// OOD scores at exactly this threshold.
    public var positives: Double
    /// In-distribution scores at exactly this threshold.
    public var negatives: Double
    /// OOD scores at or above it.
    public var truePositives: Double
    /// In-distribution scores at or above it.
    public var falsePositives: Double
}

extension DetectionMetrics {
    /// The threshold sweep over `outOfDistribution` scores (positives) against `inDistribution`
    /// ones, higher = more OOD; NaN scores are left out.
    public static func thresholdSweep(inDistribution: [Double], outOfDistribution: [Double])
        -> [ThresholdStep]
    {
        let labelled = (outOfDistribution.map { ($0, true) } + inDistribution.map { ($0, false) })
            .filter { !$0.0.isNaN }.sorted { $0.0 > $1.0 }
        var steps: [ThresholdStep] = []
        var (truePositives, falsePositives) = (0.0, 0.0)
        var index = 0
        while index < labelled.count {
            let score = labelled[index].0
            var (positives, negatives) = (0.0, 0.0)
            while index < labelled.count && labelled[index].0 == score {
                if labelled[index].1 { positives += 1 } else { negatives += 1 }
                index += 1
            }
            truePositives += positives
            falsePositives += negatives
            steps.append(
                ThresholdStep(
                    positives: positives, negatives: negatives, truePositives: truePositives,
                    falsePositives: falsePositives))
        }
        return steps
    }

    /// The ROC curve: (false-positive rate, true-positive rate) at every distinct threshold, from
    /// (0, 0) to (1, 1).
    public static func rocCurve(inDistribution: [Double], outOfDistribution: [Double]) -> [(
        x: Double, y: Double
    )] {
        let positives = Double(max(outOfDistribution.count, 1))
        let negatives = Double(max(inDistribution.count, 1))
        let steps = thresholdSweep(inDistribution: inDistribution, outOfDistribution: outOfDistribution)
        return [(0, 0)] + steps.map { ($0.falsePositives / negatives, $0.truePositives / positives) }
    }
}
