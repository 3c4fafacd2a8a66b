// A transposed convolution's forward value by sub-pixel decomposition, for inference: the output
// pixels of one residue class (oy + padding ≡ ry, ox + padding ≡ rx mod stride) see the input
// through the kernel taps ky = ry + j·stride, kx = rx + l·stride only, so each class is one GEMM
// of the gathered input windows [B·T·U, J·L·Cin] with those taps [J·L·Cin, Cout], written
// straight to its pixels. Against the column form ([B·H·W, Cin] × [Cin, k²·Cout], then summed
// back into the image) the GEMM's inner extent grows from Cin to J·L·Cin and the column buffer
// (k²/stride² times the output) disappears: the 256-way decoder's last layer (Cin 32, Cout 256,
// k 4, stride 2) runs at K = 128 instead of 32 and never writes its 0.5 GB of columns.

extension Tensor {
    /// `convTranspose2d(x, W) + b`, channels-last, without autodiff.
    ///
    /// - Parameters:
    ///   - weight: `[Cin, Cout, k, k]` (PyTorch's layout).
    ///   - bias: `[Cout]` or nil.
    /// - Returns: `[B, Hout, Wout, Cout]`, `Hout = (H − 1)·stride − 2·padding + k + outputPadding`.
    public func convTranspose2dChannelsLastBySubpixels(
        weight: Tensor, bias: Tensor?, stride s: Int, padding p: Int, outputPadding: Int = 0
    ) -> Tensor {
        precondition(
            rank == 4 && weight.rank == 4 && shape[3] == weight.shape[0],
            "input \(shape), weight \(weight.shape)")
        let (batch, height, width, inChannels) = (shape[0], shape[1], shape[2], shape[3])
        let (outChannels, k) = (weight.shape[1], weight.shape[2])
        let outHeight = (height - 1) * s - 2 * p + k + outputPadding
        let outWidth = (width - 1) * s - 2 * p + k + outputPadding
        var output = Tensor.zeros([batch, outHeight, outWidth, outChannels])
        let w = weight.scalars
        for ry in 0..<s {
            for rx in 0..<s {
                // Taps of this class and the output rows/columns it covers: oy = ry − p + s·t.
                let rowTaps = Swift.stride(from: ry, to: k, by: s).map { $0 }
                let columnTaps = Swift.stride(from: rx, to: k, by: s).map { $0 }
                let rows = Swift.stride(from: ry - p, to: outHeight, by: s).filter { $0 >= 0 }
                let columns = Swift.stride(from: rx - p, to: outWidth, by: s).filter { $0 >= 0 }
                guard !rowTaps.isEmpty, !columnTaps.isEmpty, !rows.isEmpty, !columns.isEmpty else { continue }
                let depth = rowTaps.count * columnTaps.count * inChannels
                // Taps [J·L·Cin, Cout].
                let taps = Tensor(shape: [depth, outChannels]) { out in
                    for (j, ky) in rowTaps.enumerated() {
                        for (l, kx) in columnTaps.enumerated() {
                            for ci in 0..<inChannels {
                                let row = ((j * columnTaps.count + l) * inChannels + ci) * outChannels
                                for co in 0..<outChannels {
                                    out[row + co] = w[((ci * outChannels + co) * k + ky) * k + kx]
                                }
                            }
                        }
                    }
                }
                // Windows [B·T·U, J·L·Cin]: input pixel iy = (oy + p − ky)/s, zero outside.
                let windows = Tensor(shape: [batch * rows.count * columns.count, depth]) { out in
                    self.withUnsafeBufferPointer { x in
                        var index = 0
                        for b in 0..<batch {
                            for oy in rows {
                                for ox in columns {
                                    for ky in rowTaps {
                                        let iy = (oy + p - ky) / s
                                        for kx in columnTaps {
                                            let ix = (ox + p - kx) / s
                                            if iy >= 0, iy < height, ix >= 0, ix < width {
                                                let source = ((b * height + iy) * width + ix) * inChannels
                                                for ci in 0..<inChannels { out[index + ci] = x[source + ci] }
                                            } else {
                                                for ci in 0..<inChannels { out[index + ci] = 0 }
                                            }
                                            index += inChannels
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                let product = Tensor.matmul(windows, taps)  // [B·T·U, Cout]
                output.withUnsafeMutableBufferPointer { out in
                    product.withUnsafeBufferPointer { values in
                        var row = 0
                        for b in 0..<batch {
                            for oy in rows {
                                for ox in columns {
                                    let target = ((b * outHeight + oy) * outWidth + ox) * outChannels
                                    for co in 0..<outChannels {
                                        out[target + co] = values[row * outChannels + co]
                                    }
                                    row += 1
                                }
                            }
                        }
                    }
                }
            }
        }
        if let bias {
            let values = bias.scalars
            output.withUnsafeMutableBufferPointer { out in
                for pixel in 0..<(batch * outHeight * outWidth) {
                    for co in 0..<outChannels { out[pixel * outChannels + co] += values[co] }
                }
            }
        }
        return output
    }
}
