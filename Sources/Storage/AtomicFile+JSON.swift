// JSON result files (ood.json, influence.json, manifest.json, training.json, report.json, …):
// pretty-printed with sorted keys, written atomically. Non-finite numbers, which JSON cannot
// hold, are written as the strings "nan", "inf" and "-inf" rather than failing the write.

import Foundation

extension AtomicFile {
    /// Writes `value` as pretty-printed JSON to `path` atomically.
    public static func writeJSON<Value: Encodable>(_ value: Value, to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        try write(Array(try encoder.encode(value)), to: path)
    }
}
