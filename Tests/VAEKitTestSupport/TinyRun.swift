// The tiny-run fixture the test targets share: a training and a test set written to a fresh
// folder, a config over them, and trainers for run folders inside it.

import Datasets
import Runs
import Training

/// Small data sets on disk and a config that trains on them.
public struct TinyRun: Sendable {
    /// The folder holding `train.h5`, `test.h5` and the run folders.
    public let folder: String
    /// The config, with `data.train` and `data.test` pointing at the written sets.
    public let config: RunConfig

    /// Writes `train` and `test` and parses `yaml` with the data paths and `overrides` applied.
    public init(
        _ name: String = #function, train: ImageDataset, test: ImageDataset, yaml: String,
        overrides: [String] = []
    ) throws {
        folder = makeTestFolder(name)
        try train.write(to: "\(folder)/train.h5")
        try test.write(to: "\(folder)/test.h5")
        config = try RunConfig.parse(
            yaml, path: "\(name).yaml",
            overrides: ["data.train=\(folder)/train.h5", "data.test=\(folder)/test.h5"] + overrides)
    }

    /// 256 noise images for training and 64 constant images for testing, 8×8, and a two-epoch
    /// MLP config over them (latent 4, one hidden layer of 16, batch 32).
    public static func small(_ name: String = #function, overrides: [String] = []) throws -> TinyRun {
        try TinyRun(
            name, train: SyntheticImages.noise(count: 256, channels: 1, height: 8, width: 8, seed: 1),
            test: SyntheticImages.constant(count: 64, channels: 1, height: 8, width: 8, seed: 2),
            yaml: """
                name: small
                seed: 7
                data:
                  binarization: dynamic
                model:
                  latent: 4
                  hidden: [16]
                training:
                  epochs: 2
                  batch_size: 32
                  evaluation_count: 64
                  blas_threads: 1
                evaluation:
                  iwae_samples: 20
                  iwae_chunk: 7
                """, overrides: overrides)
    }

    /// The first `train` and `test` images of Debian's Fashion-MNIST.
    public static func fashionMNIST(train: Int, test: Int) throws -> (train: ImageDataset, test: ImageDataset)
    {
        let source = "/usr/share/datasets/fashion-mnist"
        return (
            try ImageDataset.importIDX(
                images: "\(source)/train-images-idx3-ubyte.gz",
                labels: "\(source)/train-labels-idx1-ubyte.gz",
                source: "fashion-mnist", split: "train"
            ).prefix(train),
            try ImageDataset.importIDX(
                images: "\(source)/t10k-images-idx3-ubyte.gz", labels: "\(source)/t10k-labels-idx1-ubyte.gz",
                source: "fashion-mnist", split: "test"
            ).prefix(test)
        )
    }

    /// The run folder `name` inside the fixture's folder.
    public func directory(_ name: String = "run") -> RunDirectory { RunDirectory("\(folder)/\(name)") }

    /// A quiet trainer of this config into the run folder `name`.
    public func trainer(_ name: String = "run", stopAfterStep: Int? = nil) throws -> Trainer {
        let trainer = try Trainer(config: config, run: directory(name))
        trainer.showsProgress = false
        trainer.log = { _ in }
        trainer.stopAfterStep = stopAfterStep
        return trainer
    }
}
