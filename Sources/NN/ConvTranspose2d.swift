// Transposed 2-D convolution layer (PyTorch's ConvTranspose2d, dilation 1, groups 1).

import Autodiff
import TensorCore

/// `y = convTranspose2d(x, W) + b` with W: `[Cin, Cout, k, k]`.
public struct ConvTranspose2d: Layer {
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
    /// Padding removed from every side of the full output.
    public let padding: Int
    /// Extra rows and columns added to one side of the output (< stride).
    public let outputPadding: Int
    /// `[Cin, Cout, k, k]`.
    public let weight: ParameterID
    /// `[Cout]` or nil.
    public let bias: ParameterID?
    /// Whether inputs and outputs are channels-last `[B, H, W, C]`.
    public let channelsLast: Bool

    /// Registers the layer's parameters. PyTorch computes the fan-in of a transposed
    /// convolution's weight from its second axis: Cout·k².
    public init(
        _ name: String, inputChannels: Int, outputChannels: Int, kernelSize: Int, stride: Int = 1,
        padding: Int = 0, outputPadding: Int = 0, bias: Bool = true, channelsLast: Bool = false,
        initializer: Initializer = .pytorchDefault, biasInitializer: Initializer = .pytorchDefault,
        in builder: inout ParameterArenaBuilder
    ) {
        self.name = name
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
        self.outputPadding = outputPadding
        self.channelsLast = channelsLast
        let fanIn = outputChannels * kernelSize * kernelSize
        weight = builder.register(
            "\(name).weight", shape: [inputChannels, outputChannels, kernelSize, kernelSize],
            initializer: initializer, fanIn: fanIn)
        self.bias =
            bias
            ? builder.register(
                "\(name).bias", shape: [outputChannels], initializer: biasInitializer, fanIn: fanIn)
            : nil
    }

    /// - Parameter input: `[B, Cin, H, W]`, or `[B, H, W, Cin]` when `channelsLast`.
    /// - Returns: `[B, Cout, Hout, Wout]` (or channels-last),
    ///   `Hout = (H − 1)·stride − 2·padding + k + outputPadding`.
    public func callAsFunction(_ input: Variable, _ pass: ForwardPass) -> Variable {
        let channelAxis = channelsLast ? 3 : 1
        precondition(
            input.rank == 4 && input.shape[channelAxis] == inputChannels,
            "\(name): input \(input.shape), expected \(inputChannels) channels on axis \(channelAxis)")
        let parameters = (pass[weight], bias.map { pass[$0] })
        // Inference (IWAE, sampling): no gradient, no capture — the sub-pixel form, which writes
        // no column buffer.
        if channelsLast, !pass.capturePerExample, !input.requiresGradient, !parameters.0.requiresGradient,
            !(parameters.1?.requiresGradient ?? false)
        {
            return Variable(
                input.value.convTranspose2dChannelsLastBySubpixels(
                    weight: parameters.0.value, bias: parameters.1?.value, stride: stride, padding: padding,
                    outputPadding: outputPadding))
        }
        let trace =
            channelsLast
            ? convTranspose2dChannelsLastTrace(
                input, weight: parameters.0,
                columnsWeight: pass.derived(weight, "columns") {
                    $0.permuted([0, 2, 3, 1]).reshaped(to: [
                        inputChannels, kernelSize * kernelSize * outputChannels,
                    ])
                }, bias: parameters.1, stride: stride, padding: padding, outputPadding: outputPadding)
            : convTranspose2dTrace(
                input, weight: parameters.0, bias: parameters.1, stride: stride, padding: padding,
                outputPadding: outputPadding)
        // Weight: G_i = A_iᵀ Δ_i with A the input pixels and Δ the gradient of the columns;
        // channels-last columns are ordered (kernel row, kernel column, Cout).
        var order: [Int]?
        if channelsLast {
            let kernel = kernelSize * kernelSize
            order = (0..<(kernel * outputChannels)).map { column in
                let (position, channel) = (column / outputChannels, column % outputChannels)
                return channel * kernel + position
            }
        }
        pass.record(
            ForwardPass.CaptureRecord(
                layer: name, inputs: trace.gemmInput, output: trace.gemmOutput,
                positions: trace.gemmInput.shape[1], layout: .inputByOutput, weight: weight,
                bias: nil, outputIsChannelsFirst: false, columnOrder: order))
        if let bias {
            // Bias: the gradient of the output image summed over its positions.
            let batch = input.shape[0]
            let positions = trace.output.count / (batch * outputChannels)
            pass.record(
                ForwardPass.CaptureRecord(
                    layer: "\(name).bias", inputs: Tensor.zeros([batch, positions, 0]),
                    output: trace.output, positions: positions, layout: .outputByInput,
                    weight: nil, bias: bias, outputIsChannelsFirst: !channelsLast))
        }
        return trace.output
    }
}
