// Decoder likelihoods p(x | z): what the decoder outputs per pixel and the negative
// log-likelihood of a target image, summed over pixels, per example.

import Autodiff
import NN
import TensorCore

/// The distribution of each pixel given z.
public enum Likelihood: Sendable, Equatable {
    /// Bernoulli with logits; targets in [0, 1] (binary, or intensities as in the LR and JL1 code).
    case bernoulli
    /// Gaussian with mean from the decoder and a fixed standard deviation.
    case gaussianFixed(standardDeviation: Float)
    /// Gaussian with mean from the decoder and a learned per-pixel log standard deviation.
    case gaussianLearned
    /// 256-way categorical per pixel and channel (the Likelihood Regret paper's decoder).
    case categorical256

    /// Decoder outputs per pixel: 256 logits for the categorical, 1 otherwise.
    public var outputsPerPixel: Int { self == .categorical256 ? 256 : 1 }

    /// A short name for configs and reports.
    public var name: String {
        switch self {
        case .bernoulli: return "bernoulli"
        case .gaussianFixed: return "gaussian-fixed"
        case .gaussianLearned: return "gaussian-learned"
        case .categorical256: return "categorical256"
        }
    }
}

/// The target of a likelihood for one batch.
public struct LikelihoodTarget {
    /// Intensities or binary values `[B, C, H, W]` (Bernoulli and Gaussian).
    public var values: Tensor
    /// Pixel bytes as classes, `B·C·H·W` of them (categorical).
    public var classes: [Int]

    /// A target from inputs and pixel bytes.
    public init(values: Tensor, classes: [Int] = []) {
        self.values = values
        self.classes = classes
    }
}

extension Likelihood {
    /// −log p(x | z) per example, summed over pixels: `[B]`.
    ///
    /// - Parameters:
    ///   - output: decoder output, `[B, C·H·W·outputsPerPixel]` (MLP) or `[B, C·outputs, H, W]` (conv).
    ///   - target: the batch's targets.
    ///   - logScale: the learned log standard deviations `[C·H·W]` (`gaussianLearned` only).
    public func negativeLogLikelihood(_ output: Variable, _ target: LikelihoodTarget, logScale: Variable?)
        -> Variable
    {
        let batch = target.values.shape[0]
        let pixels = target.values.count / batch
        switch self {
        case .bernoulli:
            return binaryCrossEntropy(
                logits: output.reshaped(to: [batch, pixels]),
                targets: Variable(target.values.reshaped(to: [batch, pixels]))
            ).sum(alongAxes: [1])
        case .gaussianFixed(let sigma):
            // ½((x − μ)/σ)² + log σ + ½ log 2π per pixel.
            let residual =
                (output.reshaped(to: [batch, pixels]) - Variable(target.values.reshaped(to: [batch, pixels])))
            let constant = Float(pixels) * (Float.log(sigma) + 0.5 * Float.log(2 * Float.pi))
            return residual.squared().sum(alongAxes: [1]) * (0.5 / (sigma * sigma)) + constant
        case .gaussianLearned:
            guard let logScale else { preconditionFailure("gaussianLearned needs a log-scale parameter") }
            let residual =
                (output.reshaped(to: [batch, pixels]) - Variable(target.values.reshaped(to: [batch, pixels])))
            let scaled = residual * (-logScale).exp()
            let perPixel = scaled.squared() * 0.5 + logScale + 0.5 * Float.log(2 * Float.pi)
            return perPixel.sum(alongAxes: [1])
        case .categorical256:
            let (channels, height, width) = (
                target.values.shape[1], target.values.shape[2], target.values.shape[3]
            )
            // Conv decoders emit channel-major [B, C·256, H, W]; MLPs [B, C·H·W·256].
            let logits =
                output.rank == 4
                ? output.reshaped(to: [batch, channels, 256, height * width])
                : output.reshaped(to: [batch, pixels, 256])
            let losses = crossEntropy(
                logits: logits, labels: target.classes, alongAxis: output.rank == 4 ? 2 : 2)
            return losses.reshaped(to: [batch, pixels]).sum(alongAxes: [1])
        }
    }
}

extension Float {
    fileprivate static func log(_ x: Float) -> Float { Tensor(x).log().scalar }
}
