// Where a forward pass spends its time, layer by layer: `Sequential` times each of its layers
// when the pass carries a profile (`vaekit bench train --profile`, `vaekit bench iwae`).

import Synchronization

/// Seconds spent in each layer's forward computation, summed over every pass that carries this
/// profile (from any thread), with the number of calls; rows in the order first seen.
public final class LayerProfile: Sendable {
    private let table = Mutex((order: [String](), seconds: [String: Double](), calls: [String: Int]()))

    /// An empty profile.
    public init() {}

    /// `(layer, seconds, calls)` in the order the layers first ran.
    public var rows: [(layer: String, seconds: Double, calls: Int)] {
        table.withLock { table in
            table.order.map { ($0, table.seconds[$0] ?? 0, table.calls[$0] ?? 0) }
        }
    }

    /// Adds one call of `layer` that took `duration`.
    public func add(_ layer: String, _ duration: Duration) {
        let seconds = duration / .seconds(1)
        table.withLock { table in
            if table.seconds[layer] == nil { table.order.append(layer) }
            table.seconds[layer, default: 0] += seconds
            table.calls[layer, default: 0] += 1
        }
    }
}
