// How `vaekit bench train --profile` and `vaekit bench regret --profile` print a step profile.

import Foundation
import NN

extension StepProfile {
    /// Prints the phases, the forward pass by layer and the backward pass by op, in milliseconds
    /// per unit (a step, an example-step) and as shares of one unit's `unitSeconds`. Phases in
    /// `perWorker`, and all layers and ops, are thread-seconds summed over `workers` threads and
    /// are divided by them; `other`, when given, names what no phase holds.
    func print(
        unit: String, units: Double, unitSeconds: Double, perWorker: Set<String>, workers: Int, other: String?
    ) {
        func value(_ seconds: Double, _ phase: String?) -> Double {
            seconds / units / (phase.map { perWorker.contains($0) } ?? true ? Double(workers) : 1)
        }
        func line(_ name: String, _ seconds: Double) -> String {
            "  " + name.padding(toLength: 44, withPad: " ", startingAt: 0)
                + String(format: "%9.3f %7.1f %%", seconds * 1e3, 100 * seconds / unitSeconds)
        }
        let note = perWorker.isEmpty ? "thread-" : ""
        let workerNote = perWorker.isEmpty ? "" : "; worker phases per worker"
        Swift.print("phase (\(note)ms per \(unit), share of the \(unit)\(workerNote))")
        var accounted = 0.0
        for row in phases.rows {
            accounted += value(row.seconds, row.name)
            Swift.print(line(row.name, value(row.seconds, row.name)))
        }
        if let other { Swift.print(line(other, unitSeconds - accounted)) }
        Swift.print("forward by layer (per worker)")
        for row in layers?.rows ?? [] { Swift.print(line(row.name, value(row.seconds, nil))) }
        Swift.print("backward by op (per worker, largest first)")
        for row in (operations?.rows ?? []).sorted(by: { $0.seconds > $1.seconds }) {
            Swift.print(line(row.name, value(row.seconds, nil)))
        }
    }
}
