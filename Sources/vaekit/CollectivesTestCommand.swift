// `vaekit selftest collectives`: checks the communicator's invariants on however many ranks it
// is launched with (Horovod's test style: results that hold for any size).

import ArgumentParser
import Cluster
import Foundation
import TensorCore

struct CollectivesTest: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "collectives",
        abstract: "All-reduce, broadcast, gather and barrier invariants over the ranks.")

    @Option(help: "Elements of the large all-reduce.")
    var count = 3_000_001

    @Option(help: "Make this rank stall outside the collectives (a watchdog check).")
    var stallRank: Int?

    @Option(help: "The collective watchdog's limit in seconds (training.collective_timeout_s).")
    var timeout = 60

    @Flag(help: "Also time the all-reduce: latency (8 bytes) and bandwidth (--count floats), medians.")
    var timing = false

    /// Median seconds of an 8-byte all-reduce (200 runs) and of a `count`-float one (15 runs),
    /// and the bus bandwidth the ring model implies: 2(R−1)/R · bytes / (time − latency).
    func measure(_ communicator: any Communicator) throws {
        func median(_ runs: Int, _ body: () throws -> Void) throws -> Double {
            var times: [Double] = []
            for _ in 0..<runs {
                try communicator.barrier()
                let start = ContinuousClock.now
                try body()
                times.append((ContinuousClock.now - start) / .seconds(1))
            }
            var all = times
            try all.withUnsafeMutableBufferPointer { try communicator.allReduceMax($0) }
            return all.sorted()[all.count / 2]
        }
        var small = [Double](repeating: 1, count: 1)
        let latency = try median(200) { try communicator.allReduceSum(&small) }
        var large = [Float](repeating: 1, count: count)
        let seconds = try median(15) { try communicator.allReduceSum(&large) }
        let size = Double(communicator.size)
        let bytes = 2 * (size - 1) / size * Double(count * 4)
        if communicator.isCoordinator {
            print(
                "all-reduce on \(communicator.size) rank(s): latency \(String(format: "%.1f", latency * 1e6)) µs; "
                    + "\(count) floats in \(String(format: "%.2f", seconds * 1e3)) ms, bus bandwidth "
                    + "\(String(format: "%.2f", bytes / max(seconds - latency, 1e-9) * 8 / 1e9)) Gbit/s")
        }
    }

    func run() throws {
        try withRanks(blasThreads: .byCommand) { communicator in
            let (rank, size) = (communicator.rank, communicator.size)
            CollectiveTimeout.set(Double(timeout))
            if rank == stallRank { sleep(UInt32(min(timeout * 10, 86_400))) }
            var failures: [String] = []
            // Sum of rank-dependent integers: exact in Float for these magnitudes.
            var values = (0..<count).map { Float(($0 % 97) + rank) }
            try communicator.allReduceSum(&values)
            let rankSum = Float(size * (size - 1) / 2)
            if let bad = values.indices.first(where: { values[$0] != Float(size) * Float($0 % 97) + rankSum })
            {
                failures.append("allReduceSum(Float) wrong at \(bad): \(values[bad])")
            }
            var doubles = [Double(rank) + 0.5, 1]
            try communicator.allReduceSum(&doubles)
            if doubles != [Double(size * (size - 1) / 2) + 0.5 * Double(size), Double(size)] {
                failures.append("allReduceSum(Double) gave \(doubles)")
            }
            var maxima = [Double(rank)]
            try maxima.withUnsafeMutableBufferPointer { try communicator.allReduceMax($0) }
            if maxima != [Double(size - 1)] { failures.append("allReduceMax gave \(maxima)") }
            var payload = rank == size - 1 ? [Int64](0..<1000) : [Int64](repeating: -1, count: 1000)
            try communicator.broadcast(&payload, root: size - 1)
            if payload != [Int64](0..<1000) { failures.append("broadcast from the last rank lost data") }
            let text = try communicator.broadcast(rank == 0 ? "räng zero ✓" : "", root: 0)
            if text != "räng zero ✓" { failures.append("string broadcast gave \(text)") }
            // Gather of different lengths: rank r sends r + 1 values equal to r.
            let gathered = try communicator.gather([Float](repeating: Float(rank), count: rank + 1), root: 0)
            if rank == 0 {
                let expected = (0..<size).map { [Float](repeating: Float($0), count: $0 + 1) }
                if gathered != expected { failures.append("gather gave \(String(describing: gathered))") }
            } else if gathered != nil {
                failures.append("gather returned data on rank \(rank)")
            }
            try communicator.barrier()
            var failed = [Double(failures.isEmpty ? 0 : 1)]
            try communicator.allReduceSum(&failed)
            for failure in failures { printError("rank \(rank): \(failure)") }
            if communicator.isCoordinator {
                print(
                    "collectives on \(size) rank(s) (\(communicator.backend)): \(failed[0] == 0 ? "all invariants hold" : "FAILED")"
                )
            }
            if failed[0] != 0 { throw ExitCode(1) }
            if timing { try measure(communicator) }
        }
    }
}
