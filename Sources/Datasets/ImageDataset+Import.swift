// Images from an HDF5 file written by someone else (h5py, numpy): `/images` as N×H×W, N×C×H×W or
// N×H×W×C, unsigned bytes or floats (32 or 64 bits) in [0, 1]; optional `/labels` (N integers). Anything else is
// refused by name.

import Storage

/// How the axes of a 4-axis `/images` dataset are ordered.
public enum ImageLayout: String, CaseIterable, Sendable {
    /// Decided from the shape: the axis of 1 or 3 channels, when only one of axes 1 and 3 is.
    case auto
    /// N×C×H×W (PyTorch).
    case nchw
    /// N×H×W×C (TensorFlow, numpy images).
    case nhwc
}

extension ImageDataset {
    /// Reads `/images` (and `/labels` when present) of a foreign HDF5 file.
    /// - Parameters:
    ///   - layout: the axis order of 4-axis images (`auto` decides from the shape).
    public static func importHDF5(_ path: String, layout: ImageLayout, source: String, split: String) throws
        -> ImageDataset
    {
        let file = try HDF5File.open(path)
        let (shape, type) = try file.describe("/images")
        guard shape.count == 3 || shape.count == 4 else {
            throw StorageError.wrongShape(
                path: path, object: "/images", expected: "N×H×W, N×C×H×W or N×H×W×C", found: shape)
        }
        var order = layout
        if shape.count == 4 && order == .auto {
            let (first, last) = ([1, 3].contains(shape[1]), [1, 3].contains(shape[3]))
            guard first != last else {
                throw StorageError.wrongShape(
                    path: path, object: "/images",
                    expected: "one axis of 1 or 3 channels (axis 1 or 3); pass --layout nchw or nhwc",
                    found: shape)
            }
            order = first ? .nchw : .nhwc
        }
        let (count, channels, height, width) =
            shape.count == 3
            ? (shape[0], 1, shape[1], shape[2])
            : order == .nhwc
                ? (shape[0], shape[3], shape[1], shape[2]) : (shape[0], shape[1], shape[2], shape[3])
        guard count > 0, height > 0, width > 0, channels > 0 else {
            throw StorageError.wrongShape(
                path: path, object: "/images", expected: "no empty axis", found: shape)
        }
        var bytes: [UInt8]
        switch type {
        case .uint8: bytes = try file.readBytes("/images").values
        case .float32, .float64:
            let values =
                type == .float32
                ? try file.readFloats("/images").values.map(Double.init)
                : try file.readDoubles("/images").values
            if let bad = values.first(where: { !($0 >= 0 && $0 <= 1) }) {
                throw StorageError.invalid(
                    path: path,
                    reason: "/images holds the value \(bad); expected intensities in [0, 1] (or uint8)")
            }
            bytes = values.map { UInt8(($0 * 255).rounded()) }
        default:
            throw StorageError.wrongType(
                path: path, object: "/images", expected: "uint8, or float32/float64 in [0, 1]",
                found: type?.rawValue ?? "another type")
        }
        if shape.count == 4 && order == .nhwc && channels > 1 {
            // N×H×W×C → N×C×H×W.
            var planar = [UInt8](repeating: 0, count: bytes.count)
            let plane = height * width
            for image in 0..<count {
                let base = image * plane * channels
                for pixel in 0..<plane {
                    for channel in 0..<channels {
                        planar[base + channel * plane + pixel] = bytes[base + pixel * channels + channel]
                    }
                }
            }
            bytes = planar
        }
        var labels = [Int64](repeating: -1, count: count)
        if file.exists("/labels") {
            let (labelShape, labelType) = try file.describe("/labels")
            guard labelShape == [count] else {
                throw StorageError.wrongShape(
                    path: path, object: "/labels", expected: "[\(count)]", found: labelShape)
            }
            switch labelType {
            case .int64: labels = try file.readInt64s("/labels").values
            case .uint8: labels = try file.readBytes("/labels").values.map { Int64($0) }
            default:
                throw StorageError.wrongType(
                    path: path, object: "/labels", expected: "int64 or uint8",
                    found: labelType?.rawValue ?? "another type")
            }
        }
        var set = ImageDataset(
            images: bytes, labels: labels, channels: channels, height: height, width: width, source: source,
            split: split)
        if file.exists("/class_names") { set.classNames = try file.readStrings("/class_names") }
        return set
    }

    /// The examples at `indices`, in that order, named `split`.
    public func subset(_ indices: [Int], split: String) -> ImageDataset {
        var copy = subset(indices)
        copy.split = split
        return copy
    }

    /// A deterministic split: example i goes to the test part when ⌊(i + 1)·f⌋ > ⌊i·f⌋, so
    /// ⌊N·f⌋ examples evenly spread over the file (no draw: the same file always splits the same).
    public func split(testFraction fraction: Double) -> (train: ImageDataset, test: ImageDataset) {
        let isTest = (0..<count).map { index in
            (Double(index + 1) * fraction).rounded(.down) > (Double(index) * fraction).rounded(.down)
        }
        return (
            subset((0..<count).filter { !isTest[$0] }, split: "train"),
            subset((0..<count).filter { isTest[$0] }, split: "test")
        )
    }
}
