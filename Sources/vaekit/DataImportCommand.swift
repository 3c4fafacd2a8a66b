// `vaekit data import FILE`: an IDX or HDF5 image file as a VAEKit dataset, optionally split into
// a training and a test file.

import ArgumentParser
import Datasets
import Foundation
import Runs
import Storage

extension ImageLayout: ExpressibleByArgument {}

struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Convert an IDX (.gz) or HDF5 image file into VAEKit's layout.",
        discussion: """
            HDF5 input: /images as N×H×W, N×C×H×W or N×H×W×C (1 or 3 channels), uint8 or floats in \
            [0, 1]; optional /labels (N integers) and /class_names (strings: label l is named \
            class_names[l]).
            """)

    @Argument(help: "An IDX image file (N×H×W or N×C×H×W, unsigned bytes), or an HDF5 file with /images.")
    var file: String

    @Option(help: "IDX label file for the images.")
    var labels: String?

    @Option(help: "Output HDF5 file (its folder is created).")
    var output: String

    @Option(help: "Split name stored in the file.")
    var split = "imported"

    @Option(help: "Axis order of 4-axis HDF5 images: auto, nchw or nhwc.")
    var layout = ImageLayout.auto

    @Option(help: "Put this fraction of the examples (evenly spread) into --test-output instead.")
    var testFraction: Double?

    @Option(help: "Output file of the test part (with --test-fraction).")
    var testOutput: String?

    @Option(
        help: ArgumentHelp(
            "Class names, comma-separated, in label order (label 0 first); shown wherever a label is.",
            valueName: "names"))
    var classNames: String?

    @Flag(help: "Replace output files that exist.")
    var overwrite = false

    func validate() throws {
        if let testFraction, !(testFraction > 0 && testFraction < 1) {
            throw ValidationError("--test-fraction \(testFraction): expected a number between 0 and 1")
        }
        if (testFraction == nil) != (testOutput == nil) {
            throw ValidationError("--test-fraction and --test-output go together")
        }
    }

    func run() throws {
        var set: ImageDataset
        if file.hasSuffix(".h5") || file.hasSuffix(".hdf5") {
            set = try ImageDataset.importHDF5(file, layout: layout, source: file, split: split)
        } else {
            set = try ImageDataset.importIDX(images: file, labels: labels, source: file, split: split)
        }
        if let classNames {
            set.classNames = classNames.split(separator: ",", omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
        }
        if let largest = set.labels.max(), largest >= 0, !set.classNames.isEmpty,
            largest >= set.classNames.count
        {
            throw ValidationError(
                "\(set.classNames.count) class names for labels up to \(largest): name every label from 0 to \(largest)"
            )
        }
        var outputs = [(output, set)]
        if let testFraction, let testOutput {
            let parts = set.split(testFraction: testFraction)
            outputs = [(output, parts.train), (testOutput, parts.test)]
        }
        for (path, _) in outputs where !overwrite && FileManager.default.fileExists(atPath: path) {
            throw ValidationError("\(path) exists; pass --overwrite to replace it")
        }
        for (path, var part) in outputs {
            part.command = commandText(CommandLine.arguments)
            let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try part.write(to: path)
            print("wrote \(path): \(part.count) images of \(part.channels)×\(part.height)×\(part.width)")
        }
    }
}
