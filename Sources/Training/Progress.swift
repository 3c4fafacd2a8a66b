// Progress on a terminal (a bar redrawn in place with rate, ETA and loss) and plain lines
// otherwise (logs, CI), at most every few seconds.

import Foundation

/// Reports the progress of a long loop.
final class Progress {
    let total: Int
    let label: String
    let isTerminal: Bool
    let enabled: Bool
    private let start = ContinuousClock.now
    private var lastPrint = ContinuousClock.now
    private var startCount: Int

    init(total: Int, startingAt done: Int, label: String, enabled: Bool) {
        self.total = total
        self.label = label
        self.enabled = enabled
        startCount = done
        isTerminal = isatty(STDERR_FILENO) != 0
    }

    private var elapsed: Double { (ContinuousClock.now - start) / .seconds(1) }

    /// Updates the display after `done` of `total` units; `rate` is units per second.
    func update(done: Int, unitsPerItem: Int, message: String) {
        guard enabled else { return }
        let now = ContinuousClock.now
        let interval: Duration = isTerminal ? .milliseconds(200) : .seconds(15)
        guard now - lastPrint >= interval || done == total else { return }
        lastPrint = now
        let rate = Double((done - startCount) * unitsPerItem) / max(elapsed, 1e-9)
        let remaining = rate > 0 ? Double((total - done) * unitsPerItem) / rate : 0
        let fraction = Double(done) / Double(max(total, 1))
        let eta = Progress.clock(remaining)
        let line = "\(label) \(done)/\(total) \(Int(fraction * 100))% \(Int(rate)) ex/s ETA \(eta) \(message)"
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
