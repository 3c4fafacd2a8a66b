// Errors at the file boundary: each names the file, the object inside it, and what was expected.

/// A file could not be read or written as expected.
public enum StorageError: Error, CustomStringConvertible, Equatable {
    /// The file does not exist or cannot be opened.
    case cannotOpen(path: String, reason: String)
    /// The file exists but is not an HDF5 file (or is truncated).
    case notHDF5(path: String)
    /// A dataset, group or attribute is missing.
    case missing(path: String, object: String)
    /// An object has another element type than expected.
    case wrongType(path: String, object: String, expected: String, found: String)
    /// An object has another shape than expected.
    case wrongShape(path: String, object: String, expected: String, found: [Int])
    /// Writing failed (disk full, permissions, …).
    case writeFailed(path: String, object: String)
    /// The file is of another format or version.
    case formatMismatch(path: String, expected: String, found: String)
    /// Any other problem with a file's contents.
    case invalid(path: String, reason: String)

    /// A sentence naming the file, the object and the problem.
    public var description: String {
        switch self {
        case .cannotOpen(let path, let reason): return "\(path): cannot open (\(reason))"
        case .notHDF5(let path): return "\(path): not an HDF5 file, or truncated"
        case .missing(let path, let object): return "\(path): missing \(object)"
        case .wrongType(let path, let object, let expected, let found):
            return "\(path): \(object) holds \(found), expected \(expected)"
        case .wrongShape(let path, let object, let expected, let found):
            return "\(path): \(object) has shape \(found), expected \(expected)"
        case .writeFailed(let path, let object): return "\(path): could not write \(object)"
        case .formatMismatch(let path, let expected, let found):
            return "\(path): format '\(found)', expected '\(expected)' (written by another VAEKit version, "
                + "or not this kind of file: run the command that writes it again)"
        case .invalid(let path, let reason): return "\(path): \(reason)"
        }
    }
}
