// The vectorized C kernels against libm in Double, over their whole useful range.

import Foundation
import Testing

@testable import TensorCore

@Suite struct KernelAccuracyTests {
    static let grid: [Float] = stride(from: -87.0, through: 88.0, by: 0.0137).map { Float($0) }

    @Test func expWithinTwoUlp() {
        let x = Tensor(shape: [Self.grid.count], scalars: Self.grid)
        let fast = x.exp()
        for (index, value) in Self.grid.enumerated() {
            let exact = Foundation.exp(Double(value))
            let error = Swift.abs(Double(fast[flat: index]) - exact) / exact
            #expect(error < 2.5e-7, "exp(\(value))")
        }
    }

    @Test func sigmoidAndSoftplusMatchLibm() {
        let values = stride(from: -40.0, through: 40.0, by: 0.0093).map { Float($0) }
        let x = Tensor(shape: [values.count], scalars: values)
        let sigmoid = x.sigmoid()
        let softplus = x.softplus()
        for (index, value) in values.enumerated() {
            let v = Double(value)
            let s = 1 / (1 + Foundation.exp(-v))
            let p = Swift.max(v, 0) + Foundation.log1p(Foundation.exp(-Swift.abs(v)))
            #expect(
                Swift.abs(Double(sigmoid[flat: index]) - s) <= 3e-7 * Swift.max(s, 1e-30) + 1e-12,
                "σ(\(value))")
            #expect(
                Swift.abs(Double(softplus[flat: index]) - p) <= 3e-7 * Swift.max(p, 1), "softplus(\(value))")
        }
    }

    @Test func binaryCrossEntropyAndItsGradient() {
        let count = 5000
        let z = Philox(seed: 1).normal([count]) * 6
        let t = Philox(seed: 2).uniform([count])
        let g = Philox(seed: 3).normal([count])
        let loss = Tensor.binaryCrossEntropy(logits: z, targets: t)
        let residual = Tensor.logisticResidual(g, logits: z, targets: t)
        for index in 0..<count {
            let (x, y, w) = (Double(z[flat: index]), Double(t[flat: index]), Double(g[flat: index]))
            let exact = Swift.max(x, 0) - x * y + Foundation.log1p(Foundation.exp(-Swift.abs(x)))
            // max(z, 0) − z·t rounds like |z| in float: the bound scales with |z|.
            #expect(Swift.abs(Double(loss[flat: index]) - exact) <= 3e-7 * Swift.max(1, exact, Swift.abs(x)))
            let gradient = w * (1 / (1 + Foundation.exp(-x)) - y)
            #expect(
                Swift.abs(Double(residual[flat: index]) - gradient) <= 1e-6
                    * Swift.max(1, Swift.abs(gradient)))
        }
    }

    /// The finiteness check (the training step's divergence test) finds one NaN or ±∞ wherever
    /// it is — first, in a later block, in the tail — and passes huge and tiny finite values.
    @Test func allFiniteFindsEveryNonFiniteValue() {
        let count = 10_001
        var values = [Float](repeating: 1, count: count)
        values[17] = .greatestFiniteMagnitude
        values[18] = -.leastNonzeroMagnitude
        #expect(FlatKernels.allFinite(values, count: count))
        #expect(FlatKernels.allFinite(values, count: 0))
        for position in [0, 4095, 4096, 8200, count - 1] {
            for bad in [Float.nan, .infinity, -.infinity] {
                var poisoned = values
                poisoned[position] = bad
                #expect(!FlatKernels.allFinite(poisoned, count: count), "\(bad) at \(position)")
            }
        }
    }
}
