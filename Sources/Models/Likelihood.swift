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
    ///   - output: decoder output, `[B, C·H·W·outputsPerPixel]` (MLP), `[B, C, H, W]` (conv) or
    ///     `[B, H, W, C·256]` (conv, categorical: channels-last, the levels innermost).
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
            // Rows of 256 contiguous logits, one per pixel and channel: conv decoders emit them
            // channels-last [B, H, W, C·256] as their GEMMs write them (pixel order H, W, C), MLPs
            // [B, C·H·W·256]. The labels are put in the same order.
            let labels =
                output.rank == 4
                ? Likelihood.channelsLast(target.classes, target.values.shape) : target.classes
            let losses = categoricalCrossEntropy(
                rows: output, labels: labels.map { Int32(truncatingIfNeeded: $0) }, classes: 256)
            return losses.reshaped(to: [batch, pixels]).sum(alongAxes: [1])
        }
    }
}

extension Likelihood {
    /// Per-pixel values of `[B, C, H, W]` in the order `[B, H, W, C]` (the same array for C = 1).
    static func channelsLast<Element>(_ values: [Element], _ shape: [Int]) -> [Element] {
        let (batch, channels, plane) = (shape[0], shape[1], shape[2] * shape[3])
        if channels == 1 { return values }
        var result = values
        for b in 0..<batch {
            for c in 0..<channels {
                for p in 0..<plane {
                    result[(b * plane + p) * channels + c] = values[(b * channels + c) * plane + p]
                }
            }
        }
        return result
    }
}

extension Float {
    fileprivate static func log(_ x: Float) -> Float { Tensor(x).log().scalar }
}
