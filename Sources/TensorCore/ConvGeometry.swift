// The geometry of a 2-D convolution window and the im2col/col2im kernels built on it.

/// Sizes of a 2-D convolution over an NCHW input.
///
/// `outputHeight = (height + 2·padding − kernel) / stride + 1`, as in PyTorch's Conv2d
/// (dilation 1).
public struct ConvGeometry: Equatable, Sendable {
    /// Input channels C.
    public var channels: Int
    /// Input height H.
    public var height: Int
    /// Input width W.
    public var width: Int
    /// Kernel height kh.
    public var kernelHeight: Int
    /// Kernel width kw.
    public var kernelWidth: Int
    /// Stride along both axes.
    public var stride: Int
    /// Zero padding on every side.
    public var padding: Int

    /// Creates a geometry; traps when the window does not fit the padded input.
    public init(
        channels: Int, height: Int, width: Int, kernelHeight: Int, kernelWidth: Int,
        stride: Int = 1, padding: Int = 0
    ) {
        precondition(stride >= 1 && padding >= 0, "stride \(stride), padding \(padding)")
        precondition(
            height + 2 * padding >= kernelHeight && width + 2 * padding >= kernelWidth,
            "kernel \(kernelHeight)×\(kernelWidth) larger than the padded \(height)×\(width) input")
        self.channels = channels
        self.height = height
        self.width = width
        self.kernelHeight = kernelHeight
        self.kernelWidth = kernelWidth
        self.stride = stride
        self.padding = padding
    }

    /// Output height.
    public var outputHeight: Int { (height + 2 * padding - kernelHeight) / stride + 1 }
    /// Output width.
    public var outputWidth: Int { (width + 2 * padding - kernelWidth) / stride + 1 }
    /// Output positions per example, L.
    public var positionCount: Int { outputHeight * outputWidth }
    /// Columns of one unfolded patch, C·kh·kw.
    public var patchSize: Int { channels * kernelHeight * kernelWidth }
}

extension Tensor {
    /// Unfolds every convolution window into a row.
    ///
    /// - Parameter geometry: the window over this `[B, C, H, W]` tensor.
    /// - Returns: `[B, L, C·kh·kw]`, columns ordered (channel, kernel row, kernel column) to
    ///   match a PyTorch weight `[Cout, C, kh, kw]` read as `[Cout, C·kh·kw]`.
    public func im2col(_ geometry: ConvGeometry) -> Tensor {
        let g = geometry
        precondition(
            rank == 4 && shape[1] == g.channels && shape[2] == g.height && shape[3] == g.width,
            "im2col: input \(shape) does not match \(g)")
        let batch = shape[0]
        return Tensor(shape: [batch, g.positionCount, g.patchSize]) { out in
            withUnsafeBufferPointer { input in
                guard let source = input.baseAddress, let target = out.baseAddress else { return }
                ConvolutionWindows(g).visit(batch: batch) { imageOffset, rowOffset, sy, sx0, interiorX in
                    var row = target + rowOffset
                    let plane = g.height * g.width
                    for c in 0..<g.channels {
                        let channel = source + imageOffset + c * plane
                        for i in 0..<g.kernelHeight {
                            let y = sy + i
                            if y < 0 || y >= g.height {
                                row.update(repeating: 0, count: g.kernelWidth)
                            } else if interiorX {
                                row.update(from: channel + y * g.width + sx0, count: g.kernelWidth)
                            } else {
                                for j in 0..<g.kernelWidth {
                                    let x = sx0 + j
                                    row[j] = x >= 0 && x < g.width ? channel[y * g.width + x] : 0
                                }
                            }
                            row += g.kernelWidth
                        }
                    }
                }
            }
        }
    }

    /// Folds rows back into an image, summing overlapping windows: the adjoint of `im2col`.
    ///
    /// - Parameter geometry: the window; this tensor is `[B, L, C·kh·kw]`.
    /// - Returns: `[B, C, H, W]`.
    public func col2im(_ geometry: ConvGeometry) -> Tensor {
        let g = geometry
        precondition(
            rank == 3 && shape[1] == g.positionCount && shape[2] == g.patchSize,
            "col2im: columns \(shape) do not match \(g)")
        let batch = shape[0]
        var result = Tensor.zeros([batch, g.channels, g.height, g.width])
        result.withUnsafeMutableBufferPointer { out in
            withUnsafeBufferPointer { input in
                guard let source = input.baseAddress, let target = out.baseAddress else { return }
                ConvolutionWindows(g).visit(batch: batch) { imageOffset, rowOffset, sy, sx0, interiorX in
                    var row = source + rowOffset
                    let plane = g.height * g.width
                    for c in 0..<g.channels {
                        let channel = target + imageOffset + c * plane
                        for i in 0..<g.kernelHeight {
                            let y = sy + i
                            if y >= 0 && y < g.height {
                                let line = channel + y * g.width
                                if interiorX {
                                    for j in 0..<g.kernelWidth { line[sx0 + j] += row[j] }
                                } else {
                                    for j in 0..<g.kernelWidth where sx0 + j >= 0 && sx0 + j < g.width {
                                        line[sx0 + j] += row[j]
                                    }
                                }
                            }
                            row += g.kernelWidth
                        }
                    }
                }
            }
        }
        return result
    }
}

/// Enumerates the windows of a convolution: for each example and output position, the offset
/// of the example's image, the offset of the position's row of patches, the window's top-left
/// input coordinate, and whether the window lies inside the image horizontally (so a kernel
/// row can be copied without bounds checks).
struct ConvolutionWindows {
    let geometry: ConvGeometry

    init(_ geometry: ConvGeometry) { self.geometry = geometry }

    @inline(__always)
    func visit(
        batch: Int,
        _ body: (_ imageOffset: Int, _ rowOffset: Int, _ sy: Int, _ sx0: Int, _ interiorX: Bool) -> Void
    ) {
        let g = geometry
        let (oh, ow) = (g.outputHeight, g.outputWidth)
        let imageSize = g.channels * g.height * g.width
        for b in 0..<batch {
            for y in 0..<oh {
                let sy = y * g.stride - g.padding
                for x in 0..<ow {
                    let sx0 = x * g.stride - g.padding
                    let interiorX = sx0 >= 0 && sx0 + g.kernelWidth <= g.width
                    body(b * imageSize, ((b * oh + y) * ow + x) * g.patchSize, sy, sx0, interiorX)
                }
            }
        }
    }
}

// MARK: - Channels-last (NHWC) windows

extension Tensor {
    /// Unfolds every window of a channels-last `[B, H, W, C]` tensor into a row.
    ///
    /// - Returns: `[B, L, kh·kw·C]`, columns ordered (kernel row, kernel column, channel), so
    ///   that a window's kernel row is one contiguous run of `kw·C` input values.
    public func im2colChannelsLast(_ geometry: ConvGeometry) -> Tensor {
        let g = geometry
        precondition(
            rank == 4 && shape[3] == g.channels && shape[1] == g.height && shape[2] == g.width,
            "im2colChannelsLast: input \(shape) does not match \(g)")
        let batch = shape[0]
        let (c, kh, kw) = (g.channels, g.kernelHeight, g.kernelWidth)
        let (oh, ow, patch) = (g.outputHeight, g.outputWidth, g.patchSize)
        return Tensor(shape: [batch, oh * ow, patch]) { out in
            withUnsafeBufferPointer { input in
                guard let source = input.baseAddress, let target = out.baseAddress else { return }
                for b in 0..<batch {
                    let image = source + b * g.height * g.width * c
                    for y in 0..<oh {
                        for x in 0..<ow {
                            var row = target + ((b * oh + y) * ow + x) * patch
                            let sx0 = x * g.stride - g.padding
                            let interior = sx0 >= 0 && sx0 + kw <= g.width
                            for i in 0..<kh {
                                let sy = y * g.stride - g.padding + i
                                if sy < 0 || sy >= g.height {
                                    row.update(repeating: 0, count: kw * c)
                                } else if interior {
                                    row.update(from: image + (sy * g.width + sx0) * c, count: kw * c)
                                } else {
                                    for j in 0..<kw {
                                        let sx = sx0 + j
                                        if sx >= 0 && sx < g.width {
                                            (row + j * c).update(
                                                from: image + (sy * g.width + sx) * c, count: c)
                                        } else {
                                            (row + j * c).update(repeating: 0, count: c)
                                        }
                                    }
                                }
                                row += kw * c
                            }
                        }
                    }
                }
            }
        }
    }

    /// Folds `[B, L, kh·kw·C]` rows back into a channels-last `[B, H, W, C]` image, summing
    /// overlapping windows: the adjoint of `im2colChannelsLast`.
    public func col2imChannelsLast(_ geometry: ConvGeometry) -> Tensor {
        let g = geometry
        precondition(
            rank == 3 && shape[1] == g.positionCount && shape[2] == g.patchSize,
            "col2imChannelsLast: columns \(shape) do not match \(g)")
        let batch = shape[0]
        let (c, kh, kw) = (g.channels, g.kernelHeight, g.kernelWidth)
        let (oh, ow, patch) = (g.outputHeight, g.outputWidth, g.patchSize)
        var result = Tensor.zeros([batch, g.height, g.width, c])
        result.withUnsafeMutableBufferPointer { out in
            withUnsafeBufferPointer { input in
                guard let source = input.baseAddress, let target = out.baseAddress else { return }
                for b in 0..<batch {
                    let image = target + b * g.height * g.width * c
                    for y in 0..<oh {
                        for x in 0..<ow {
                            var row = source + ((b * oh + y) * ow + x) * patch
                            let sx0 = x * g.stride - g.padding
                            let interior = sx0 >= 0 && sx0 + kw <= g.width
                            for i in 0..<kh {
                                let sy = y * g.stride - g.padding + i
                                if sy >= 0 && sy < g.height {
                                    if interior {
                                        let line = image + (sy * g.width + sx0) * c
                                        for index in 0..<(kw * c) { line[index] += row[index] }
                                    } else {
                                        for j in 0..<kw {
                                            let sx = sx0 + j
                                            guard sx >= 0 && sx < g.width else { continue }
                                            let pixel = image + (sy * g.width + sx) * c
                                            let values = row + j * c
                                            for channel in 0..<c { pixel[channel] += values[channel] }
                                        }
                                    }
                                }
                                row += kw * c
                            }
                        }
                    }
                }
            }
        }
        return result
    }
}
