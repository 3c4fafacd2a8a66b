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
        let (oh, ow, kh, kw) = (g.outputHeight, g.outputWidth, g.kernelHeight, g.kernelWidth)
        let patch = g.patchSize
        let plane = g.height * g.width
        return Tensor(shape: [batch, oh * ow, patch]) { out in
            withUnsafeBufferPointer { input in
                guard let source = input.baseAddress, let target = out.baseAddress else { return }
                for b in 0..<batch {
                    let image = source + b * g.channels * plane
                    for y in 0..<oh {
                        for x in 0..<ow {
                            var row = target + ((b * oh + y) * ow + x) * patch
                            for c in 0..<g.channels {
                                let channel = image + c * plane
                                for i in 0..<kh {
                                    let sy = y * g.stride - g.padding + i
                                    let inside = sy >= 0 && sy < g.height
                                    for j in 0..<kw {
                                        let sx = x * g.stride - g.padding + j
                                        row[j] =
                                            inside && sx >= 0 && sx < g.width
                                            ? channel[sy * g.width + sx] : 0
                                    }
                                    row += kw
                                }
                            }
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
        let (oh, ow, kh, kw) = (g.outputHeight, g.outputWidth, g.kernelHeight, g.kernelWidth)
        let patch = g.patchSize
        let plane = g.height * g.width
        var result = Tensor.zeros([batch, g.channels, g.height, g.width])
        result.withUnsafeMutableBufferPointer { out in
            withUnsafeBufferPointer { input in
                guard let source = input.baseAddress, let target = out.baseAddress else { return }
                for b in 0..<batch {
                    let image = target + b * g.channels * plane
                    for y in 0..<oh {
                        for x in 0..<ow {
                            var row = source + ((b * oh + y) * ow + x) * patch
                            for c in 0..<g.channels {
                                let channel = image + c * plane
                                for i in 0..<kh {
                                    let sy = y * g.stride - g.padding + i
                                    if sy >= 0 && sy < g.height {
                                        for j in 0..<kw {
                                            let sx = x * g.stride - g.padding + j
                                            if sx >= 0 && sx < g.width {
                                                channel[sy * g.width + sx] += row[j]
                                            }
                                        }
                                    }
                                    row += kw
                                }
                            }
                        }
                    }
                }
            }
        }
        return result
    }
}
