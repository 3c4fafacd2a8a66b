// A YAML document as a small tree with typed, key-checked access. Every key that the schema
// reads is marked; whatever is left unmarked is reported as unknown, with its full path.

import Yams

/// A YAML value: scalar text, mapping, or sequence.
indirect enum ConfigTree: Equatable {
    case scalar(String)
    case mapping([(key: String, value: ConfigTree)])
    case sequence([ConfigTree])

    static func == (a: ConfigTree, b: ConfigTree) -> Bool {
        switch (a, b) {
        case (.scalar(let x), .scalar(let y)): return x == y
        case (.sequence(let x), .sequence(let y)): return x == y
        case (.mapping(let x), .mapping(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: return false
        }
    }

    /// Limits on a config's YAML, checked on the text before it is parsed.
    static let maximumBytes = 1 << 20
    static let maximumDepth = 32
    static let maximumIndentation = 256

    /// Refuses text the parser would spend unbounded memory or stack on: over 1 MiB, anchors or
    /// aliases (whose expansion can grow exponentially; configs never need them), flow
    /// collections nested deeper than 32 or lines indented more than 256 columns.
    static func checkBounds(_ text: String, path: String) throws {
        let refuse = { (reason: String) in ConfigError.syntax(path: path, reason: reason) }
        guard text.utf8.count <= maximumBytes else { throw refuse("more than \(maximumBytes) bytes") }
        var (quote, depth, column, previous): (UInt8?, Int, Int, UInt8) = (nil, 0, 0, UInt8(ascii: "\n"))
        var indenting = true
        for byte in text.utf8 {
            defer { previous = byte }
            if byte == UInt8(ascii: "\n") {
                (column, indenting) = (0, true)
                if quote == UInt8(ascii: "\n") { quote = nil }  // the end of a comment
                continue
            }
            if indenting {
                if byte == UInt8(ascii: " ") {
                    column += 1
                    guard column <= maximumIndentation else {
                        throw refuse("a line indented more than \(maximumIndentation) columns")
                    }
                    continue
                }
                indenting = false
            }
            if let open = quote {
                if byte == open { quote = nil }
                continue
            }
            switch byte {
            case UInt8(ascii: "'"), UInt8(ascii: "\""): quote = byte
            case UInt8(ascii: "#") where previous == UInt8(ascii: " ") || previous == UInt8(ascii: "\n"):
                // A comment: nothing until the end of the line counts (quote stays closed).
                quote = UInt8(ascii: "\n")
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                guard depth <= maximumDepth else {
                    throw refuse("collections nested deeper than \(maximumDepth)")
                }
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth = max(0, depth - 1)
            case UInt8(ascii: "&"), UInt8(ascii: "*"):
                if [
                    UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "["), UInt8(ascii: "{"),
                    UInt8(ascii: ","),
                ]
                .contains(previous) {
                    throw refuse("YAML anchors and aliases (& and *) are not supported in configs")
                }
            default: break
            }
        }
    }

    /// Parses YAML text; an empty document is an empty mapping.
    static func parse(_ text: String, path: String) throws -> ConfigTree {
        try checkBounds(text, path: path)
        do {
            guard let node = try Yams.compose(yaml: text) else { return .mapping([]) }
            return try convert(node, path: path)
        } catch let error as ConfigError {
            throw error
        } catch {
            throw ConfigError.syntax(path: path, reason: "\(error)")
        }
    }

    private static func convert(_ node: Node, path: String) throws -> ConfigTree {
        switch node {
        case .scalar(let scalar):
            return .scalar(scalar.string)
        case .mapping(let mapping):
            var entries: [(key: String, value: ConfigTree)] = []
            for (key, value) in mapping {
                guard case .scalar(let name) = key else {
                    throw ConfigError.syntax(path: path, reason: "mapping keys must be plain names")
                }
                if entries.contains(where: { $0.key == name.string }) {
                    throw ConfigError.syntax(path: path, reason: "key '\(name.string)' appears twice")
                }
                entries.append((name.string, try convert(value, path: path)))
            }
            return .mapping(entries)
        case .sequence(let sequence):
            return .sequence(try sequence.map { try convert($0, path: path) })
        default:
            throw ConfigError.syntax(path: path, reason: "aliases and other node kinds are not supported")
        }
    }

    /// Sets the value at a dotted key path, creating mappings on the way.
    func setting(_ keyPath: [String], to value: ConfigTree) -> ConfigTree {
        guard let head = keyPath.first else { return value }
        var entries: [(key: String, value: ConfigTree)] = []
        if case .mapping(let existing) = self { entries = existing }
        if let index = entries.firstIndex(where: { $0.key == head }) {
            entries[index].value = entries[index].value.setting(Array(keyPath.dropFirst()), to: value)
        } else {
            entries.append((head, ConfigTree.mapping([]).setting(Array(keyPath.dropFirst()), to: value)))
        }
        return .mapping(entries)
    }
}

/// Typed reads from a mapping with key tracking.
final class ConfigReader {
    let path: String
    let prefix: String
    private let entries: [(key: String, value: ConfigTree)]
    private var used: Set<String> = []
    private var children: [ConfigReader] = []

    init(_ tree: ConfigTree, path: String, prefix: String = "") throws {
        self.path = path
        self.prefix = prefix
        switch tree {
        case .mapping(let entries): self.entries = entries
        default:
            throw ConfigError.badValue(
                path: path, key: prefix.isEmpty ? "(document)" : prefix, value: "\(tree)",
                expected: "a mapping")
        }
    }

    private func key(_ name: String) -> String { prefix.isEmpty ? name : "\(prefix).\(name)" }

    private func value(_ name: String) -> ConfigTree? {
        used.insert(name)
        return entries.first { $0.key == name }?.value
    }

    private func scalar(_ name: String, expected: String) throws -> String? {
        guard let tree = value(name) else { return nil }
        guard case .scalar(let text) = tree else {
            throw ConfigError.badValue(path: path, key: key(name), value: "\(tree)", expected: expected)
        }
        return text
    }

    /// A nested mapping (empty when absent); the same reader each time it is asked for.
    func section(_ name: String) throws -> ConfigReader {
        if let child = children.first(where: { $0.prefix == key(name) }) { return child }
        let child = try ConfigReader(value(name) ?? .mapping([]), path: path, prefix: key(name))
        children.append(child)
        return child
    }

    func string(_ name: String, default fallback: String, allowed: [String]? = nil) throws -> String {
        let text = try scalar(name, expected: "a string") ?? fallback
        if let allowed, !allowed.contains(text) {
            throw ConfigError.badValue(
                path: path, key: key(name), value: text, expected: "one of \(allowed.joined(separator: ", "))"
            )
        }
        return text
    }

    func int(_ name: String, default fallback: Int, minimum: Int = Int.min, maximum: Int = Int.max) throws
        -> Int
    {
        guard let text = try scalar(name, expected: "an integer") else { return fallback }
        guard let number = Int(text.replacingOccurrences(of: "_", with: "")), number >= minimum,
            number <= maximum
        else {
            throw ConfigError.badValue(
                path: path, key: key(name), value: text, expected: ConfigReader.integerRange(minimum, maximum)
            )
        }
        return number
    }

    /// `an integer in [a, b]`, `an integer ≥ a` or `an integer`.
    static func integerRange(_ minimum: Int, _ maximum: Int) -> String {
        if maximum != Int.max { return "an integer in [\(minimum), \(maximum)]" }
        return minimum == Int.min ? "an integer" : "an integer ≥ \(minimum)"
    }

    func float(
        _ name: String, default fallback: Float, minimum: Float = -Float.infinity, maximum: Float = .infinity
    ) throws -> Float {
        guard let text = try scalar(name, expected: "a number") else { return fallback }
        guard let number = Float(text), number.isFinite, number >= minimum, number <= maximum else {
            let expected =
                maximum.isFinite
                ? "a number in [\(minimum), \(maximum)]"
                : minimum == -Float.infinity ? "a number" : "a number ≥ \(minimum)"
            throw ConfigError.badValue(path: path, key: key(name), value: text, expected: expected)
        }
        return number
    }

    func ints(
        _ name: String, default fallback: [Int], minimum: Int = 1, maximum: Int = Int.max,
        count: Int = Int.max
    ) throws -> [Int] {
        guard let tree = value(name) else { return fallback }
        let expected = "a list of at most \(count) integers in [\(minimum), \(maximum)]"
        guard case .sequence(let items) = tree, items.count <= count else {
            throw ConfigError.badValue(path: path, key: key(name), value: "\(tree)", expected: expected)
        }
        return try items.map { item in
            guard case .scalar(let text) = item, let number = Int(text), number >= minimum, number <= maximum
            else {
                let shown: String
                if case .scalar(let text) = item { shown = text } else { shown = "\(item)" }
                throw ConfigError.badValue(path: path, key: key(name), value: shown, expected: expected)
            }
            return number
        }
    }

    /// Throws for the first key, here or in a section, that no read asked for.
    func rejectUnknownKeys() throws {
        for entry in entries where !used.contains(entry.key) {
            throw ConfigError.unknownKey(path: path, key: key(entry.key), expected: used.sorted())
        }
        for child in children { try child.rejectUnknownKeys() }
    }
}
