// Atomic replacement of files: write to a temporary name in the same folder, fsync, rename,
// fsync the folder. A reader sees the old file or the complete new one, never a half-written one.

#if canImport(Glibc)
    import Glibc
#endif

/// Writes a file atomically.
public enum AtomicFile {
    /// Calls `write` with a temporary path next to `path`, then moves the result into place.
    /// On error the temporary file is removed and `path` is left as it was.
    public static func replace(_ path: String, _ write: (String) throws -> Void) throws {
        let temporary = "\(path).tmp-\(getpid())"
        do {
            try write(temporary)
            try sync(temporary)
            guard rename(temporary, path) == 0 else {
                throw StorageError.writeFailed(path: path, object: "rename from \(temporary)")
            }
            syncDirectory(of: path)
        } catch StorageError.writeFailed(let failedPath, let object) {
            let note = fullDiskNote(path)
            unlink(temporary)
            throw StorageError.writeFailed(path: failedPath, object: object + note)
        } catch {
            unlink(temporary)
            throw error
        }
    }

    /// " (the disk holding it is full: N bytes free)" when under 1 MiB is free where `path`
    /// goes, else "": a write that failed for lack of space says so.
    static func fullDiskNote(_ path: String) -> String {
        var info = statvfs()
        let folder = path.contains("/") ? String(path[..<(path.lastIndex(of: "/") ?? path.endIndex)]) : "."
        guard statvfs(folder.isEmpty ? "/" : folder, &info) == 0 else { return "" }
        let free = UInt64(info.f_bavail) * UInt64(info.f_frsize)
        return free < 1 << 20 ? " (the disk holding it is full: \(free) bytes free)" : ""
    }

    /// Removes the temporary files (`<name>.tmp-<pid>`) that processes no longer running left in
    /// `folder` — a checkpoint half-written when its writer was interrupted; returns their names.
    @discardableResult
    public static func removeAbandoned(in folder: String) -> [String] {
        guard let directory = opendir(folder) else { return [] }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) {
                String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
            }
            names.append(name)
        }
        closedir(directory)
        var removed: [String] = []
        for name in names {
            guard let marker = name.range(of: ".tmp-", options: .backwards),
                let pid = Int32(name[marker.upperBound...]), pid > 0, pid != getpid()
            else { continue }
            // Alive (or not ours to signal): leave it; gone: its file is abandoned.
            if kill(pid, 0) == 0 || errno == EPERM { continue }
            if unlink("\(folder)/\(name)") == 0 { removed.append(name) }
        }
        return removed.sorted()
    }

    /// Writes `bytes` to `path` atomically.
    public static func write(_ bytes: [UInt8], to path: String) throws {
        try replace(path) { temporary in
            let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            guard descriptor >= 0 else {
                throw StorageError.cannotOpen(path: temporary, reason: String(cString: strerror(errno)))
            }
            defer { close(descriptor) }
            var written = 0
            while written < bytes.count {
                let result = bytes.withUnsafeBytes { buffer in
                    Glibc.write(descriptor, buffer.baseAddress.map { $0 + written }, bytes.count - written)
                }
                guard result > 0 else { throw StorageError.writeFailed(path: path, object: "contents") }
                written += result
            }
        }
    }

    /// Writes UTF-8 `text` to `path` atomically.
    public static func write(_ text: String, to path: String) throws {
        try write(Array(text.utf8), to: path)
    }

    private static func sync(_ path: String) throws {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else {
            throw StorageError.cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw StorageError.writeFailed(path: path, object: "fsync") }
    }

    private static func syncDirectory(of path: String) {
        let folder = path.contains("/") ? String(path[..<(path.lastIndex(of: "/") ?? path.endIndex)]) : "."
        let descriptor = open(folder.isEmpty ? "/" : folder, O_RDONLY)
        if descriptor >= 0 {
            fsync(descriptor)
            close(descriptor)
        }
    }
}

/// Creates `path` and its missing parents (like `mkdir -p`).
public func makeDirectories(_ path: String) throws {
    var current = path.hasPrefix("/") ? "" : "."
    for component in path.split(separator: "/") {
        current += "/\(component)"
        if mkdir(current, 0o755) != 0 && errno != EEXIST {
            throw StorageError.cannotOpen(path: current, reason: String(cString: strerror(errno)))
        }
    }
}

/// Whether a file or folder exists at `path`.
public func fileExists(_ path: String) -> Bool { access(path, F_OK) == 0 }
