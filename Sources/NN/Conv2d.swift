// 2-D convolution layer (PyTorch's Conv2d, dilation 1, groups 1) over NCHW inputs.

import Autodiff
import TensorCore

/// `y = conv2d(x, W) + b` with W: `[Cout, Cin, k, k]`.
public struct Conv2d: Layer {
    /// The layer's name in a profile.
    public var profileName: String? { name }
    /// The layer's name.
    public let name: String
    /// Input channels Cin.
    public let inputChannels: Int
    /// Output channels Cout.
    public let outputChannels: Int
    /// Side k of the square kernel.
    public let kernelSize: Int
    /// Stride along both axes.
    public let stride: Int
    /// Zero padding on every side.
    public let padding: Int
    /// `[Cout, Cin, k, k]`.
    public let weight: ParameterID
    /// `[Cout]` or nil.
    public let bias: ParameterID?
    /// Whether inputs and outputs are channels-last `[B, H, W, C]` (no transposes between
    /// layers) rather than `[B, C, H, W]`.
    public let channelsLast: Bool

    /// Registers the layer's parameters (PyTorch's default initialization, fan-in Cin·k²).
    public init(
        _ name: String, inputChannels: Int, outputChannels: Int, kernelSize: Int, stride: Int = 1,
        padding: Int = 0, bias: Bool = true, channelsLast: Bool = false,
        initializer: Initializer = .pytorchDefault,
        biasInitializer: Initializer = .pytorchDefault,
        in builder: inout ParameterArenaBuilder
    ) {
        self.name = name
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
        self.channelsLast = channelsLast
        let fanIn = inputChannels * kernelSize * kernelSize
        weight = builder.register(
            "\(name).weight", shape: [outputChannels, inputChannels, kernelSize, kernelSize],
            initializer: initializer, fanIn: fanIn)
        self.bias =
            bias
            ? builder.register(
                "\(name).bias", shape: [outputChannels], initializer: biasInitializer, fanIn: fanIn)
            : nil
    }

    /// - Parameter input: `[B, Cin, H, W]`, or `[B, H, W, Cin]` when `channelsLast`.
    /// - Returns: `[B, Cout, Hout, Wout]`, or `[B, Hout, Wout, Cout]` when `channelsLast`.
    public func callAsFunction(_ input: Variable, _ pass: ForwardPass) -> Variable {
        let channelAxis = channelsLast ? 3 : 1
        precondition(
            input.rank == 4 && input.shape[channelAxis] == inputChannels,
            "\(name): input \(input.shape), expected \(inputChannels) channels on axis \(channelAxis)")
        if pass[weight].rank == 5 {
            precondition(channelsLast, "\(name): per-example weights need channelsLast")
            return perExampleWeights(input, pass)
        }
        let trace =
            channelsLast
            ? conv2dChannelsLastTrace(
                input, weight: pass[weight], bias: bias.map { pass[$0] }, stride: stride, padding: padding)
            : conv2dTrace(
                input, weight: pass[weight], bias: bias.map { pass[$0] }, stride: stride, padding: padding)
        pass.record(
            ForwardPass.CaptureRecord(
                layer: name, inputs: trace.gemmInput, output: trace.gemmOutput,
                positions: trace.gemmInput.shape[1], layout: .outputByInput, weight: weight,
                bias: bias, outputIsChannelsFirst: false,
                columnOrder: channelsLast
                    ? channelsLastColumnOrder(
                        channels: inputChannels, kernelHeight: kernelSize, kernelWidth: kernelSize)
                    : nil))
        return trace.output
    }

    /// Channels-last convolution with a weight `[B, Cout, Cin, k, k]` per example.
    private func perExampleWeights(_ input: Variable, _ pass: ForwardPass) -> Variable {
        let geometry = ConvGeometry(
            channels: inputChannels, height: input.shape[1], width: input.shape[2], kernelHeight: kernelSize,
            kernelWidth: kernelSize, stride: stride, padding: padding)
        let batch = input.shape[0]
        let patches = input.im2colChannelsLast(geometry)  // [B, L, k·k·Cin]
        let kernelRows =
            pass.kernelRowOverrides.contains(weight.index)
            ? pass[weight] : pass[weight].permuted([0, 1, 3, 4, 2])
        let rows = kernelRows.reshaped(to: [batch, outputChannels, geometry.patchSize])
        var output = batchedMatmul(patches, rows, transposeB: true)  // [B, L, Cout]
        if let bias { output = output + pass[bias].reshaped(to: [batch, 1, outputChannels]) }
        return output.reshaped(to: [batch, geometry.outputHeight, geometry.outputWidth, outputChannels])
    }
}
