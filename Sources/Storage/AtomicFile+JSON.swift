// JSON result files (ood.json, influence.json, manifest.json, training.json, report.json, …):
// pretty-printed with sorted keys, written atomically, keys in snake_case. Non-finite numbers,
// which JSON cannot hold, are written as the strings "nan", "inf" and "-inf" rather than failing
// the write, and read back as numbers. Every file VAEKit writes and reads back goes through
// `writeJSON` and `readJSON`, so the key convention has one owner.
//
// Keys: a Swift property `meanAUROC` is written `mean_auroc`, `fprAt95` `fpr_at_95`; reading
// turns the words back, upper-casing the acronyms of `JSONKeys.acronyms`. Dictionary keys are
// data (set names, method names, file names) and are left as they are.

import Foundation

extension AtomicFile {
    /// Writes `value` as pretty-printed snake_case JSON to `path` atomically.
    public static func writeJSON<Value: Encodable>(_ value: Value, to path: String) throws {
        try write(Array(try JSONKeys.encoder.encode(value)), to: path)
    }

    /// Reads a file written by `writeJSON`; a missing file, bad JSON or a missing key throws
    /// `StorageError.cannotOpen` naming the file and what was wrong, and a file of another
    /// format version (`VersionedJSON`) `StorageError.formatMismatch`, before its keys are read.
    public static func readJSON<Value: Decodable>(_ type: Value.Type, from path: String) throws -> Value {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw StorageError.cannotOpen(path: path, reason: "no such file, or it cannot be read")
        }
        if let versioned = type as? any VersionedJSON.Type {
            let found = (try? JSONKeys.decoder.decode(FormatField.self, from: data))?.format ?? "none"
            guard found == versioned.currentFormat else {
                throw StorageError.formatMismatch(path: path, expected: versioned.currentFormat, found: found)
            }
        }
        return try decodeJSON(type, from: data, path: path)
    }

    /// Decodes JSON bytes `data` read from `path` (for messages).
    public static func decodeJSON<Value: Decodable>(
        _ type: Value.Type, from data: Data, path: String
    ) throws -> Value {
        do {
            return try JSONKeys.decoder.decode(type, from: data)
        } catch let error as DecodingError {
            throw StorageError.cannotOpen(path: path, reason: JSONKeys.describe(error))
        } catch {
            throw StorageError.cannotOpen(path: path, reason: "not JSON: \(error)")
        }
    }
}

/// A JSON file with a `format` field naming its layout and version (`vaekit-ood-3`), checked
/// by `AtomicFile.readJSON` before anything else is read.
public protocol VersionedJSON: Decodable {
    /// The format this build writes and reads.
    static var currentFormat: String { get }
}

private struct FormatField: Decodable {
    var format: String
}

/// The snake_case convention of VAEKit's JSON files.
public enum JSONKeys {
    /// Words written in lower case in files and upper case in Swift names.
    static let acronyms: Set<String> = ["auroc", "auprc", "elbo", "kl", "nll", "fpr", "tpr"]

    /// `meanAUROC` → `mean_auroc`, `fprAt95` → `fpr_at_95`, `imagesPerSecond` →
    /// `images_per_second`: a run of capitals is one word, a run of digits is one word.
    public static func snakeCase(_ name: String) -> String {
        var words: [String] = []
        var current = ""
        let characters = Array(name)
        for (position, character) in characters.enumerated() {
            if character == "_" {
                if !current.isEmpty { words.append(current) }
                current = ""
                continue
            }
            if position > 0, !current.isEmpty {
                let previous = characters[position - 1]
                let next = position + 1 < characters.count ? characters[position + 1] : nil
                let startsWord =
                    (character.isUppercase && !previous.isUppercase)
                    || (character.isUppercase && previous.isUppercase && (next?.isLowercase ?? false))
                    || (character.isNumber != previous.isNumber)
                if startsWord {
                    words.append(current)
                    current = ""
                }
            }
            current.append(character)
        }
        if !current.isEmpty { words.append(current) }
        return words.map { $0.lowercased() }.joined(separator: "_")
    }

    /// The inverse of `snakeCase` for Swift names whose acronyms are in `acronyms`:
    /// `mean_auroc` → `meanAUROC`, `fpr_at_95` → `fprAt95`.
    public static func camelCase(_ key: String) -> String {
        let words = key.split(separator: "_").map(String.init)
        guard let first = words.first else { return key }
        return first
            + words.dropFirst().map { word in
                acronyms.contains(word) ? word.uppercased() : word.prefix(1).uppercased() + word.dropFirst()
            }.joined()
    }

    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        encoder.keyEncodingStrategy = .custom { path in
            Key(stringValue: snakeCase(path.last?.stringValue ?? ""))
        }
        return encoder
    }

    static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        decoder.keyDecodingStrategy = .custom { path in
            Key(stringValue: camelCase(path.last?.stringValue ?? ""))
        }
        return decoder
    }

    /// A decoding error as a sentence: the key path (in the file's spelling) and what was wrong.
    static func describe(_ error: DecodingError) -> String {
        func location(_ path: [any CodingKey]) -> String {
            let keys = path.map { $0.intValue.map { "[\($0)]" } ?? snakeCase($0.stringValue) }
            return keys.isEmpty ? "at the top level" : "at \(keys.joined(separator: "."))"
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "missing key '\(snakeCase(key.stringValue))' \(location(context.codingPath))"
        case .typeMismatch(let type, let context), .valueNotFound(let type, let context):
            return "expected \(type) \(location(context.codingPath))"
        case .dataCorrupted(let context):
            return "\(context.debugDescription) \(location(context.codingPath))"
        @unknown default:
            return "\(error)"
        }
    }

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
