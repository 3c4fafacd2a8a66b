// Confidence intervals of the detection metrics by a seeded, stratified bootstrap over images:
// each resample draws the in-distribution and the OOD scores with replacement, each set at its
// own size, and recomputes the metrics; the interval is the 2.5 and 97.5 percentiles (linear
// interpolation between order statistics, numpy's default).

import TensorCore

/// A two-sided interval.
public struct MetricInterval: Codable, Equatable, Sendable {
    /// Lower end.
    public var lower: Double
    /// Upper end.
    public var upper: Double

    /// An interval.
    public init(lower: Double, upper: Double) {
        self.lower = lower
        self.upper = upper
    }
}

/// Percentile intervals of AUROC, AUPRC and FPR at 95 % TPR.
public struct DetectionIntervals: Codable, Equatable, Sendable {
    /// AUROC's interval.
    public var auroc: MetricInterval
    /// AUPRC's interval.
    public var auprc: MetricInterval
    /// FPR at 95 % TPR's interval.
    public var fprAt95: MetricInterval
    /// Bootstrap resamples.
    public var resamples: Int
    /// Coverage, e.g. 0.95.
    public var level: Double
}

extension DetectionMetrics {
    /// The metrics of `resamples` stratified bootstrap resamples; resample r draws from stream
    /// r of `draws`, so a (seed, set) pair always gives the same resamples.
    public static func bootstrap(
        inDistribution: [Double], outOfDistribution: [Double], resamples: Int, draws: Draws
    ) throws -> [DetectionMetrics] {
        let (n, m) = (inDistribution.count, outOfDistribution.count)
        return try (0..<resamples).map { r in
            let u = draws.generator(r).uniform([n + m]).scalars
            let inSample = (0..<n).map { inDistribution[min(n - 1, Int(Double(u[$0]) * Double(n)))] }
            let outSample = (0..<m).map { outOfDistribution[min(m - 1, Int(Double(u[n + $0]) * Double(m)))] }
            return try DetectionMetrics(inDistribution: inSample, outOfDistribution: outSample)
        }
    }

    /// Percentile intervals at `level` from the bootstrap of `bootstrap(...)`.
    public static func intervals(
        inDistribution: [Double], outOfDistribution: [Double], resamples: Int = 1000, level: Double = 0.95,
        draws: Draws
    ) throws -> DetectionIntervals {
        let samples = try bootstrap(
            inDistribution: inDistribution, outOfDistribution: outOfDistribution, resamples: resamples,
            draws: draws)
        let tail = (1 - level) / 2
        func interval(_ values: [Double]) -> MetricInterval {
            let sorted = values.sorted()
            return MetricInterval(lower: percentile(sorted, tail), upper: percentile(sorted, 1 - tail))
        }
        return DetectionIntervals(
            auroc: interval(samples.map(\.auroc)), auprc: interval(samples.map(\.auprc)),
            fprAt95: interval(samples.map(\.fprAt95)), resamples: resamples, level: level)
    }

    /// The q-quantile of sorted values, interpolating linearly between order statistics.
    public static func percentile(_ sorted: [Double], _ q: Double) -> Double {
        guard !sorted.isEmpty else { return .nan }
        let position = q * Double(sorted.count - 1)
        let below = min(Int(position.rounded(.down)), sorted.count - 1)
        let above = min(below + 1, sorted.count - 1)
        return sorted[below] + (position - Double(below)) * (sorted[above] - sorted[below])
    }
}
