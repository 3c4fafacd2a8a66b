// TensorSketch's circular convolutions: the FFT path (D a power of two) against the definition in
// Double, and against the direct GEMM-and-fold path that other D take.

import TensorCore
import Testing

@testable import Influence

/// Σ_p u_p ⊛ v_p per example, by the definition, in Double: `[examples, D]`.
func naiveConvolutionSums(_ u: [Float], _ v: [Float], examples: Int, positions: Int, size: Int) -> [Double] {
    var result = [Double](repeating: 0, count: examples * size)
    for e in 0..<examples {
        for p in 0..<positions {
            let row = (e * positions + p) * size
            for j in 0..<size {
                for c in 0..<size {
                    result[e * size + (j + c) % size] += Double(u[row + j]) * Double(v[row + c])
                }
            }
        }
    }
    return result
}

@Suite struct TensorSketchTests {
    /// Sizes 1 to 256, one and many positions, example counts that leave lanes of a 16-wide
    /// group empty.
    @Test(arguments: [(1, 1, 3), (2, 3, 1), (8, 16, 17), (64, 1, 33), (256, 16, 5), (256, 1, 16)])
    func fftConvolutionSumsMatchTheDefinition(_ shape: (Int, Int, Int)) {
        let (size, positions, examples) = shape
        let generator = Draws(seed: 21, .benchmark).generator(size)
        let u = generator.normal([examples * positions, size])
        let v = generator.normal([examples * positions, size], first: 1 << 40)
        var out = Tensor.zeros([examples, size])
        u.withUnsafeBufferPointer { pu in
            v.withUnsafeBufferPointer { pv in
                out.withUnsafeMutableBufferPointer { po in
                    FlatKernels.circularConvolutionSums(
                        pu.baseAddress!, pv.baseAddress!, into: po.baseAddress!, examples: examples,
                        positions: positions, size: size)
                }
            }
        }
        let exact = naiveConvolutionSums(
            u.scalars, v.scalars, examples: examples, positions: positions, size: size)
        // Each output sums positions·D products of N(0, 1) terms: its scale is √(positions·D).
        let scale = Double(positions * size).squareRoot()
        let worst = zip(out.scalars, exact).map { abs(Double($0) - $1) }.max() ?? .infinity
        #expect(worst <= 2e-5 * scale, "D \(size), \(positions) positions, \(examples) examples: \(worst)")
        let direct = TensorSketch.directConvolutionSums(
            u, v, examples: examples, positions: positions, size: size)
        let gap = zip(direct.scalars, exact).map { abs(Double($0) - $1) }.max() ?? .infinity
        #expect(gap <= 2e-5 * scale, "direct path, D \(size): \(gap)")
    }
}
