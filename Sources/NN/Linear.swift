// Fully connected layer, PyTorch layout: y = x Wᵀ + b with W: [out, in].

import Autodiff
import TensorCore

/// `y = x Wᵀ + b`.
public struct Linear: Layer {
    /// The layer's name in a profile.
    public var profileName: String? { name }
    /// The layer's name; its parameters are `<name>.weight` and `<name>.bias`.
    public let name: String
    /// Input features.
    public let inputCount: Int
    /// Output features.
    public let outputCount: Int
    /// `[out, in]`.
    public let weight: ParameterID
    /// `[out]`, or nil without bias.
    public let bias: ParameterID?

    /// Registers a Linear layer's parameters with PyTorch's default initialization unless
    /// `initializer` says otherwise.
    public init(
        _ name: String, inputCount: Int, outputCount: Int, bias: Bool = true,
        initializer: Initializer = .pytorchDefault, biasInitializer: Initializer = .pytorchDefault,
        in builder: inout ParameterArenaBuilder
    ) {
        self.name = name
        self.inputCount = inputCount
        self.outputCount = outputCount
        weight = builder.register(
            "\(name).weight", shape: [outputCount, inputCount], initializer: initializer,
            fanIn: inputCount)
        self.bias =
            bias
            ? builder.register(
                "\(name).bias", shape: [outputCount], initializer: biasInitializer,
                fanIn: inputCount) : nil
    }

    /// - Parameter input: `[B, in]`.
    /// - Returns: `[B, out]`.
    public func callAsFunction(_ input: Variable, _ pass: ForwardPass) -> Variable {
        precondition(
            input.rank == 2 && input.shape[1] == inputCount,
            "\(name): input \(input.shape), expected [B, \(inputCount)]")
        if pass[weight].rank == 3 {
            // Per-example weights [B, out, in]: y_b = W_b x_b + b_b.
            let batch = input.shape[0]
            var output = batchedMatmul(
                input.reshaped(to: [batch, 1, inputCount]), pass[weight], transposeB: true
            ).reshaped(to: [batch, outputCount])
            if let bias { output = output + pass[bias] }
            return output
        }
        let output =
            bias.map { affine(input, weight: pass[weight], bias: pass[$0]) }
            ?? matmul(input, pass[weight], transposeB: true)
        pass.record(
            ForwardPass.CaptureRecord(
                layer: name, inputs: input.value.reshaped(to: [input.shape[0], 1, inputCount]),
                output: output, positions: 1, layout: .outputByInput, weight: weight, bias: bias,
                outputIsChannelsFirst: false))
        return output
    }
}
