// The sets `vaekit ood` and `vaekit bench regret` score, by name: the run's test set, synthetic
// sets made from it, and image files. Every set but the test set draws in a split of its own
// (`ood:<name>`), so its image i and test image i never share draws.

import Datasets
import Runs
import Storage
import TensorCore

/// Names of the sets an OOD command accepts.
public enum OODSets {
    /// The built-in names (besides a file path).
    public static let names = ["test", "noise", "constant", "vflip", "invert", "digits", "heldout-classes"]

    /// Whether `spec` names the run's own test set (`test`; `fashion-mnist:test`, its older name).
    public static func isRunTestSet(_ spec: String) -> Bool { spec == "test" || spec == "fashion-mnist:test" }

    /// The set named `spec`, padded as the run's images are: `test` / `fashion-mnist:test` (the
    /// run's test set), `noise` and `constant` (`count` images of the test set's size), `vflip` and
    /// `invert` (of the test images), `digits` (`count` generated MNIST-like digits, 28×28 grey
    /// models only), `heldout-classes` (the test images of the classes `data.exclude_classes`
    /// left out), or an HDF5/IDX file of images the model's size.
    public static func resolve(_ spec: String, config: RunConfig, test: ImageDataset, count: Int) throws
        -> ImageDataset
    {
        if isRunTestSet(spec) { return test }
        return try resolveOOD(spec, config: config, test: test, count: count)
            .withDrawSplit(DrawSplit("ood:\(spec)"))
    }

    private static func resolveOOD(_ spec: String, config: RunConfig, test: ImageDataset, count: Int) throws
        -> ImageDataset
    {
        let padding = config.data.padding
        let raw = (
            channels: test.channels, height: test.height - 2 * padding, width: test.width - 2 * padding
        )
        switch spec {
        case "noise":
            return SyntheticImages.noise(
                count: count, channels: raw.channels, height: raw.height, width: raw.width,
                seed: config.seed + 101
            ).padded(by: padding)
        case "constant":
            return SyntheticImages.constant(
                count: count, channels: raw.channels, height: raw.height, width: raw.width,
                seed: config.seed + 102
            ).padded(by: padding)
        case "digits":
            guard raw == (1, 28, 28) else {
                throw ConfigError.mismatch(
                    "digits are 1×28×28 images; the model needs \(raw.channels)×\(raw.height)×\(raw.width)")
            }
            return try DigitImages.generate(count: count, seed: config.seed + 103, split: "ood")
                .padded(by: padding)
        case "heldout-classes":
            return try RunData.heldOutTest(config)
        case "vflip", "invert":
            let unpadded = try RunData.loadSet(config.data.test, limit: config.data.testLimit, padding: 0)
            return (spec == "vflip" ? unpadded.flippedVertically() : unpadded.inverted()).padded(by: padding)
        default:
            guard fileExists(spec) else {
                throw DatasetError.unknownName(spec, expected: names + ["an HDF5 or IDX file"])
            }
            let set =
                spec.hasSuffix(".h5") || spec.hasSuffix(".hdf5")
                ? try ImageDataset.read(spec)
                : try ImageDataset.importIDX(images: spec, labels: nil, source: spec, split: "ood")
            let padded = set.padded(by: padding)
            guard padded.channels == test.channels, padded.height == test.height, padded.width == test.width
            else {
                throw ConfigError.mismatch(
                    "\(spec): images are \(set.channels)×\(set.height)×\(set.width), the model needs "
                        + "\(raw.channels)×\(raw.height)×\(raw.width)")
            }
            return padded
        }
    }
}
