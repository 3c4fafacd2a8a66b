// Philox4x32-10 against the known-answer vectors of Random123 (kat_vectors), plus the
// properties VAEKit relies on: reproducibility, independence from how a draw is split, and the
// moments of the uniform and normal draws.

import Testing

@testable import TensorCore

@Suite struct PhiloxTests {
    @Test func knownAnswerVectors() {
        let zero = Philox.block(counter: (0, 0, 0, 0), key: (0, 0))
        #expect([zero.0, zero.1, zero.2, zero.3] == [0x6627_e8d5, 0xe169_c58d, 0xbc57_ac4c, 0x9b00_dbd8])
        let ones = Philox.block(
            counter: (0xffff_ffff, 0xffff_ffff, 0xffff_ffff, 0xffff_ffff), key: (0xffff_ffff, 0xffff_ffff))
        #expect([ones.0, ones.1, ones.2, ones.3] == [0x408f_276d, 0x41c8_3b0e, 0xa20b_c7c6, 0x6d54_51fd])
        let pi = Philox.block(
            counter: (0x243f_6a88, 0x85a3_08d3, 0x1319_8a2e, 0x0370_7344), key: (0xa409_3822, 0x299f_31d0))
        #expect([pi.0, pi.1, pi.2, pi.3] == [0xd16c_fe09, 0x94fd_cceb, 0x5001_e420, 0x2412_6ea1])
    }

    @Test func sameKeyGivesSameDraws() {
        let a = Philox(seed: 5, stream: 9).normal([1000])
        let b = Philox(seed: 5, stream: 9).normal([1000])
        #expect(a.scalars == b.scalars)
        let c = Philox(seed: 5, stream: 10).normal([1000])
        #expect(a.scalars != c.scalars)
    }

    @Test func drawsDoNotDependOnHowTheyAreSplit() {
        // Element e is a function of e alone: a draw of 100 equals two draws of 37 and 63, and
        // a draw starting at an odd offset equals the matching slice.
        let generator = Philox(seed: 3, stream: 1)
        for sample in [generator.uniform, generator.normal] {
            let whole = sample([100], 0).scalars
            let parts = sample([37], 0).scalars + sample([63], 37).scalars
            #expect(whole == parts)
            #expect(Array(whole[13..<20]) == sample([7], 13).scalars)
        }
    }

    @Test func uniformMoments() {
        let count = 1 << 20
        let values = Philox(seed: 1).uniform([count]).scalars
        let mean = values.reduce(0.0) { $0 + Double($1) } / Double(count)
        let variance = values.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(count)
        // Standard errors: 0.29/√n ≈ 2.8e-4 for the mean; allow 5σ.
        #expect(Swift.abs(mean - 0.5) < 1.5e-3)
        #expect(Swift.abs(variance - 1.0 / 12.0) < 1e-3)
        #expect(values.allSatisfy { $0 > 0 && $0 < 1 })
    }

    @Test func normalMoments() {
        let count = 1 << 20
        let values = Philox(seed: 2).normal([count]).scalars.map(Double.init)
        let mean = values.reduce(0, +) / Double(count)
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(count)
        let skew = values.reduce(0) { $0 + pow3($1 - mean) } / Double(count)
        let kurtosis = values.reduce(0) { $0 + pow3($1 - mean) * ($1 - mean) } / Double(count)
        #expect(Swift.abs(mean) < 5e-3)
        #expect(Swift.abs(variance - 1) < 1e-2)
        #expect(Swift.abs(skew) < 2e-2)
        #expect(Swift.abs(kurtosis - 3) < 5e-2)
    }

    @Test func streamsAreUncorrelated() {
        let a = Philox(seed: 8, stream: Philox.stream(1, 2)).normal([100_000]).scalars
        let b = Philox(seed: 8, stream: Philox.stream(1, 3)).normal([100_000]).scalars
        let correlation = zip(a, b).reduce(0.0) { $0 + Double($1.0) * Double($1.1) } / 100_000
        #expect(Swift.abs(correlation) < 0.02)
    }
}

private func pow3(_ x: Double) -> Double { x * x * x }
