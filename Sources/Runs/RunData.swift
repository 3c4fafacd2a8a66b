// The data a run uses, loaded and preprocessed as its config says, and the batches of it.

import Datasets
import Models
import Storage
import TensorCore

/// A run's training and test sets.
public struct RunData: Sendable {
    /// Training examples.
    public var train: ImageDataset
    /// Test examples.
    public var test: ImageDataset

    /// A pair of sets; nil when their image shapes differ.
    public init?(train: ImageDataset, test: ImageDataset) {
        guard train.channels == test.channels, train.height == test.height, train.width == test.width else {
            return nil
        }
        self.train = train
        self.test = test
    }

    /// Loads both sets, applies limits and padding, and checks that they agree.
    public static func load(_ config: RunConfig) throws -> RunData {
        // The run's roles name the draw splits, whatever the files' `split` attributes say.
        let excluded = Set(config.data.excludeClasses.map(Int64.init))
        let train = try loadSet(
            config.data.train, limit: config.data.trainLimit, padding: config.data.padding
        ).filter { !excluded.contains($0) }.withDrawSplit(.train)
        let test = try loadSet(config.data.test, limit: config.data.testLimit, padding: config.data.padding)
            .filter { !excluded.contains($0) }.withDrawSplit(.test)
        guard train.channels == test.channels, train.height == test.height, train.width == test.width else {
            throw ConfigError.mismatch(
                "training images \(config.data.train) are \(train.channels)×\(train.height)×\(train.width) "
                    + "but test images \(config.data.test) are \(test.channels)×\(test.height)×\(test.width)")
        }
        guard test.count > 0 else {
            throw ConfigError.mismatch(
                "\(config.data.test): no test images"
                    + (config.data.excludeClasses.isEmpty ? "" : " left after data.exclude_classes"))
        }
        guard train.channels > 0, train.height > 0, train.width > 0 else {
            throw ConfigError.mismatch(
                "\(config.data.train): images are \(train.channels)×\(train.height)×\(train.width); "
                    + "every dimension must be at least 1")
        }
        guard train.count >= config.training.batchSize else {
            throw ConfigError.mismatch(
                "training.batch_size \(config.training.batchSize) exceeds the \(train.count) training examples"
            )
        }
        guard let data = RunData(train: train, test: test) else {
            throw ConfigError.mismatch("training and test images differ in shape")
        }
        return data
    }

    /// The test images of the classes `data.exclude_classes` leaves out of training: near-OOD
    /// images for `vaekit ood --ood heldout-classes`.
    public static func heldOutTest(_ config: RunConfig) throws -> ImageDataset {
        guard !config.data.excludeClasses.isEmpty else {
            throw ConfigError.mismatch(
                "heldout-classes needs a run trained with data.exclude_classes; this run excludes none")
        }
        let excluded = Set(config.data.excludeClasses.map(Int64.init))
        let set = try loadSet(config.data.test, limit: config.data.testLimit, padding: config.data.padding)
            .filter { excluded.contains($0) }
        guard set.count > 0 else {
            throw ConfigError.mismatch(
                "\(config.data.test) has no test images of the classes \(config.data.excludeClasses)")
        }
        return set
    }

    /// Reads one set with a helpful error when the file is missing.
    public static func loadSet(_ path: String, limit: Int, padding: Int) throws -> ImageDataset {
        guard fileExists(path) else {
            let hint =
                path.contains("fashion-mnist")
                ? " (run `vaekit data prepare fashion-mnist` first)" : " (see `vaekit data import`)"
            throw StorageError.cannotOpen(
                path: path,
                reason: "no such file\(hint); a relative data path in a config file is read from the "
                    + "config file's folder, one given with --set from the working directory")
        }
        var set = try ImageDataset.read(path)
        if limit > 0 { set = set.prefix(limit) }
        return set.padded(by: padding)
    }

    /// `[C, H, W]` of the images.
    public var imageShape: [Int] { [train.channels, train.height, train.width] }
}

extension RunConfig {
    /// Model inputs and likelihood targets for the examples `indices` of `set`.
    ///
    /// Bernoulli and Gaussian targets are the inputs themselves (binarized when configured);
    /// the 256-way categorical sees intensities and predicts the pixel bytes.
    public func batch(_ set: ImageDataset, indices: [Int], step: UInt64) -> (
        input: Tensor, target: LikelihoodTarget
    ) {
        if likelihood == .categorical256 {
            let input = set.intensities(indices)
            return (input, LikelihoodTarget(values: input, classes: set.pixelClasses(indices)))
        }
        let input = set.batch(indices, binarization: data.binarization, seed: seed, step: step)
        return (input, LikelihoodTarget(values: input))
    }

    /// Training inputs with `data.perturbation` applied: each pixel independently replaced, with
    /// that probability, by a uniform level (binarized when the data are; a uniform byte, input and
    /// class alike, for the 256-way decoder), keyed by (seed, step, split, example) — the
    /// background model of Ren et al.'s likelihood ratio.
    public func trainingBatch(_ set: ImageDataset, indices: [Int], step: UInt64) -> (
        input: Tensor, target: LikelihoodTarget
    ) {
        let (input, target) = batch(set, indices: indices, step: step)
        guard data.perturbation > 0 else { return (input, target) }
        let size = input.count / max(indices.count, 1)
        let ratio = data.perturbation
        let binary = data.binarization == .dynamic
        let bytes = likelihood == .categorical256
        var classes = target.classes
        let keys = Draws(seed: seed, .perturbation, step: step, split: set.drawSplit)
        let perturbed = Tensor(shape: input.shape) { out in
            input.withUnsafeBufferPointer { source in
                for (row, example) in indices.enumerated() {
                    keys.generator(example).uniform([2 * size]).withUnsafeBufferPointer { u in
                        for index in 0..<size {
                            let position = row * size + index
                            guard u[2 * index] < ratio else {
                                out[position] = source[position]
                                continue
                            }
                            let level = u[2 * index + 1]
                            if bytes {
                                let byte = min(255, Int(level * 256))
                                classes[position] = byte
                                out[position] = Float(byte) / 255
                            } else {
                                out[position] = binary ? (level < 0.5 ? 0 : 1) : level
                            }
                        }
                    }
                }
            }
        }
        return (perturbed, LikelihoodTarget(values: perturbed, classes: classes))
    }

    /// The step key of evaluation batches: a fixed binarization of the test set.
    public static let evaluationStep = UInt64.max

    /// The draws of evaluation (ε of the test −ELBO and of every IWAE estimate, γ of the HVAE's)
    /// for the examples of `set`: fixed per (split, example), shared by estimates that compare.
    public func evaluationDraws(_ set: ImageDataset, _ purpose: RandomPurpose = .importance) -> Draws {
        Draws(seed: seed, purpose, step: RunConfig.evaluationStep, split: set.drawSplit)
    }
}
