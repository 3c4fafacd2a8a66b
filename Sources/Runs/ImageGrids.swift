// Image grids of a model: reconstructions and samples from the prior.

import Autodiff
import Datasets
import Models
import NN
import Storage
import TensorCore

/// Draws picture grids for a model.
public struct ImageGrids {
    /// The model.
    public var model: VAE
    /// Its config.
    public var config: RunConfig

    /// A grid drawer.
    public init(model: VAE, config: RunConfig) {
        self.model = model
        self.config = config
    }

    /// The mean image of a decoder output `[B, …]`, values in [0, 1]: `[B, C, H, W]`.
    public func meanImages(_ output: Variable) -> Tensor {
        let batch = output.shape[0]
        let shape = [batch] + model.imageShape
        switch model.likelihood {
        case .bernoulli: return output.value.sigmoid().reshaped(to: shape)
        case .gaussianFixed, .gaussianLearned: return output.value.reshaped(to: shape)
        case .categorical256:
            // E[byte]/255 under the softmax over 256 levels, rows of 256 in the decoder's pixel
            // order: [B, H, W, C] for conv decoders (channels-last), [B, C, H, W] for MLPs.
            let (c, h, w) = (model.imageShape[0], model.imageShape[1], model.imageShape[2])
            let probabilities = output.reshaped(to: [batch * c * h * w, 256]).softmax(alongAxis: 1).value
            let levels = Tensor(shape: [1, 256], scalars: (0..<256).map { Float($0) / 255 })
            let means = (probabilities * levels).sum(alongAxes: [1])
            if output.rank == 4 {
                return means.reshaped(to: [batch, h, w, c]).permuted([0, 3, 1, 2]).reshaped(to: shape)
            }
            return means.reshaped(to: shape)
        }
    }

    /// The first `count` examples of `set` (rows of 8) above their reconstructions at the
    /// posterior mean.
    public func reconstructions(_ set: ImageDataset, count: Int) -> PNGImage {
        let indices = Array(0..<min(count, set.count))
        let (input, _) = config.batch(set, indices: indices, step: RunConfig.evaluationStep)
        let pass = ForwardPass(arena: model.arena, trainable: false)
        let (mean, _) = model.encode(Variable(input), pass)
        let reconstruction = meanImages(model.decode(mean, pass))
        var pixels: [Float] = []
        let perRow = 8
        var start = 0
        while start < indices.count {
            let end = min(start + perRow, indices.count)
            pixels += input.slice(alongAxis: 0, start: start, length: end - start).scalars
            pixels += reconstruction.slice(alongAxis: 0, start: start, length: end - start).scalars
            start = end
        }
        return grid(pixels, count: 2 * indices.count, columns: perRow)
    }

    /// `count` decoder means at z ~ N(0, I).
    public func samples(count: Int, seed: UInt64? = nil) -> PNGImage {
        let z = Draws(seed: seed ?? config.seed, .prior).generator(0).normal([count, model.latentCount])
        let pass = ForwardPass(arena: model.arena, trainable: false)
        return grid(meanImages(model.decode(Variable(z), pass)).scalars, count: count, columns: 8)
    }

    private func grid(_ pixels: [Float], count: Int, columns: Int) -> PNGImage {
        let (c, h, w) = (model.imageShape[0], model.imageShape[1], model.imageShape[2])
        if c == 1 || c == 3 {
            return imageGrid(pixels, count: count, channels: c, height: h, width: w, columns: columns)
        }
        // Other channel counts: show the first channel.
        var first: [Float] = []
        let (imageSize, planeSize) = (c * h * w, h * w)
        for image in 0..<count {
            let start = image * imageSize
            first += pixels[start..<(start + planeSize)]
        }
        return imageGrid(first, count: count, channels: 1, height: h, width: w, columns: columns)
    }
}
