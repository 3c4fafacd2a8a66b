// im2col/col2im against the definition of cross-correlation, and their adjointness.

import Testing

@testable import TensorCore

/// Direct 2-D cross-correlation, `[B, C, H, W] ⋆ [Cout, C, k, k]`, in Double.
func naiveConv2d(_ x: Tensor, _ w: Tensor, stride: Int, padding: Int) -> Tensor {
    let (batch, channels, height, width) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let (outChannels, k) = (w.shape[0], w.shape[2])
    let oh = (height + 2 * padding - k) / stride + 1
    let ow = (width + 2 * padding - k) / stride + 1
    var y = Tensor.zeros([batch, outChannels, oh, ow])
    for b in 0..<batch {
        for o in 0..<outChannels {
            for i in 0..<oh {
                for j in 0..<ow {
                    var total: Double = 0
                    for c in 0..<channels {
                        for di in 0..<k {
                            for dj in 0..<k {
                                let (r, s) = (i * stride - padding + di, j * stride - padding + dj)
                                if r < 0 || r >= height || s < 0 || s >= width { continue }
                                total +=
                                    Double(x[flat: ((b * channels + c) * height + r) * width + s])
                                    * Double(w[flat: ((o * channels + c) * k + di) * k + dj])
                            }
                        }
                    }
                    y[flat: ((b * outChannels + o) * oh + i) * ow + j] = Float(total)
                }
            }
        }
    }
    return y
}

@Suite struct ConvolutionTests {
    @Test(arguments: [(1, 0), (1, 1), (2, 1), (2, 0), (3, 2)])
    func im2colGEMMEqualsCrossCorrelation(stride: Int, padding: Int) {
        let x = Philox(seed: 1).normal([2, 3, 7, 6])
        let w = Philox(seed: 2).normal([4, 3, 3, 3])
        let geometry = ConvGeometry(
            channels: 3, height: 7, width: 6, kernelHeight: 3, kernelWidth: 3, stride: stride,
            padding: padding)
        let columns = x.im2col(geometry)
        let rows = Tensor.matmul(
            columns.reshaped(to: [2 * geometry.positionCount, geometry.patchSize]),
            w.reshaped(to: [4, 27]), transposeB: true)
        let y = rows.reshaped(to: [2, geometry.positionCount, 4]).permuted([0, 2, 1])
        let expected = naiveConv2d(x, w, stride: stride, padding: padding)
        #expect(y.count == expected.count)
        for i in 0..<y.count { #expect(Swift.abs(y[flat: i] - expected[flat: i]) < 1e-4) }
    }

    @Test func col2imIsTheAdjointOfIm2col() {
        // ⟨im2col(x), c⟩ = ⟨x, col2im(c)⟩ for all x, c.
        let geometry = ConvGeometry(
            channels: 2, height: 6, width: 5, kernelHeight: 4, kernelWidth: 3, stride: 2, padding: 1)
        let x = Philox(seed: 3).normal([3, 2, 6, 5])
        let c = Philox(seed: 4).normal([3, geometry.positionCount, geometry.patchSize])
        let left = (x.im2col(geometry) * c).sum()
        let right = (x * c.col2im(geometry)).sum()
        #expect(Swift.abs(left - right) < 1e-3 * Swift.max(1, Swift.abs(left)))
    }
}
