// The metrics log: one JSON object per line, appended and flushed after every record.

import Foundation

/// An append-only JSON-lines file.
final class MetricsLog {
    let path: String
    private let handle: FileHandle

    init(path: String, truncate: Bool) throws {
        self.path = path
        if truncate || !FileManager.default.fileExists(atPath: path) {
            guard FileManager.default.createFile(atPath: path, contents: nil) else {
                throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path])
            }
        }
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path])
        }
        handle.seekToEndOfFile()
        self.handle = handle
    }

    deinit { try? handle.close() }

    /// Appends one record (keys sorted).
    func append(_ record: [String: Double]) throws {
        let fields = record.keys.sorted().map { key -> String in
            let value = record[key] ?? .nan
            let text =
                value.isFinite
                ? (value == value.rounded() && Swift.abs(value) < 1e15 ? String(Int(value)) : "\(value)")
                : "null"
            return "\"\(key)\": \(text)"
        }
        handle.write(Data(("{" + fields.joined(separator: ", ") + "}\n").utf8))
        try handle.synchronize()
    }
}
