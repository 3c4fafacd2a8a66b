// Convolutions as im2col + GEMM. im2col and col2im are adjoint primitives (each one's VJP is
// the other), so convolutions are differentiable to any order without a hand-written backward.
// B = batch, C = channels, H×W = image, L = output positions, P = C·kh·kw (patch size).

import TensorCore

extension Variable {
    /// Unfolds the windows of `geometry` over this `[B, C, H, W]` variable into `[B, L, P]`.
    public func im2col(_ geometry: ConvGeometry) -> Variable {
        Variable.record(value.im2col(geometry), operation: "im2col", inputs: [self]) {
            g, _, _, _ in [g.col2im(geometry)]
        }
    }

    /// Folds `[B, L, P]` rows back into `[B, C, H, W]`, summing overlaps.
    public func col2im(_ geometry: ConvGeometry) -> Variable {
        Variable.record(value.col2im(geometry), operation: "col2im", inputs: [self]) {
            g, _, _, _ in [g.im2col(geometry)]
        }
    }
}

/// The pieces of a convolution that per-example gradient capture needs.
public struct ConvolutionTrace {
    /// The result.
    public var output: Variable
    /// The GEMM's left operand, per example: the unfolded patches `[B, L, P]` of a Conv2d, or
    /// the input pixels `[B, H·W, Cin]` of a ConvTranspose2d.
    public var gemmInput: Tensor
    /// The GEMM's result before any reshape: `[B·L, Cout]` (+ bias) for Conv2d,
    /// `[B·H·W, Cout·kh·kw]` for ConvTranspose2d. Its gradient is the per-position Δ.
    public var gemmOutput: Variable
}

/// 2-D cross-correlation (PyTorch's Conv2d, dilation 1, groups 1).
///
/// - Parameters:
///   - x: `[B, C, H, W]`.
///   - weight: `[Cout, C, kh, kw]`.
///   - bias: `[Cout]` or nil.
/// - Returns: `[B, Cout, Hout, Wout]` and the GEMM operands.
public func conv2dTrace(
    _ x: Variable, weight: Variable, bias: Variable?, stride: Int = 1, padding: Int = 0
) -> ConvolutionTrace {
    precondition(x.rank == 4 && weight.rank == 4, "conv2d: input \(x.shape), weight \(weight.shape)")
    precondition(
        x.shape[1] == weight.shape[1], "conv2d: \(x.shape[1]) input channels, weight \(weight.shape)")
    let geometry = ConvGeometry(
        channels: x.shape[1], height: x.shape[2], width: x.shape[3],
        kernelHeight: weight.shape[2], kernelWidth: weight.shape[3], stride: stride,
        padding: padding)
    let (batch, outChannels) = (x.shape[0], weight.shape[0])
    let positions = geometry.positionCount
    let patches = x.im2col(geometry)
    var rows = matmul(
        patches.reshaped(to: [batch * positions, geometry.patchSize]),
        weight.reshaped(to: [outChannels, geometry.patchSize]), transposeB: true)
    if let bias { rows = rows + bias }
    let output = rows.reshaped(to: [batch, positions, outChannels]).permuted([0, 2, 1])
        .reshaped(to: [batch, outChannels, geometry.outputHeight, geometry.outputWidth])
    return ConvolutionTrace(output: output, gemmInput: patches.value, gemmOutput: rows)
}

/// 2-D cross-correlation; see `conv2dTrace`.
public func conv2d(
    _ x: Variable, weight: Variable, bias: Variable?, stride: Int = 1, padding: Int = 0
) -> Variable {
    conv2dTrace(x, weight: weight, bias: bias, stride: stride, padding: padding).output
}

/// Transposed 2-D convolution (PyTorch's ConvTranspose2d, dilation 1, groups 1): the adjoint
/// of `conv2d` in its input, computed as GEMM + col2im.
///
/// `Hout = (H − 1)·stride − 2·padding + kh + outputPadding`.
/// - Parameters:
///   - x: `[B, Cin, H, W]`.
///   - weight: `[Cin, Cout, kh, kw]` (PyTorch's layout).
///   - bias: `[Cout]` or nil.
/// - Returns: `[B, Cout, Hout, Wout]` and the GEMM operands.
public func convTranspose2dTrace(
    _ x: Variable, weight: Variable, bias: Variable?, stride: Int = 1, padding: Int = 0,
    outputPadding: Int = 0
) -> ConvolutionTrace {
    precondition(
        x.rank == 4 && weight.rank == 4 && x.shape[1] == weight.shape[0],
        "convTranspose2d: input \(x.shape), weight \(weight.shape)")
    precondition(outputPadding >= 0 && outputPadding < stride, "outputPadding must be < stride")
    let (batch, inChannels, height, width) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let (outChannels, kh, kw) = (weight.shape[1], weight.shape[2], weight.shape[3])
    let geometry = ConvGeometry(
        channels: outChannels,
        height: (height - 1) * stride - 2 * padding + kh + outputPadding,
        width: (width - 1) * stride - 2 * padding + kw + outputPadding,
        kernelHeight: kh, kernelWidth: kw, stride: stride, padding: padding)
    precondition(geometry.outputHeight == height && geometry.outputWidth == width)
    let pixels = x.reshaped(to: [batch, inChannels, height * width]).permuted([0, 2, 1])
    let columns = matmul(
        pixels.reshaped(to: [batch * height * width, inChannels]),
        weight.reshaped(to: [inChannels, outChannels * kh * kw]))
    var output = columns.reshaped(to: [batch, height * width, outChannels * kh * kw])
        .col2im(geometry)
    if let bias { output = output + bias.reshaped(to: [outChannels, 1, 1]) }
    return ConvolutionTrace(output: output, gemmInput: pixels.value, gemmOutput: columns)
}

/// Transposed 2-D convolution; see `convTranspose2dTrace`.
public func convTranspose2d(
    _ x: Variable, weight: Variable, bias: Variable?, stride: Int = 1, padding: Int = 0,
    outputPadding: Int = 0
) -> Variable {
    convTranspose2dTrace(
        x, weight: weight, bias: bias, stride: stride, padding: padding,
        outputPadding: outputPadding
    ).output
}

// MARK: - Channels-last (NHWC) convolutions
// With activations kept as [B, H, W, C], a conv's GEMM result [B·L, Cout] already is the next
// layer's input: no transposes between layers, and each window's kernel row is a contiguous run.

extension Variable {
    /// Unfolds the windows of `geometry` over this `[B, H, W, C]` variable into `[B, L, kh·kw·C]`.
    public func im2colChannelsLast(_ geometry: ConvGeometry) -> Variable {
        Variable.record(value.im2colChannelsLast(geometry), operation: "im2colNHWC", inputs: [self]) {
            g, _, _, _ in [g.col2imChannelsLast(geometry)]
        }
    }

    /// Folds `[B, L, kh·kw·C]` rows into `[B, H, W, C]`, summing overlaps.
    public func col2imChannelsLast(_ geometry: ConvGeometry) -> Variable {
        Variable.record(value.col2imChannelsLast(geometry), operation: "col2imNHWC", inputs: [self]) {
            g, _, _, _ in [g.im2colChannelsLast(geometry)]
        }
    }
}

/// The permutation that maps column `j` of a (kernel row, kernel column, channel) ordered patch
/// to its column in PyTorch's (channel, kernel row, kernel column) weight order.
public func channelsLastColumnOrder(channels: Int, kernelHeight: Int, kernelWidth: Int) -> [Int] {
    var order: [Int] = []
    order.reserveCapacity(channels * kernelHeight * kernelWidth)
    for i in 0..<kernelHeight {
        for j in 0..<kernelWidth {
            for c in 0..<channels { order.append((c * kernelHeight + i) * kernelWidth + j) }
        }
    }
    return order
}

/// 2-D cross-correlation over channels-last inputs, with PyTorch's weight layout.
///
/// - Parameters:
///   - x: `[B, H, W, C]`.
///   - weight: `[Cout, C, kh, kw]` (permuted to `[Cout, kh·kw·C]` inside, differentiably).
///   - bias: `[Cout]` or nil.
/// - Returns: `[B, Hout, Wout, Cout]`; `gemmInput` is `[B, L, kh·kw·C]`.
public func conv2dChannelsLastTrace(
    _ x: Variable, weight: Variable, bias: Variable?, stride: Int = 1, padding: Int = 0
) -> ConvolutionTrace {
    precondition(
        x.rank == 4 && weight.rank == 4 && x.shape[3] == weight.shape[1],
        "conv2d (channels last): input \(x.shape), weight \(weight.shape)")
    let geometry = ConvGeometry(
        channels: x.shape[3], height: x.shape[1], width: x.shape[2], kernelHeight: weight.shape[2],
        kernelWidth: weight.shape[3], stride: stride, padding: padding)
    let (batch, outChannels) = (x.shape[0], weight.shape[0])
    let positions = geometry.positionCount
    let patches = x.im2colChannelsLast(geometry)
    let rows = weight.permuted([0, 2, 3, 1]).reshaped(to: [outChannels, geometry.patchSize])
    let gemm = matmul(patches.reshaped(to: [batch * positions, geometry.patchSize]), rows, transposeB: true)
    let output = bias.map { affineBias(gemm, $0) } ?? gemm
    return ConvolutionTrace(
        output: output.reshaped(to: [batch, geometry.outputHeight, geometry.outputWidth, outChannels]),
        gemmInput: patches.value, gemmOutput: output)
}

/// `x + b` for `x: [N, D]` and `b: [D]` (a suffix broadcast, the fast path).
func affineBias(_ x: Variable, _ bias: Variable) -> Variable { x + bias }

/// Transposed 2-D convolution over channels-last inputs, with PyTorch's weight layout.
///
/// - Parameters:
///   - x: `[B, H, W, Cin]`.
///   - weight: `[Cin, Cout, kh, kw]` (permuted to `[Cin, kh·kw·Cout]` inside).
///   - columnsWeight: that permuted weight when the caller has it already (a frozen layer's,
///     kept across passes); nil to permute `weight` here.
///   - bias: `[Cout]` or nil.
/// - Returns: `[B, Hout, Wout, Cout]`; `gemmInput` is `[B, H·W, Cin]`, `gemmOutput` the
///   `[B·H·W, kh·kw·Cout]` columns.
public func convTranspose2dChannelsLastTrace(
    _ x: Variable, weight: Variable, columnsWeight given: Variable? = nil, bias: Variable?, stride: Int = 1,
    padding: Int = 0, outputPadding: Int = 0
) -> ConvolutionTrace {
    precondition(
        x.rank == 4 && weight.rank == 4 && x.shape[3] == weight.shape[0],
        "convTranspose2d (channels last): input \(x.shape), weight \(weight.shape)")
    precondition(outputPadding >= 0 && outputPadding < stride, "outputPadding must be < stride")
    let (batch, height, width, inChannels) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let (outChannels, kh, kw) = (weight.shape[1], weight.shape[2], weight.shape[3])
    let geometry = ConvGeometry(
        channels: outChannels, height: (height - 1) * stride - 2 * padding + kh + outputPadding,
        width: (width - 1) * stride - 2 * padding + kw + outputPadding, kernelHeight: kh, kernelWidth: kw,
        stride: stride, padding: padding)
    precondition(geometry.outputHeight == height && geometry.outputWidth == width)
    let pixels = x.reshaped(to: [batch * height * width, inChannels])
    let columnsWeight =
        given ?? weight.permuted([0, 2, 3, 1]).reshaped(to: [inChannels, kh * kw * outChannels])
    let columns = matmul(pixels, columnsWeight)
    var output = columns.reshaped(to: [batch, height * width, kh * kw * outChannels]).col2imChannelsLast(
        geometry)
    if let bias { output = output + bias }
    return ConvolutionTrace(
        output: output, gemmInput: x.value.reshaped(to: [batch, height * width, inChannels]),
        gemmOutput: columns)
}
