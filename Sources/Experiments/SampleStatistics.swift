// Summaries of a study's per-seed values: mean, sample standard deviation, the 95 % confidence
// interval of the mean from Student's t, and Welch's two-sample t test with its
// Welch–Satterthwaite degrees of freedom and two-sided p-value. The t distribution is computed
// here (regularized incomplete beta by its continued fraction), checked in the tests against
// SciPy's values.

import Foundation

/// Mean and spread of one setting's values over seeds.
public struct SampleSummary: Codable, Sendable, Equatable {
    /// Values summarized (seeds).
    public var count: Int
    /// Arithmetic mean.
    public var mean: Double
    /// Sample standard deviation (n − 1 in the denominator); 0 for one value.
    public var standardDeviation: Double
    /// Half-width of the 95 % confidence interval of the mean, t_{0.975, n−1} · s / √n; nil for
    /// fewer than two values.
    public var interval95: Double?

    /// Summarizes `values` (non-finite values are not dropped: they make the summary NaN).
    public init(_ values: [Double]) {
        count = values.count
        mean = values.isEmpty ? .nan : values.reduce(0, +) / Double(values.count)
        guard values.count > 1 else {
            standardDeviation = 0
            interval95 = nil
            return
        }
        let mean = self.mean
        // Equal values have no spread (their computed mean may differ from them in the last bit).
        let variance =
            values.allSatisfy { $0 == values[0] }
            ? 0 : values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count - 1)
        standardDeviation = variance.squareRoot()
        interval95 =
            StudentT.quantile(0.975, degreesOfFreedom: Double(values.count - 1)) * standardDeviation
            / Double(values.count).squareRoot()
    }
}

/// Welch's unequal-variance t test of `b` against `a` (t > 0 when b's mean is larger).
public struct WelchTest: Codable, Sendable, Equatable {
    /// Mean of b − mean of a.
    public var difference: Double
    /// difference / √(s_a²/n_a + s_b²/n_b).
    public var t: Double
    /// Welch–Satterthwaite degrees of freedom.
    public var degreesOfFreedom: Double
    /// Two-sided p-value.
    public var p: Double

    /// The test; nil when either sample has fewer than two values or both have zero variance.
    public init?(_ a: [Double], _ b: [Double]) {
        guard a.count > 1, b.count > 1 else { return nil }
        let (sa, sb) = (SampleSummary(a), SampleSummary(b))
        let va = sa.standardDeviation * sa.standardDeviation / Double(a.count)
        let vb = sb.standardDeviation * sb.standardDeviation / Double(b.count)
        guard va + vb > 0, (va + vb).isFinite else { return nil }
        difference = sb.mean - sa.mean
        t = difference / (va + vb).squareRoot()
        degreesOfFreedom =
            (va + vb) * (va + vb) / (va * va / Double(a.count - 1) + vb * vb / Double(b.count - 1))
        p = 2 * StudentT.upperTail(abs(t), degreesOfFreedom: degreesOfFreedom)
    }
}

/// Student's t distribution.
enum StudentT {
    /// P(T > t) for t ≥ 0: ½ I_{ν/(ν+t²)}(ν/2, ½).
    static func upperTail(_ t: Double, degreesOfFreedom nu: Double) -> Double {
        guard t.isFinite else { return t > 0 ? 0 : 1 }
        // x and 1 − x computed separately: 1 − x is t²/(ν+t²), which a subtraction would round away.
        let tail =
            0.5
            * regularizedIncompleteBeta(nu / 2, 0.5, x: nu / (nu + t * t), complement: t * t / (nu + t * t))
        return t >= 0 ? tail : 1 - tail
    }

    /// P(T ≤ t).
    static func cdf(_ t: Double, degreesOfFreedom nu: Double) -> Double {
        1 - upperTail(t, degreesOfFreedom: nu)
    }

    /// The t with P(T ≤ t) = p, 0 < p < 1, by bisection on the CDF (to 1e-12).
    static func quantile(_ p: Double, degreesOfFreedom nu: Double) -> Double {
        guard p > 0, p < 1, nu > 0 else { return .nan }
        var (low, high) = (-1.0, 1.0)
        while cdf(low, degreesOfFreedom: nu) > p { low *= 2 }
        while cdf(high, degreesOfFreedom: nu) < p { high *= 2 }
        for _ in 0..<200 where high - low > 1e-12 * max(1, abs(low)) {
            let middle = (low + high) / 2
            if cdf(middle, degreesOfFreedom: nu) < p { low = middle } else { high = middle }
        }
        return (low + high) / 2
    }

    /// I_x(a, b) by the continued fraction (modified Lentz), using the symmetry
    /// I_x(a, b) = 1 − I_{1−x}(b, a) where the fraction converges slowly; `complement` is 1 − x.
    static func regularizedIncompleteBeta(_ a: Double, _ b: Double, x: Double, complement y: Double) -> Double
    {
        if x <= 0 { return 0 }
        if y <= 0 { return 1 }
        let logBeta = lgamma(a + b) - lgamma(a) - lgamma(b)
        let logFront = logBeta + a * log(x) + b * log(y)
        if x > (a + 1) / (a + b + 2) {
            return 1 - exp(logFront) * continuedFraction(b, a, x: y) / b
        }
        return exp(logFront) * continuedFraction(a, b, x: x) / a
    }

    private static func continuedFraction(_ a: Double, _ b: Double, x: Double) -> Double {
        let tiny = 1e-300
        var c = 1.0
        var d = 1 - (a + b) * x / (a + 1)
        d = 1 / (abs(d) < tiny ? tiny : d)
        var result = d
        for m in 1...500 {
            let m = Double(m)
            for step in 0..<2 {
                let numerator =
                    step == 0
                    ? m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
                    : -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
                d = 1 + numerator * d
                d = 1 / (abs(d) < tiny ? tiny : d)
                c = 1 + numerator / c
                if abs(c) < tiny { c = tiny }
                let delta = c * d
                result *= delta
                if step == 1, abs(delta - 1) < 1e-15 { return result }
            }
        }
        return result
    }
}
