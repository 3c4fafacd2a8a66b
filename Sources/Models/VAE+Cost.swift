// The decoder's arithmetic, for benchmarks that hold a decoder's speed against the sgemm rate.

extension VAE {
    /// Multiply-adds of one decoder forward pass per example, counted as FLOP counters count
    /// them: a linear layer in·out, a transposed convolution Hin·Win·Cin·Cout·k² (every tap of
    /// every input pixel, those the padding crops included). Bias adds and activations are not
    /// counted.
    public var decoderMultiplyAdds: Int {
        let outputs = pixelCount * likelihood.outputsPerPixel
        switch architecture {
        case .mlp(let hidden, _):
            let widths = [latentCount] + hidden.reversed() + [outputs]
            return zip(widths, widths.dropFirst()).map { $0 * $1 }.reduce(0, +)
        case .dcgan(let width):
            // 1 → 4 → 8 → 16 → 32, kernels 4×4.
            let layers = [
                (pixels: 1, input: latentCount, output: 4 * width),
                (pixels: 16, input: 4 * width, output: 2 * width),
                (pixels: 64, input: 2 * width, output: width),
                (pixels: 256, input: width, output: imageShape[0] * likelihood.outputsPerPixel),
            ]
            return layers.map { $0.pixels * $0.input * $0.output * 16 }.reduce(0, +)
        }
    }
}
