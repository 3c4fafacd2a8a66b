// Errors about data files and their contents.

/// A dataset could not be read or does not fit.
public enum DatasetError: Error, CustomStringConvertible, Equatable {
    /// A file could not be opened or decompressed.
    case unreadable(path: String, reason: String)
    /// An IDX file's header is malformed or of an unsupported type.
    case badIDX(path: String, reason: String)
    /// Images and labels disagree, or the layout is not N×C×H×W.
    case inconsistent(path: String, reason: String)
    /// An unknown dataset name in a command.
    case unknownName(String, expected: [String])
    /// None of the font files a generated set draws with is installed.
    case noFonts(packages: [String])

    /// A sentence naming the file and the problem.
    public var description: String {
        switch self {
        case .unreadable(let path, let reason): return "\(path): cannot read (\(reason))"
        case .badIDX(let path, let reason): return "\(path): not a valid IDX file (\(reason))"
        case .inconsistent(let path, let reason): return "\(path): \(reason)"
        case .unknownName(let name, let expected):
            return "unknown dataset '\(name)'; expected one of \(expected.joined(separator: ", "))"
        case .noFonts(let packages):
            return "no digit fonts installed; install the Debian packages \(packages.joined(separator: " "))"
        }
    }
}
