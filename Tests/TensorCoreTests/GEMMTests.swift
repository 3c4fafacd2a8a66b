// sgemm through OpenBLAS against a naive triple loop, for every transpose combination and
// shapes that are not multiples of any kernel's block size.

import Testing

@testable import TensorCore

/// The product op(A)·op(B) by the definition, in Double.
func naiveMatmul(_ a: Tensor, _ b: Tensor, transposeA: Bool, transposeB: Bool) -> Tensor {
    let m = transposeA ? a.shape[1] : a.shape[0]
    let k = transposeA ? a.shape[0] : a.shape[1]
    let n = transposeB ? b.shape[0] : b.shape[1]
    var result = Tensor.zeros([m, n])
    for i in 0..<m {
        for j in 0..<n {
            var total: Double = 0
            for p in 0..<k {
                let x = transposeA ? a[flat: p * m + i] : a[flat: i * k + p]
                let y = transposeB ? b[flat: j * k + p] : b[flat: p * n + j]
                total += Double(x) * Double(y)
            }
            result[flat: i * n + j] = Float(total)
        }
    }
    return result
}

@Suite struct GEMMTests {
    /// (m, n, k); a single row, a single column and k = 1 take sgemv and the outer product.
    static let shapes: [(Int, Int, Int)] = [
        (1, 1, 1), (3, 5, 7), (17, 33, 65), (128, 31, 100), (64, 129, 257), (1, 37, 70), (45, 1, 33),
        (23, 19, 1),
    ]

    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func matchesNaiveProduct(transposeA: Bool, transposeB: Bool) {
        for (index, (m, n, k)) in GEMMTests.shapes.enumerated() {
            let generator = Philox(seed: 11, stream: UInt64(index))
            let a = generator.normal(transposeA ? [k, m] : [m, k])
            let b = generator.normal(transposeB ? [n, k] : [k, n], first: 1 << 40)
            let fast = Tensor.matmul(a, b, transposeA: transposeA, transposeB: transposeB)
            let slow = naiveMatmul(a, b, transposeA: transposeA, transposeB: transposeB)
            #expect(fast.shape == [m, n])
            // Float32 sums of k products of N(0,1) terms: error grows like √k · 2⁻²⁴ · √k.
            let tolerance = 1e-5 * Float(k)
            for i in 0..<fast.count {
                #expect(Swift.abs(fast[flat: i] - slow[flat: i]) <= tolerance, "(\(m),\(n),\(k)) at \(i)")
            }
        }
    }

    @Test func accumulatesWithBeta() {
        let a = Tensor(shape: [2, 2], scalars: [1, 2, 3, 4])
        let b = Tensor(shape: [2, 2], scalars: [5, 6, 7, 8])
        var c = Tensor(shape: [2, 2], scalars: [1, 1, 1, 1])
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    sgemm(
                        transposeA: false, transposeB: false, m: 2, n: 2, k: 2, alpha: 2,
                        a: pa.baseAddress!, b: pb.baseAddress!, beta: 1, c: pc.baseAddress!)
                }
            }
        }
        #expect(c.scalars == [39, 45, 87, 101])
    }

    /// The matrix-vector paths scale by α and accumulate into β·C as sgemm does.
    @Test(arguments: [(1, 3, 2), (3, 1, 2)])
    func vectorPathsScaleAndAccumulate(_ shape: (Int, Int, Int)) {
        let (m, n, k) = shape
        let a = Tensor(shape: [m, k], scalars: (0..<(m * k)).map { Float($0 + 1) })
        let b = Tensor(shape: [k, n], scalars: (0..<(k * n)).map { Float($0 + 2) })
        let product = naiveMatmul(a, b, transposeA: false, transposeB: false)
        var c = Tensor(shape: [m, n], repeating: 1)
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    sgemm(
                        transposeA: false, transposeB: false, m: m, n: n, k: k, alpha: 2,
                        a: pa.baseAddress!, b: pb.baseAddress!, beta: 3, c: pc.baseAddress!)
                }
            }
        }
        #expect(c.scalars == product.scalars.map { 2 * $0 + 3 })
    }

    @Test func emptyInnerDimensionGivesZeros() {
        let product = Tensor.matmul(Tensor.zeros([3, 0]), Tensor.zeros([0, 2]))
        #expect(product.scalars == [0, 0, 0, 0, 0, 0])
    }
}
