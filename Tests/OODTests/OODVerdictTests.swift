// Bootstrap intervals against a case enumerated by hand, calibration thresholds and flags, and
// the OOD runner's handling of input complexity for a decoder that does not model 8-bit values.

import Foundation
import Runs
import TensorCore
import Testing
import VAEKitTestSupport

@testable import OOD

@Suite struct BootstrapIntervalTests {
    /// One in-distribution score 0 and OOD scores {1, −1}: a resample of the OOD pair is {1, 1}
    /// (AUROC 1) with probability ¼, mixed (½) with ½, {−1, −1} (0) with ¼ — so the 95 % interval
    /// is [0, 1] and the resampled AUROCs average ½.
    @Test func matchesTheEnumeratedDistribution() throws {
        let draws = Draws(seed: 9, .bootstrap, split: DrawSplit("hand"))
        let samples = try DetectionMetrics.bootstrap(
            inDistribution: [0], outOfDistribution: [1, -1], resamples: 4000, draws: draws)
        let share = { (value: Double) in Double(samples.filter { $0.auroc == value }.count) / 4000 }
        #expect(abs(share(1) - 0.25) < 0.03)
        #expect(abs(share(0.5) - 0.5) < 0.03)
        #expect(abs(share(0) - 0.25) < 0.03)
        let intervals = try DetectionMetrics.intervals(
            inDistribution: [0], outOfDistribution: [1, -1], resamples: 4000, draws: draws)
        #expect(intervals.auroc == MetricInterval(lower: 0, upper: 1))
        #expect(intervals.resamples == 4000 && intervals.level == 0.95)
        // Seeded: the same draws give the same interval; separated sets give [1, 1].
        #expect(
            try DetectionMetrics.intervals(
                inDistribution: [0], outOfDistribution: [1, -1], resamples: 4000, draws: draws) == intervals)
        let separated = try DetectionMetrics.intervals(
            inDistribution: [0, 0.2, 0.1], outOfDistribution: [3, 4], resamples: 200, draws: draws)
        #expect(separated.auroc == MetricInterval(lower: 1, upper: 1))
    }

    @Test func percentilesInterpolateLikeNumpy() {
        // numpy.percentile([1, 2, 3, 4], [2.5, 50, 97.5]) = [1.075, 2.5, 3.925]
        let sorted = [1.0, 2, 3, 4]
        #expect(abs(DetectionMetrics.percentile(sorted, 0.025) - 1.075) < 1e-12)
        #expect(abs(DetectionMetrics.percentile(sorted, 0.5) - 2.5) < 1e-12)
        #expect(abs(DetectionMetrics.percentile(sorted, 0.975) - 3.925) < 1e-12)
    }
}

@Suite struct CalibrationTests {
    static func example(_ index: Int, _ regret: Double) -> OODExampleScores {
        OODExampleScores(
            index: index, label: 0, negativeLogLikelihood: 100 - regret, regret: regret, inputComplexity: nil,
            likelihoodRatio: nil)
    }

    /// Calibration regrets 1…100 at 95 %: the threshold is their 0.95-quantile, 95.05; an image
    /// is flagged when its score is above it.
    @Test func thresholdsAreCalibrationQuantilesAndFlagsCompareAgainstThem() {
        let calibration = (1...100).map { CalibrationTests.example($0, Double($0)) }
        var results = [
            "test": [CalibrationTests.example(0, 50), CalibrationTests.example(1, 96)],
            "noise": [CalibrationTests.example(0, 95), CalibrationTests.example(1, 200)],
        ]
        let verdict = OODRunner.calibrate(calibration, rate: 0.95, source: "hand", results: &results)
        #expect(abs((verdict.thresholds["likelihood_regret"] ?? 0) - 95.05) < 1e-9)
        #expect(verdict.thresholds["input_complexity"] == nil)
        #expect(results["test"]?.map { $0.flagged?["likelihood_regret"] } == [false, true])
        #expect(results["noise"]?.map { $0.flagged?["likelihood_regret"] } == [false, true])
        // IWAE NLL = 100 − regret: its threshold is the 95 % quantile of 0…99.
        #expect(abs((verdict.thresholds["iwae_nll"] ?? 0) - 94.05) < 1e-9)
        #expect(results["test"]?.map { $0.flagged?["iwae_nll"] } == [false, false])
    }
}

@Suite struct OODRunnerTests {
    /// A Bernoulli model: input complexity is reported as not applicable (no number), every
    /// other method has metrics and intervals, and `--flag-at-tpr` calibrates on test images
    /// after the scored ones.
    @Test func bernoulliModelLeavesInputComplexityOutAndFlagsImages() throws {
        let (train, test) = try TinyRun.fashionMNIST(train: 200, test: 40)
        let tiny = try TinyRun(
            "ood-runner", train: train, test: test,
            yaml:
                "name: ood\nmodel:\n  latent: 4\n  hidden: [32]\ntraining:\n  epochs: 1\n  batch_size: 50\n  evaluate_every: 0\n"
        )
        try tiny.trainer().train(resume: false)
        let runner = tiny.oodRunner(count: 8, samples: 4, steps: 2, resamples: 50)
        runner.flagAtTruePositiveRate = 0.9
        runner.calibrationCount = 10
        let report = try #require(try runner.score(inDistribution: "test", outOfDistribution: ["noise"]))
        #expect(report.notApplicable?["input_complexity"]?.contains("8-bit") == true)
        #expect(report.metrics["input_complexity"] == nil)
        #expect(report.scores["test"]?.allSatisfy { $0.inputComplexity == nil } == true)
        #expect(report.methods == [.likelihoodRegret, .iwaeNLL])
        #expect(report.intervals?["likelihood_regret"]?["noise"] != nil)
        #expect(report.calibration?.count == 10 && report.calibration?.source == "test images 8..<18")
        #expect(report.scores["noise"]?.allSatisfy { $0.flagged?["likelihood_regret"] != nil } == true)
        #expect(report.scores["calibration"] == nil)
        #expect(report.table.contains("input_complexity: not applicable"))
    }
}
