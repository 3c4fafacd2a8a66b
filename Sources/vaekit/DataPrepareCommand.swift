// `vaekit data prepare NAME`: Debian's Fashion-MNIST or a generated set as train.h5 and test.h5.

import ArgumentParser
import Datasets
import Runs
import Storage

struct PrepareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prepare", abstract: "Write a known dataset as train.h5 and test.h5.")

    @Argument(
        help: ArgumentHelp(
            "fashion-mnist (Debian's dataset-fashion-mnist), noise, constant, three-dots or digits "
                + "(MNIST-like, drawn from Debian's fonts)."))
    var name: String

    @Option(help: "Output folder (default: data/<name>).")
    var output: String?

    @Option(help: "Folder of the Fashion-MNIST IDX files.")
    var source = "/usr/share/datasets/fashion-mnist"

    @Option(help: "Images per split of generated sets.")
    var count = 10_000

    @Option(help: "Seed of generated sets.")
    var seed: UInt64 = 1

    @Option(help: "Image side of three-dots.")
    var size = 32

    func run() throws {
        let folder = output ?? "data/\(name)"
        try makeDirectories(folder)
        var splits: [(String, ImageDataset)] = []
        switch name {
        case "fashion-mnist":
            for (split, prefix) in [("train", "train"), ("test", "t10k")] {
                var set = try ImageDataset.importIDX(
                    images: "\(source)/\(prefix)-images-idx3-ubyte.gz",
                    labels: "\(source)/\(prefix)-labels-idx1-ubyte.gz",
                    source: "fashion-mnist", split: split)
                set.classNames = ImageDataset.fashionMNISTClasses
                splits.append((split, set))
            }
        case "noise":
            splits = [
                (
                    "train",
                    SyntheticImages.noise(count: count, channels: 1, height: 28, width: 28, seed: seed)
                ),
                (
                    "test",
                    SyntheticImages.noise(count: count, channels: 1, height: 28, width: 28, seed: seed + 1)
                ),
            ]
        case "constant":
            splits = [
                (
                    "train",
                    SyntheticImages.constant(count: count, channels: 1, height: 28, width: 28, seed: seed)
                ),
                (
                    "test",
                    SyntheticImages.constant(count: count, channels: 1, height: 28, width: 28, seed: seed + 1)
                ),
            ]
        case "three-dots":
            // Rhodes & Lee's three-dots at --size (default 32 here; the paper: 64).
            guard size >= 8 else { throw ValidationError("--size must be ≥ 8") }
            let dots = ThreeDots(side: size)
            splits = [
                ("train", dots.dataset(count: count, seed: seed)),
                ("test", dots.dataset(count: max(1, count / 10), seed: seed + 1)),
            ]
        case "digits":
            // MNIST-like grey digits drawn from Debian's fonts (the Likelihood Regret OOD case).
            splits = [
                ("train", try DigitImages.generate(count: count, seed: seed, split: "train")),
                ("test", try DigitImages.generate(count: count, seed: seed, split: "test")),
            ]
        default:
            throw DatasetError.unknownName(
                name, expected: ["fashion-mnist", "noise", "constant", "three-dots", "digits"])
        }
        for (split, var set) in splits {
            let path = "\(folder)/\(split).h5"
            set.command = commandText(CommandLine.arguments)
            try set.write(to: path)
            print("wrote \(path): \(set.count) images of \(set.channels)×\(set.height)×\(set.width)")
        }
    }
}
