// A transposed convolution's forward value by sub-pixel decomposition, for inference: the output
// pixels of one residue class (oy + padding ≡ ry, ox + padding ≡ rx mod stride) see the input
// through the kernel taps ky = ry + j·stride, kx = rx + l·stride only, so each class is one GEMM
// of the gathered input windows [B·T·U, J·L·Cin] with those taps [J·L·Cin, Cout], written
// straight to its pixels. Against the column form ([B·H·W, Cin] × [Cin, k²·Cout], then summed
// back into the image) the GEMM's inner extent grows from Cin to J·L·Cin and the column buffer
// (k²/stride² times the output) disappears: the 256-way decoder's last layer (Cin 32, Cout 256,
// k 4, stride 2) runs at K = 128 instead of 32 and never writes its 0.5 GB of columns.
//
// The windows are gathered a block of rows at a time into a buffer that stays in cache, and each
// block's GEMM reads them from there: the whole window matrix (J·L times the input) is never
// written to memory and read back. A 1×1 input without padding (the decoder's first layer) has
// one tap per output pixel: one GEMM with the weight as [Cin, k·k·Cout] writes the output. With
// few output channels (a Bernoulli decoder's last layer: Cout 1) the GEMM would be a GEMV, so the
// class is computed directly, sixteen output pixels of a row at a time from a channels-first copy
// of the example's input (the same tap and channel of neighbouring output pixels are
// neighbouring input pixels).

internal import _CTensorKernels

extension Tensor {
    /// Output channels below which a class is computed directly (vector FMAs along output rows)
    /// rather than by a GEMM.
    static let directOutputChannels = 8

    /// Floats of one block of gathered windows: 16 K floats (64 KB), in L2 beside the GEMM's packed
    /// operands (the DCGAN decoder's middle layers: one example's whole class per block).
    static let windowBlockFloats = 16384

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
        if height == 1, width == 1, p == 0, outputPadding == 0 {
            // y[b, ky, kx, co] = Σ_ci x[b, ci] · W[ci, co, ky, kx].
            let taps = weight.permuted([0, 2, 3, 1]).reshaped(to: [inChannels, k * k * outChannels])
            var output = Tensor.matmul(reshaped(to: [batch, inChannels]), taps)
                .reshaped(to: [batch, k, k, outChannels])
            if let bias { output.addChannels(bias) }
            return output
        }
        var output = Tensor.zeros([batch, outHeight, outWidth, outChannels])
        let w = weight.scalars
        // Few output channels: computed directly, no GEMM (whose N would be 1).
        let direct = outChannels < Tensor.directOutputChannels
        var classes: [(geometry: vk_subpixel_class, depth: Int, taps: Tensor)] = []
        // Pixels of a class without taps (k < stride) hold the bias alone.
        var tapless = false
        for ry in 0..<s {
            for rx in 0..<s {
                // Taps of this class and the output rows/columns it covers: oy = ry − p + s·t.
                let rowTaps = Array(Swift.stride(from: ry, to: k, by: s))
                let columnTaps = Array(Swift.stride(from: rx, to: k, by: s))
                let firstRow = ry - p + s * Swift.max(0, (p - ry + s - 1) / s)
                let firstColumn = rx - p + s * Swift.max(0, (p - rx + s - 1) / s)
                let rows = firstRow < outHeight ? (outHeight - firstRow + s - 1) / s : 0
                let columns = firstColumn < outWidth ? (outWidth - firstColumn + s - 1) / s : 0
                guard rows > 0, columns > 0 else { continue }
                guard !rowTaps.isEmpty, !columnTaps.isEmpty else {
                    tapless = true
                    continue
                }
                // One example at a time (batch 1, pointers offset by the example).
                let geometry = vk_subpixel_class(
                    batch: 1, height: height, width: width, in_channels: inChannels,
                    out_channels: outChannels, out_height: outHeight, out_width: outWidth, kernel: k,
                    stride: s,
                    padding: p, ry: ry, rx: rx, first_row: firstRow, rows: rows, first_column: firstColumn,
                    columns: columns)
                let depth = rowTaps.count * columnTaps.count * inChannels
                // Taps [J·L·Cin, Cout] for the GEMM, [J·L, Cout, Cin] for the direct form.
                let taps = Tensor(shape: [depth, outChannels]) { out in
                    for (j, ky) in rowTaps.enumerated() {
                        for (l, kx) in columnTaps.enumerated() {
                            let tap = j * columnTaps.count + l
                            for ci in 0..<inChannels {
                                for co in 0..<outChannels {
                                    let index =
                                        direct
                                        ? (tap * outChannels + co) * inChannels + ci
                                        : (tap * inChannels + ci) * outChannels + co
                                    out[index] = w[((ci * outChannels + co) * k + ky) * k + kx]
                                }
                            }
                        }
                    }
                }
                classes.append((geometry, depth, taps))
            }
        }
        if tapless, let bias { output.addChannels(bias) }
        let deepest = classes.map(\.depth).max() ?? 1
        let block = Swift.max(1, Tensor.windowBlockFloats / deepest)
        let windows = TensorStorage(uninitializedCount: direct ? 0 : block * deepest)
        let product = TensorStorage(uninitializedCount: direct ? 0 : block * outChannels)
        // The direct form reads each example channels-first with a zero border of k pixels.
        let border = k
        let padded = TensorStorage(
            count: direct ? inChannels * (height + 2 * border) * (width + 2 * border) + 16 : 0, repeating: 0)
        let (inputSize, outputSize) = (height * width * inChannels, outHeight * outWidth * outChannels)
        let biasValues = bias?.scalars ?? []
        self.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { result in
                biasValues.withUnsafeBufferPointer { biasBuffer in
                    guard let inputBase = input.baseAddress, let outputBase = result.baseAddress else {
                        return
                    }
                    // Example by example, every class: the example's input stays in cache across its
                    // J·L·s² reads.
                    for b in 0..<batch {
                        let (x, y) = (inputBase + b * inputSize, outputBase + b * outputSize)
                        if direct {
                            vk_channels_first_padded(x, padded.pointer, height, width, inChannels, border)
                        }
                        for var item in classes {
                            item.taps.withUnsafeBufferPointer { tapValues in
                                guard let t = tapValues.baseAddress else { return }
                                if direct {
                                    vk_subpixel_direct(
                                        &item.geometry, padded.pointer, t, biasBuffer.baseAddress, y)
                                    return
                                }
                                let (rows, columns) = (item.geometry.rows, item.geometry.columns)
                                var start = 0
                                while start < rows * columns {
                                    let count = Swift.min(block, rows * columns - start)
                                    vk_subpixel_gather(&item.geometry, x, windows.pointer, start, count)
                                    sgemm(
                                        transposeA: false, transposeB: false, m: count, n: outChannels,
                                        k: item.depth, a: windows.pointer, b: t, c: product.pointer)
                                    vk_subpixel_scatter(
                                        &item.geometry, product.pointer, biasBuffer.baseAddress, y, start,
                                        count)
                                    start += count
                                }
                            }
                        }
                    }
                }
            }
        }
        return output
    }

    /// Adds `bias: [C]` to every pixel of this channels-last tensor `[…, C]`.
    mutating func addChannels(_ bias: Tensor) {
        let channels = bias.count
        let values = bias.scalars
        withUnsafeMutableBufferPointer { out in
            for pixel in 0..<(out.count / channels) {
                for c in 0..<channels { out[pixel * channels + c] += values[c] }
            }
        }
    }
}
