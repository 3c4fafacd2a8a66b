// Tensor storage semantics and the elementwise, reduction and data-movement kernels against
// direct definitions.

import Glibc
import Testing

@testable import TensorCore

@Suite struct TensorTests {
    @Test func copyOnWrite() {
        let a = Tensor(shape: [3], scalars: [1, 2, 3])
        var b = a
        b[flat: 0] = 10
        #expect(a.scalars == [1, 2, 3])
        #expect(b.scalars == [10, 2, 3])
    }

    @Test func viewsWriteThrough() {
        let storage = TensorStorage(count: 6, repeating: 0)
        var view = Tensor(viewing: storage, offset: 2, shape: [2, 2])
        view[flat: 3] = 7
        #expect(storage.pointer[5] == 7)
        #expect(Tensor(viewing: storage, offset: 0, shape: [6]).scalars == [0, 0, 0, 0, 0, 7])
    }

    @Test func broadcastingMatchesDefinition() {
        let a = Philox(seed: 1).normal([2, 3, 4])
        // Leading ones ([1, 4], [1, 1, 4], [1, 3, 4]) take the contiguous fast path, either side.
        for bShape in [
            [4], [3, 1], [1, 4], [2, 1, 4], [1], [2, 3, 1], [1, 1, 4], [1, 3, 4], [1, 1, 1],
        ] {
            let b = Philox(seed: 2).normal(bShape)
            let sum = a + b
            #expect((b + a).scalars == sum.scalars, "\(bShape), small side first")
            let bStrides = Tensor.broadcastStrides(bShape, to: [2, 3, 4])
            for i in 0..<2 {
                for j in 0..<3 {
                    for k in 0..<4 {
                        let expected =
                            a[flat: (i * 3 + j) * 4 + k]
                            + b[flat: i * bStrides[0] + j * bStrides[1] + k * bStrides[2]]
                        #expect(sum[flat: (i * 3 + j) * 4 + k] == expected, "\(bShape)")
                    }
                }
            }
            // The adjoint: summing back to b's shape.
            #expect(Tensor.ones([2, 3, 4]).sum(toShape: bShape).sum() == 24)
        }
    }

    @Test func reductions() {
        let x = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
        #expect(x.sum(alongAxes: [0]).scalars == [5, 7, 9])
        #expect(x.sum(alongAxes: [1]).scalars == [6, 15])
        #expect(x.sum(alongAxes: [0, 1]).scalars == [21])
        #expect(x.max(alongAxis: 1).scalars == [3, 6])
        #expect(x.sum(alongAxes: [1], keepingAxes: true).shape == [2, 1])
    }

    @Test func logSumExpIsStable() {
        let x = Tensor(shape: [2, 2], scalars: [1000, 1000, -1000, -1001])
        let lse = x.logSumExp(alongAxis: 1).scalars
        #expect(Swift.abs(lse[0] - (1000 + logf(2))) < 1e-3)
        #expect(Swift.abs(lse[1] - (-1000 + log1pf(expf(-1)))) < 1e-3)
        let empty = Tensor(shape: [1, 2], scalars: [-.infinity, -.infinity]).logSumExp(alongAxis: 1)
        #expect(empty.scalar == -.infinity)
    }

    @Test func permuteMatchesDefinition() {
        let x = Philox(seed: 3).normal([2, 3, 4])
        let y = x.permuted([2, 0, 1])
        #expect(y.shape == [4, 2, 3])
        for i in 0..<2 {
            for j in 0..<3 {
                for k in 0..<4 {
                    #expect(y[flat: (k * 2 + i) * 3 + j] == x[flat: (i * 3 + j) * 4 + k])
                }
            }
        }
        let big = Philox(seed: 4).normal([3, 40, 70])
        let swapped = big.permuted([0, 2, 1])
        #expect(swapped.permuted([0, 2, 1]).scalars == big.scalars)
        #expect(swapped[flat: (1 * 70 + 65) * 40 + 33] == big[flat: (1 * 40 + 33) * 70 + 65])
    }

    @Test func sliceConcatenatePad() {
        let x = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
        #expect(x.slice(alongAxis: 1, start: 1, length: 2).scalars == [2, 3, 5, 6])
        #expect(x.padded(alongAxis: 1, before: 1, after: 0).scalars == [0, 1, 2, 3, 0, 4, 5, 6])
        let joined = Tensor.concatenate([x, x.slice(alongAxis: 1, start: 0, length: 1)], alongAxis: 1)
        #expect(joined.scalars == [1, 2, 3, 1, 4, 5, 6, 4])
        #expect(Tensor.concatenate([x, x], alongAxis: 0).shape == [4, 3])
    }

    @Test func stableElementwiseFunctions() {
        let x = Tensor(shape: [4], scalars: [-100, -1, 1, 100])
        #expect(x.sigmoid().scalars.allSatisfy { $0.isFinite && $0 >= 0 && $0 <= 1 })
        #expect(x.softplus().scalars[3] == 100)
        #expect(x.softplus().scalars[0] > 0)
        #expect(Swift.abs(x.softplus().scalars[2] - log1pf(expf(1))) < 1e-6)
    }

    /// Sums along the last axis take sixteen partial sums per row: the same sums (to rounding)
    /// as the generic reduction, with and without the kept axis, for rows with and without a tail.
    @Test func lastAxisSumsMatchTheDefinition() {
        for shape in [[3, 37], [2, 5, 100], [4, 16], [6, 0], [7]] {
            let x = Draws(seed: 3, .benchmark).generator(shape.count).normal(shape)
            let extent = shape[shape.count - 1]
            let rows = x.count / max(extent, 1)
            let sums = x.sum(alongAxes: [shape.count - 1])
            #expect(sums.shape == Array(shape.dropLast()))
            #expect(x.sum(alongAxes: [shape.count - 1], keepingAxes: true).shape == shape.dropLast() + [1])
            for row in 0..<(extent == 0 ? sums.count : rows) {
                let exact = (0..<extent).reduce(0.0) { $0 + Double(x[flat: row * extent + $1]) }
                #expect(abs(Double(sums[flat: row]) - exact) <= 1e-5 * max(1, Double(extent).squareRoot()))
            }
        }
    }
}
