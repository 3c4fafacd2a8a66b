// Errors in run configs and command-line overrides: each names the file, the key and what was
// expected.

/// A config could not be used.
public enum ConfigError: Error, CustomStringConvertible, Equatable {
    /// The file is missing or unreadable.
    case unreadable(path: String, reason: String)
    /// The YAML does not parse.
    case syntax(path: String, reason: String)
    /// A key that the schema does not know.
    case unknownKey(path: String, key: String, expected: [String])
    /// A value of the wrong type or out of range.
    case badValue(path: String, key: String, value: String, expected: String)
    /// A `--set` argument that is not `key=value`.
    case badOverride(String)
    /// The data do not fit the model.
    case mismatch(String)

    /// A sentence naming the file, the key and the expectation.
    public var description: String {
        switch self {
        case .unreadable(let path, let reason): return "\(path): cannot read config (\(reason))"
        case .syntax(let path, let reason): return "\(path): invalid YAML (\(reason))"
        case .unknownKey(let path, let key, let expected):
            return "\(path): unknown key '\(key)'; expected one of: \(expected.joined(separator: ", "))"
        case .badValue(let path, let key, let value, let expected):
            return "\(path): \(key) = '\(value)' is not \(expected)"
        case .badOverride(let text): return "--set '\(text)': expected key.path=value"
        case .mismatch(let reason): return reason
        }
    }
}
