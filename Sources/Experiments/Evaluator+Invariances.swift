// The supervised VAE's invariances (Kim et al.): label accuracy from z_s, how often the label
// survives resampling the nuisance latents z_n from the prior, and the control: how often it
// survives resampling z_s instead (keeping z_n). Preservation means something only well above
// the control; and z_n's active units say whether z_n carries anything at all.

import Autodiff
import Datasets
import Foundation
import Models
import NN
import Runs
import TensorCore

/// The supervised VAE's test accuracy and how often its label survives resampling z_n.
public struct InvarianceMetrics: Codable, Sendable {
    /// Accuracy of the classifier on μ_s over the test examples.
    public var testAccuracy: Double
    /// Fraction of (image, draw) pairs where the label predicted from the re-encoded μ_s of
    /// decoder([μ_s; z_n]), z_n ~ N(0, I), equals the label predicted from μ_s.
    public var labelPreservation: Double
    /// The control: the same rate when z_s is drawn from the prior and z_n = μ_n is kept
    /// (near chance if the label lives in z_s).
    public var controlPreservation: Double
    /// Units of μ_n whose variance over the test examples exceeds 0.01, of `nuisanceLatents`.
    public var nuisanceActiveUnits: Int
    /// d_n, the nuisance latents.
    public var nuisanceLatents: Int
    /// Mean over examples and pixels of the standard deviation of the decoder mean across the z_n
    /// draws: how much resampling z_n changes the image (0 when the decoder ignores z_n).
    public var nuisancePixelDiversity: Double
    /// Whether decoded images were binarized (a Bernoulli draw per pixel, as the training data)
    /// before being re-encoded; false for models trained on intensities.
    public var reencodedBinarized: Bool
    /// Test examples.
    public var testCount: Int
    /// z_n draws per example.
    public var draws: Int
}

extension Evaluator {
    /// Predicted classes of supervised latents `[B, d_s]`.
    func predictions(_ supervised: Tensor) -> [Int] {
        let pass = ForwardPass(arena: model.arena, trainable: false)
        let logits = model.classify(Variable(supervised), pass).value
        let (rows, classes) = (logits.shape[0], logits.shape[1])
        return (0..<rows).map { row in
            var best = 0
            for c in 1..<classes where logits[flat: row * classes + c] > logits[flat: row * classes + best] {
                best = c
            }
            return best
        }
    }

    /// The classifier's labels of decoded `images` `[B, C, H, W]`, re-encoded (μ_s of q(z | image));
    /// binarized first with the draws `binarize` (step = the z_n draw) when the model was trained
    /// on binarized data, so that the encoder reads inputs like those it was trained on.
    func relabel(_ images: Tensor, supervised: Int, binarize: Draws?, indices: [Int]) -> [Int] {
        var input = images
        if let binarize {
            let uniform = binarize.uniform(indices, count: model.pixelCount)
            input = Tensor(shape: images.shape) { out in
                for i in 0..<images.count { out[i] = uniform[flat: i] < images[flat: i] ? 1 : 0 }
            }
        }
        let encoded = model.encode(Variable(input), ForwardPass(arena: model.arena, trainable: false)).mean
            .value
        return predictions(encoded.slice(alongAxis: 1, start: 0, length: supervised))
    }

    /// Invariant transformations: for each test example, keep z_s = μ_s, draw z_n, decode.
    /// Returns the metrics and, for the first `gridCount` examples, the images `[1 + draws]`
    /// per example (the original's reconstruction first) as decoder means `[n, C, H, W]`.
    public func invariances(_ test: ImageDataset, count: Int, draws: Int, gridCount: Int) -> (
        InvarianceMetrics, Tensor
    ) {
        guard let supervised = model.supervisedLatentCount else {
            preconditionFailure("not a supervised VAE")
        }
        let latent = model.latentCount
        let indices = Array(0..<min(count, test.count))
        let (mean, _) = posteriors(test, indices: indices)
        let labels = predictions(mean.slice(alongAxis: 1, start: 0, length: supervised))
        let correct = zip(labels, indices).filter { $0.0 == Int(test.labels[$0.1]) }.count
        var preserved = 0
        var controlled = 0
        var grid: [Float] = []
        let grids = ImageGrids(model: model, config: config)
        let binarized = config.data.binarization != .none
        let binarize = { (draw: Int, role: String) -> Draws? in
            binarized
                ? Draws(
                    seed: config.seed, .invarianceBinarization, step: UInt64(draw),
                    split: DrawSplit("\(test.drawSplit.name):\(role)")) : nil
        }
        // Σ and Σ² over the z_n draws of every decoded pixel, for the diversity.
        var (sum, sumOfSquares) = ([Double](), [Double]())
        for draw in 0...draws {
            // Draw 0 keeps μ_n (the reconstruction); later draws replace z_n by prior samples.
            let nuisance = Draws(seed: config.seed, .invariances, step: UInt64(draw), split: test.drawSplit)
                .normal(indices, count: latent)
            let z = Tensor(shape: [indices.count, latent]) { out in
                for row in 0..<indices.count {
                    for u in 0..<latent {
                        out[row * latent + u] =
                            u < supervised || draw == 0
                            ? mean[flat: row * latent + u] : nuisance[flat: row * latent + u]
                    }
                }
            }
            let pass = ForwardPass(arena: model.arena, trainable: false)
            let images = grids.meanImages(model.decode(Variable(z), pass))
            grid += images.slice(alongAxis: 0, start: 0, length: min(gridCount, indices.count)).scalars
            guard draw > 0 else { continue }
            if sum.isEmpty {
                sum = [Double](repeating: 0, count: images.count)
                sumOfSquares = sum
            }
            for i in 0..<images.count {
                let value = Double(images[flat: i])
                sum[i] += value
                sumOfSquares[i] += value * value
            }
            preserved +=
                zip(
                    relabel(
                        images, supervised: supervised, binarize: binarize(draw, "kept"), indices: indices),
                    labels
                ).filter { $0.0 == $0.1 }.count
            // The control: the same draw in z_s, z_n = μ_n kept.
            let control = Tensor(shape: [indices.count, latent]) { out in
                for row in 0..<indices.count {
                    for u in 0..<latent {
                        out[row * latent + u] =
                            u < supervised ? nuisance[flat: row * latent + u] : mean[flat: row * latent + u]
                    }
                }
            }
            let controlImages = grids.meanImages(
                model.decode(Variable(control), ForwardPass(arena: model.arena, trainable: false)))
            controlled +=
                zip(
                    relabel(
                        controlImages, supervised: supervised, binarize: binarize(draw, "control"),
                        indices: indices),
                    labels
                ).filter { $0.0 == $0.1 }.count
        }
        var active = 0
        for u in supervised..<latent {
            let column = indices.indices.map { Double(mean[flat: $0 * latent + u]) }
            let average = column.reduce(0, +) / Double(max(column.count, 1))
            let variance =
                column.map { ($0 - average) * ($0 - average) }.reduce(0, +) / Double(max(column.count - 1, 1))
            if variance > 0.01 { active += 1 }
        }
        var deviation = 0.0
        if draws > 1 {
            for i in 0..<sum.count {
                let average = sum[i] / Double(draws)
                let variance = (sumOfSquares[i] - Double(draws) * average * average) / Double(draws - 1)
                deviation += max(variance, 0).squareRoot()
            }
            deviation /= Double(max(sum.count, 1))
        }
        let shown = min(gridCount, indices.count)
        let metrics = InvarianceMetrics(
            testAccuracy: Double(correct) / Double(max(indices.count, 1)),
            labelPreservation: Double(preserved) / Double(max(indices.count * draws, 1)),
            controlPreservation: Double(controlled) / Double(max(indices.count * draws, 1)),
            nuisanceActiveUnits: active, nuisanceLatents: latent - supervised,
            nuisancePixelDiversity: deviation, reencodedBinarized: binarized,
            testCount: indices.count,
            draws: draws)
        // Reorder draw-major rows into example-major rows: example e, draws 0…draws.
        let size = model.pixelCount
        var ordered = [Float](repeating: 0, count: grid.count)
        for draw in 0...draws {
            for example in 0..<shown {
                let source = (draw * shown + example) * size
                let target = (example * (draws + 1) + draw) * size
                for p in 0..<size { ordered[target + p] = grid[source + p] }
            }
        }
        return (metrics, Tensor(shape: [shown * (draws + 1)] + model.imageShape, scalars: ordered))
    }
}
