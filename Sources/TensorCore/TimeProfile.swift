// Where time goes, by name: a forward pass layer by layer (`Sequential` times its layers when the
// pass carries a profile), a backward pass op by op (`gradients(…, profile:)`), a training step
// phase by phase (`vaekit bench train --profile`, `vaekit bench iwae --profile`).

import Synchronization

/// Seconds spent under each name, summed over every call that reports to this profile (from any
/// thread), with the number of calls; rows in the order first seen.
public final class TimeProfile: Sendable {
    private let table = Mutex((order: [String](), seconds: [String: Double](), calls: [String: Int]()))

    /// An empty profile.
    public init() {}

    /// `(name, seconds, calls)` in the order the names were first reported.
    public var rows: [(name: String, seconds: Double, calls: Int)] {
        table.withLock { table in
            table.order.map { ($0, table.seconds[$0] ?? 0, table.calls[$0] ?? 0) }
        }
    }

    /// Adds one call of `name` that took `duration`.
    public func add(_ name: String, _ duration: Duration) {
        let seconds = duration / .seconds(1)
        table.withLock { table in
            if table.seconds[name] == nil { table.order.append(name) }
            table.seconds[name, default: 0] += seconds
            table.calls[name, default: 0] += 1
        }
    }

    /// `body()`, its time added under `name` when `profile` is set.
    @discardableResult
    public static func measure<R>(_ name: String, in profile: TimeProfile?, _ body: () throws -> R) rethrows
        -> R
    {
        guard let profile else { return try body() }
        let clock = ContinuousClock()
        let start = clock.now
        defer { profile.add(name, clock.now - start) }
        return try body()
    }
}
