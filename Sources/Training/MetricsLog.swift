// The metrics log: one JSON object per line, appended and flushed after every record.

import Foundation
import Storage

/// An append-only JSON-lines file.
final class MetricsLog {
    let path: String
    private let handle: FileHandle?

    /// A log that records nothing (ranks other than the coordinator). Never a path such as
    /// /dev/null: opening a log may replace its file, and as root that replaced /dev/null itself.
    init() {
        path = ""
        handle = nil
    }

    /// Opens the log for appending; `truncate` empties it; `keepingThrough` (a resume) keeps only
    /// the records of steps up to that one, so that steps redone after an interruption are not
    /// recorded twice.
    init(path: String, truncate: Bool, keepingThrough step: Int? = nil) throws {
        self.path = path
        if let step, !truncate, let text = try? String(contentsOfFile: path, encoding: .utf8) {
            let kept = text.split(separator: "\n").filter { line in
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                    let recorded = (object["step"] as? NSNumber)?.intValue
                else { return true }
                return recorded <= step
            }
            try AtomicFile.write(kept.map { $0 + "\n" }.joined(), to: path)
        }
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

    deinit { try? handle?.close() }

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
        guard let handle else { return }
        handle.write(Data(("{" + fields.joined(separator: ", ") + "}\n").utf8))
        try handle.synchronize()
    }
}
