// Labelled uint8 images in memory, and their HDF5 layout: /images (uint8, N×C×H×W),
// /labels (int64, N), /class_names (strings, K; optional: label l is named class_names[l]),
// attributes format, source, split and (optional) command, the command that wrote the file.

import Storage
import TensorCore

/// N labelled images of C×H×W bytes.
public struct ImageDataset: Sendable {
    /// The `format` attribute of dataset files.
    public static let format = "vaekit-dataset-1"

    /// Pixels, row-major N×C×H×W.
    public var images: [UInt8]
    /// One label per image (-1 when unlabelled).
    public var labels: [Int64]
    /// Channels C, height H, width W.
    public var channels: Int
    /// Height H.
    public var height: Int
    /// Width W.
    public var width: Int
    /// Where the data came from (e.g. `fashion-mnist`).
    public var source: String
    /// `train`, `test`, or a user's name.
    public var split: String
    /// Label l's name is `classNames[l]`; empty when the file names no classes.
    public var classNames: [String] = []
    /// The command that wrote the file (`vaekit data prepare …`), for the report's Reproduce
    /// section; empty when unknown.
    public var command = ""

    /// The split of this set's random draws (binarization, ε, augmentation): the run names its
    /// sets `train` and `test` whatever their files say, and other sets by their role.
    public var drawSplit: DrawSplit { DrawSplit(split) }

    /// The same images drawing in `split` (the run's `train`/`test`, an OOD set, a query role).
    public func withDrawSplit(_ split: DrawSplit) -> ImageDataset {
        var copy = self
        copy.split = split.name
        return copy
    }

    /// Images N.
    public var count: Int { labels.count }
    /// Values per image, C·H·W.
    public var imageSize: Int { channels * height * width }

    /// A dataset; `images` must hold `labels.count` images of C×H×W.
    public init(
        images: [UInt8], labels: [Int64], channels: Int, height: Int, width: Int, source: String,
        split: String
    ) {
        precondition(images.count == labels.count * channels * height * width, "images and labels disagree")
        self.images = images
        self.labels = labels
        self.channels = channels
        self.height = height
        self.width = width
        self.source = source
        self.split = split
    }

    /// Writes the dataset to `path` atomically.
    public func write(to path: String) throws {
        try HDF5File.create(atomicallyAt: path) { file in
            try file.write(
                "/images", bytes: images, shape: [count, channels, height, width],
                chunk: [min(max(count, 1), 1024), channels, height, width])
            try file.write("/labels", int64s: labels, shape: [count])
            if !classNames.isEmpty { try file.write("/class_names", strings: classNames) }
            try file.setAttribute("format", ImageDataset.format)
            try file.setAttribute("source", source)
            try file.setAttribute("split", split)
            if !command.isEmpty { try file.setAttribute("command", command) }
        }
    }

    /// Reads a dataset file in VAEKit's layout, checking it.
    public static func read(_ path: String) throws -> ImageDataset {
        let file = try HDF5File.open(path)
        let (images, shape) = try file.readBytes("/images")
        guard shape.count == 4 else {
            throw StorageError.wrongShape(path: path, object: "/images", expected: "N×C×H×W", found: shape)
        }
        var labels: [Int64]
        if file.exists("/labels") {
            let (values, labelShape) = try file.readInt64s("/labels")
            guard labelShape == [shape[0]] else {
                throw StorageError.wrongShape(
                    path: path, object: "/labels", expected: "[\(shape[0])]", found: labelShape)
            }
            labels = values
        } else {
            labels = [Int64](repeating: -1, count: shape[0])
        }
        let source = (try? file.stringAttribute("source")) ?? path
        let split = (try? file.stringAttribute("split")) ?? "unknown"
        var dataset = ImageDataset(
            images: images, labels: labels, channels: shape[1], height: shape[2], width: shape[3],
            source: source,
            split: split)
        if file.exists("/class_names") { dataset.classNames = try file.readStrings("/class_names") }
        dataset.command = (try? file.stringAttribute("command")) ?? ""
        return dataset
    }

    /// Reads an IDX image file and, optionally, an IDX label file.
    public static func importIDX(
        images imagePath: String, labels labelPath: String?, source: String, split: String
    )
        throws -> ImageDataset
    {
        let images = try IDXFile.read(imagePath)
        guard images.shape.count == 3 || images.shape.count == 4 else {
            throw DatasetError.inconsistent(
                path: imagePath, reason: "images must be N×H×W or N×C×H×W, found \(images.shape)")
        }
        let count = images.shape[0]
        let (channels, height, width) =
            images.shape.count == 3
            ? (1, images.shape[1], images.shape[2]) : (images.shape[1], images.shape[2], images.shape[3])
        var labels = [Int64](repeating: -1, count: count)
        if let labelPath {
            let file = try IDXFile.read(labelPath)
            guard file.shape == [count] else {
                throw DatasetError.inconsistent(
                    path: labelPath, reason: "\(file.shape) labels for \(count) images in \(imagePath)")
            }
            labels = file.bytes.map { Int64($0) }
        }
        return ImageDataset(
            images: images.bytes, labels: labels, channels: channels, height: height, width: width,
            source: source,
            split: split)
    }

    /// The first `limit` images.
    public func prefix(_ limit: Int) -> ImageDataset {
        let kept = min(limit, count)
        var copy = self
        copy.images = Array(images[0..<(kept * imageSize)])
        copy.labels = Array(labels[0..<kept])
        return copy
    }

    /// Every image surrounded by `padding` zero pixels (28×28 → 32×32 with 2).
    public func padded(by padding: Int) -> ImageDataset {
        if padding == 0 { return self }
        let (newHeight, newWidth) = (height + 2 * padding, width + 2 * padding)
        var output = [UInt8](repeating: 0, count: count * channels * newHeight * newWidth)
        for image in 0..<count {
            for channel in 0..<channels {
                for row in 0..<height {
                    let source = ((image * channels + channel) * height + row) * width
                    let target =
                        ((image * channels + channel) * newHeight + row + padding) * newWidth + padding
                    for column in 0..<width { output[target + column] = images[source + column] }
                }
            }
        }
        var copy = self
        (copy.images, copy.height, copy.width) = (output, newHeight, newWidth)
        return copy
    }
}

extension ImageDataset {
    /// The examples whose label satisfies `keep`, in order.
    public func filter(labels keep: (Int64) -> Bool) -> ImageDataset {
        subset(labels.indices.filter { keep(labels[$0]) })
    }

    /// The examples `indices`, in that order.
    public func subset(_ indices: [Int]) -> ImageDataset {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(indices.count * imageSize)
        for index in indices { bytes += images[(index * imageSize)..<((index + 1) * imageSize)] }
        var copy = self
        (copy.images, copy.labels) = (bytes, indices.map { labels[$0] })
        return copy
    }
}

extension ImageDataset {
    /// Fashion-MNIST's ten classes, by label.
    public static let fashionMNISTClasses = [
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
        "Ankle boot",
    ]

    /// A label's name: the file's `/class_names`, else Fashion-MNIST's class names (files
    /// written before class names were stored), "digit N" for digits, else "class N"
    /// ("unlabelled" for -1).
    public func className(_ label: Int64) -> String {
        guard label >= 0 else { return "unlabelled" }
        if label < classNames.count { return classNames[Int(label)] }
        if source == "fashion-mnist", label < 10 { return ImageDataset.fashionMNISTClasses[Int(label)] }
        if source == "digits" { return "digit \(label)" }
        return "class \(label)"
    }
}
