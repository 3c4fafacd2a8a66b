// The process's peak resident memory, for the summary lines of memory-bounded commands.

import Foundation

/// The peak resident set size of this process (VmHWM in /proc/self/status), in bytes; nil where
/// the kernel does not report it.
public func peakResidentBytes() -> Int? {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
        if fields.count >= 2, let kilobytes = Int(fields[1]) { return kilobytes * 1024 }
    }
    return nil
}

/// The peak in MiB (for JSON: `peak_resident_mib`), nil where it is unknown.
public func peakResidentMiB() -> Int? { peakResidentBytes().map { $0 >> 20 } }

/// The peak as text: `peak memory 512 MiB`, or nothing where it is unknown.
public func peakMemoryText() -> String {
    peakResidentBytes().map { "peak memory \($0 >> 20) MiB" } ?? ""
}
