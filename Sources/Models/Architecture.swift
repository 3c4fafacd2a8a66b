// The encoder/decoder families: the MLP of the VAE literature and the DCGAN-like conv VAE of
// the Likelihood Regret paper (Xiao et al. 2020) with its BatchNorm layers left out, so that
// every example's loss depends on that example alone and per-example gradients stay exact.

import NN
import TensorCore

/// Which networks map x to q(z|x) and z to p(x|z).
public enum Architecture: Sendable, Equatable {
    /// MLP: `D → hidden… → 2Z` and `Z → hidden (reversed)… → D·outputs`.
    case mlp(hidden: [Int], activation: Activation)
    /// DCGAN-like conv nets for 32×32 inputs: convs 4×4/2 of `width`, 2·width, 4·width channels,
    /// a 4×4 conv head to 2Z, and the mirrored transposed convs.
    case dcgan(width: Int)
}

/// Builds the networks of a VAE into an arena.
struct NetworkBuilder {
    /// `[C, H, W]` of inputs.
    var imageShape: [Int]
    var latentCount: Int
    var likelihood: Likelihood

    var pixelCount: Int { imageShape.reduce(1, *) }

    func build(_ architecture: Architecture, in builder: inout ParameterArenaBuilder) -> (
        any Layer, any Layer
    ) {
        switch architecture {
        case .mlp(let hidden, let activation):
            return mlp(hidden: hidden, activation: activation, in: &builder)
        case .dcgan(let width):
            return dcgan(width: width, in: &builder)
        }
    }

    private func mlp(hidden: [Int], activation: Activation, in builder: inout ParameterArenaBuilder)
        -> (any Layer, any Layer)
    {
        var encoder: [any Layer] = [Reshape([pixelCount])]
        var width = pixelCount
        for (index, size) in hidden.enumerated() {
            encoder.append(
                Linear("encoder.fc\(index + 1)", inputCount: width, outputCount: size, in: &builder))
            encoder.append(activation)
            width = size
        }
        encoder.append(
            Linear(
                "encoder.fc\(hidden.count + 1)", inputCount: width, outputCount: 2 * latentCount, in: &builder
            ))
        var decoder: [any Layer] = []
        width = latentCount
        for (index, size) in hidden.reversed().enumerated() {
            decoder.append(
                Linear("decoder.fc\(index + 1)", inputCount: width, outputCount: size, in: &builder))
            decoder.append(activation)
            width = size
        }
        decoder.append(
            Linear(
                "decoder.fc\(hidden.count + 1)", inputCount: width,
                outputCount: pixelCount * likelihood.outputsPerPixel, in: &builder))
        return (Sequential(encoder), Sequential(decoder))
    }

    private func dcgan(width: Int, in builder: inout ParameterArenaBuilder) -> (any Layer, any Layer) {
        let channels = imageShape[0]
        // DCGAN initialization: conv weights N(0, 0.02), biases 0 (Radford et al. 2016).
        let weights = Initializer.normal(standardDeviation: 0.02)
        func conv(_ name: String, _ input: Int, _ output: Int, stride: Int, padding: Int) -> Conv2d {
            Conv2d(
                name, inputChannels: input, outputChannels: output, kernelSize: 4, stride: stride,
                padding: padding, channelsLast: true, initializer: weights, biasInitializer: .constant(0),
                in: &builder)
        }
        func deconv(_ name: String, _ input: Int, _ output: Int, stride: Int, padding: Int) -> ConvTranspose2d
        {
            ConvTranspose2d(
                name, inputChannels: input, outputChannels: output, kernelSize: 4, stride: stride,
                padding: padding, channelsLast: true, initializer: weights, biasInitializer: .constant(0),
                in: &builder)
        }
        // Activations stay channels-last [B, H, W, C] between layers (no transposes).
        let encoder = Sequential([
            ChannelsLast(),
            conv("encoder.conv1", channels, width, stride: 2, padding: 1), Activation.relu,  // 32 → 16
            conv("encoder.conv2", width, 2 * width, stride: 2, padding: 1), Activation.relu,  // 16 → 8
            conv("encoder.conv3", 2 * width, 4 * width, stride: 2, padding: 1), Activation.relu,  // 8 → 4
            // μ and log σ² as one 4×4 conv with 2Z channels (the paper's two heads, fused).
            conv("encoder.head", 4 * width, 2 * latentCount, stride: 1, padding: 0),  // 4 → 1
            Reshape([2 * latentCount]),
        ])
        let decoder = Sequential(
            [
                Reshape([1, 1, latentCount]),
                // 1 → 4 → 8 → 16 → 32
                deconv("decoder.deconv1", latentCount, 4 * width, stride: 1, padding: 0), Activation.relu,
                deconv("decoder.deconv2", 4 * width, 2 * width, stride: 2, padding: 1), Activation.relu,
                deconv("decoder.deconv3", 2 * width, width, stride: 2, padding: 1), Activation.relu,
                deconv(
                    "decoder.deconv4", width, channels * likelihood.outputsPerPixel, stride: 2, padding: 1),
            ] + (likelihood == .categorical256 ? [] : [ChannelsFirst()]))
        // Bernoulli and Gaussian likelihoods read [B, C, H, W]; the categorical reads the
        // channels-last [B, H, W, C·256] its GEMM writes, each pixel's 256 logits contiguous.
        return (encoder, decoder)
    }
}
