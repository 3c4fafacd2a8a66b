// The study statistics against SciPy 1.10 (Debian 12's python3-scipy): t tails and quantiles,
// the 95 % interval of a mean, and Welch's test with its degrees of freedom.

import Testing

@testable import Experiments

@Suite struct SampleStatisticsTests {
    @Test func studentTailsMatchSciPy() {
        // scipy.stats.t.sf(t, df)
        for (t, df, expected) in [
            (2.0, 3.0, 0.06966298427942152), (0.5, 1.5, 0.34028355533497),
            (10.0, 7.3, 8.050127600740506e-06),
        ] {
            let value = StudentT.upperTail(t, degreesOfFreedom: df)
            #expect(
                abs(value - expected) <= 1e-10 * max(1, expected / 1e-6), "t = \(t), df = \(df): \(value)")
        }
        #expect(abs(StudentT.cdf(-2, degreesOfFreedom: 3) - 0.06966298427942152) < 1e-12)
    }

    @Test func studentQuantilesMatchSciPy() {
        // scipy.stats.t.ppf(0.975, df)
        for (df, expected) in [
            (2.0, 4.302652729749462), (4.0, 2.7764451051977934), (30.0, 2.0422724563012378),
        ] {
            #expect(abs(StudentT.quantile(0.975, degreesOfFreedom: df) - expected) < 1e-9, "df = \(df)")
        }
        #expect(StudentT.quantile(0.5, degreesOfFreedom: 5).magnitude < 1e-12)
    }

    @Test func summaryHasTheTInterval() {
        let summary = SampleSummary([1, 2, 4])
        #expect(abs(summary.mean - 2.3333333333333335) < 1e-14)
        #expect(abs(summary.standardDeviation - 1.5275252316519465) < 1e-14)
        #expect(abs((summary.interval95 ?? 0) - 3.7945830335967594) < 1e-9)
        #expect(SampleSummary([5]).interval95 == nil)
        #expect(SampleSummary([5]).standardDeviation == 0)
        // Equal values: no spread and no test, even where their mean rounds.
        let equal = SampleSummary([7.600902459542082, 7.600902459542082, 7.600902459542082])
        #expect(equal.standardDeviation == 0 && equal.interval95 == 0)
    }

    @Test func welchMatchesSciPy() throws {
        // scipy.stats.ttest_ind(b, a, equal_var=False) and the Welch–Satterthwaite df.
        let a = [0.039, 0.051, 0.028]
        let b = [0.023, 0.021, 0.025, 0.022]
        let test = try #require(WelchTest(a, b))
        #expect(abs(test.t - -2.4764962985394456) < 1e-10)
        #expect(abs(test.degreesOfFreedom - 2.066290996458602) < 1e-10)
        #expect(abs(test.p - 0.12762450868597094) < 1e-9)
        #expect(abs(test.difference - (0.02275 - 0.0393333333333333)) < 1e-12)
        #expect(WelchTest([1], [2, 3]) == nil)
        #expect(WelchTest([1, 1], [2, 2]) == nil)
    }
}
