// `vaekit data import FILE`: an IDX or HDF5 image file as a VAEKit dataset.

import ArgumentParser
import Datasets
import Storage

struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import", abstract: "Convert an IDX (.gz) or HDF5 image file into VAEKit's layout.")

    @Argument(help: "An IDX image file (N×H×W or N×C×H×W, unsigned bytes), or an HDF5 file with /images.")
    var file: String

    @Option(help: "IDX label file for the images.")
    var labels: String?

    @Option(help: "Output HDF5 file.")
    var output: String

    @Option(help: "Split name stored in the file.")
    var split = "imported"

    func run() throws {
        let set: ImageDataset
        if file.hasSuffix(".h5") || file.hasSuffix(".hdf5") {
            set = try ImageDataset.read(file)
        } else {
            set = try ImageDataset.importIDX(images: file, labels: labels, source: file, split: split)
        }
        try set.write(to: output)
        print("wrote \(output): \(set.count) images of \(set.channels)×\(set.height)×\(set.width)")
    }
}
