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
        // Sweep thresholds from the highest score down; each distinct score is one step.
        let labelled = (outOfDistribution.map { ($0, true) } + inDistribution.map { ($0, false) })
            .sorted { $0.0 > $1.0 }
        let positives = Double(outOfDistribution.count)
        let negatives = Double(inDistribution.count)
        var truePositives = 0.0
        var falsePositives = 0.0
        var auroc = 0.0
        var averagePrecision = 0.0
        var fpr80 = 1.0
        var fpr95 = 1.0
        var index = 0
        while index < labelled.count {
            let score = labelled[index].0
            var stepPositives = 0.0
            var stepNegatives = 0.0
            while index < labelled.count && labelled[index].0 == score {
                if labelled[index].1 { stepPositives += 1 } else { stepNegatives += 1 }
                index += 1
            }
            // ROC: trapezoid over the step (a tie block contributes half of its rectangle).
            auroc += stepNegatives * (truePositives + stepPositives / 2)
            truePositives += stepPositives
            falsePositives += stepNegatives
            if stepPositives > 0 {
                averagePrecision +=
                    (stepPositives / positives) * (truePositives / (truePositives + falsePositives))
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
