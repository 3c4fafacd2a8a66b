// Progress on a terminal (a bar redrawn in place with rate, ETA and loss) and plain lines
// otherwise (logs, CI), at most every few seconds.

import Foundation

/// Reports the progress of a long loop (training steps, examples of an index, shards of a query).
public final class ProgressDisplay {
    let total: Int
    let label: String
    let unit: String
    let isTerminal: Bool
    let enabled: Bool
    private let start = ContinuousClock.now
    private var lastPrint = ContinuousClock.now
    private var startCount: Int

    /// A display of `total` items from `done`, in units named `unit` (per second), shown only
    /// when `enabled` (rank 0).
    public init(total: Int, startingAt done: Int = 0, label: String, unit: String = "ex", enabled: Bool) {
        self.total = total
        self.label = label
        self.unit = unit
        self.enabled = enabled
        startCount = done
        isTerminal = isatty(STDERR_FILENO) != 0
    }

    private var elapsed: Double { (ContinuousClock.now - start) / .seconds(1) }

    /// Updates the display after `done` of `total` items of `unitsPerItem` units each.
    public func update(done: Int, unitsPerItem: Int = 1, message: String = "") {
        guard enabled else { return }
        let now = ContinuousClock.now
        let interval: Duration = isTerminal ? .milliseconds(200) : .seconds(15)
        guard now - lastPrint >= interval || done == total else { return }
        lastPrint = now
        let rate = Double((done - startCount) * unitsPerItem) / max(elapsed, 1e-9)
        let remaining = rate > 0 ? Double((total - done) * unitsPerItem) / rate : 0
        let fraction = Double(done) / Double(max(total, 1))
        let eta = ProgressDisplay.clock(remaining)
        let line =
            "\(label) \(done)/\(total) \(Int(fraction * 100))% \(Int(rate)) \(unit)/s ETA \(eta) \(message)"
        if isTerminal {
            let width = 24
            let filled = Int(fraction * Double(width))
            let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
            FileHandle.standardError.write(Data("\r\u{1B}[2K[\(bar)] \(line)".utf8))
            if done == total { FileHandle.standardError.write(Data("\n".utf8)) }
        } else {
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
    }

    static func clock(_ seconds: Double) -> String {
        let total = Int(seconds.rounded())
        return String(format: "%02d:%02d", total / 60, total % 60)
    }
}

/// Seconds as "1 h 02 min", "3 min 05 s" or "12.3 s" (the report's wall time, a study's time left).
public func durationText(_ seconds: Double) -> String {
    guard seconds.isFinite else { return "—" }
    if seconds < 60 { return String(format: "%.1f s", seconds) }
    let total = Int(seconds.rounded())
    if total < 3600 { return String(format: "%d min %02d s", total / 60, total % 60) }
    return String(format: "%d h %02d min", total / 3600, (total % 3600) / 60)
}
