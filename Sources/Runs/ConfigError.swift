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
            let name = String(key.split(separator: ".").last ?? Substring(key))
            let guess = expected.map { ($0, ConfigError.editDistance(name, $0)) }.min { $0.1 < $1.1 }
            let hint =
                guess.flatMap { $0.1 <= max(2, name.count / 3) ? " (did you mean '\($0.0)'?)" : nil } ?? ""
            return
                "\(path): unknown key '\(key)'\(hint); expected one of: \(expected.joined(separator: ", "))"
        case .badValue(let path, let key, let value, let expected):
            return "\(path): \(key) = '\(value)' is not \(expected)"
        case .badOverride(let text): return "--set '\(text)': expected key.path=value"
        case .mismatch(let reason): return reason
        }
    }

    /// Levenshtein distance: insertions, deletions and substitutions of characters.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let (a, b) = (Array(a), Array(b))
        var previous = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var current = [i + 1] + [Int](repeating: 0, count: b.count)
            for (j, y) in b.enumerated() {
                current[j + 1] = min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
