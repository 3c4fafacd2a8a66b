// Detection metrics against cases computed by hand.

import OOD
import Testing

@Suite struct DetectionMetricsTests {
    @Test func perfectSeparation() throws {
        let metrics = try DetectionMetrics(inDistribution: [0.1, 0.2, 0.3], outOfDistribution: [0.8, 0.9])
        #expect(metrics == DetectionMetrics(auroc: 1, auprc: 1, fprAt80: 0, fprAt95: 0))
    }

    @Test func reversedScores() throws {
        // Every OOD score below every in-distribution one.
        let metrics = try DetectionMetrics(inDistribution: [5, 6], outOfDistribution: [1, 2])
        #expect(metrics.auroc == 0)
        #expect(metrics.fprAt80 == 1 && metrics.fprAt95 == 1)
        // Positives found only after both negatives: precision 1/3 then 2/4.
        #expect(abs(metrics.auprc - (0.5 * (1.0 / 3.0) + 0.5 * 0.5)) < 1e-12)
    }

    @Test func handComputedMixedCase() throws {
        // Sorted: 0.9 (ood), 0.8 (in), 0.7 (ood), 0.6 (ood), 0.5 (in), 0.4 (in).
        // Pairs with ood > in: 0.9 beats 3, 0.7 beats 2, 0.6 beats 2 → 7 of 9.
        let metrics = try DetectionMetrics(
            inDistribution: [0.8, 0.5, 0.4], outOfDistribution: [0.9, 0.7, 0.6])
        #expect(abs(metrics.auroc - 7.0 / 9.0) < 1e-12)
        // AP = (1/3)(1/1) + (1/3)(2/3) + (1/3)(3/4).
        #expect(abs(metrics.auprc - (1.0 + 2.0 / 3.0 + 0.75) / 3.0) < 1e-12)
        // TPR ≥ 0.8 first at threshold 0.6 (3/3 found) with 1 of 3 negatives above: FPR 1/3.
        #expect(abs(metrics.fprAt80 - 1.0 / 3.0) < 1e-12)
        #expect(abs(metrics.fprAt95 - 1.0 / 3.0) < 1e-12)
    }

    @Test func tiesCountHalf() throws {
        // One OOD and one in-distribution score tied, one OOD clearly higher.
        let metrics = try DetectionMetrics(inDistribution: [0.5, 0.1], outOfDistribution: [0.5, 0.9])
        // Pairs: 0.9 > both (2), 0.5 vs 0.5 tie (½), 0.5 > 0.1 (1) → 3.5 of 4.
        #expect(abs(metrics.auroc - 3.5 / 4.0) < 1e-12)
        // Thresholds only between distinct scores: at 0.5 both the tied OOD and in-distribution
        // examples enter together: precision 2/3 there.
        #expect(abs(metrics.auprc - (0.5 * 1.0 + 0.5 * (2.0 / 3.0))) < 1e-12)
        #expect(abs(metrics.fprAt95 - 0.5) < 1e-12)
    }

    @Test func constantScoresAreChance() throws {
        let metrics = try DetectionMetrics(inDistribution: [3, 3, 3], outOfDistribution: [3, 3])
        #expect(metrics.auroc == 0.5)
        #expect(abs(metrics.auprc - 0.4) < 1e-12)  // the positive fraction
        #expect(metrics.fprAt80 == 1 && metrics.fprAt95 == 1)
    }

    @Test func singleClassAndNaNAreRefused() {
        #expect(throws: MetricsError.singleClass(inDistribution: 0, outOfDistribution: 2)) {
            try DetectionMetrics(inDistribution: [], outOfDistribution: [1, 2])
        }
        #expect(throws: MetricsError.singleClass(inDistribution: 2, outOfDistribution: 0)) {
            try DetectionMetrics(inDistribution: [1, 2], outOfDistribution: [])
        }
        #expect(throws: MetricsError.notANumber) {
            try DetectionMetrics(inDistribution: [1, .nan], outOfDistribution: [2])
        }
    }
}
