// A bound on how long a rank waits in a collective (Horovod's stall check, for MPI): a cut link
// or a stopped host otherwise leaves the other ranks in MPI_Allreduce for as long as TCP keeps
// retrying — minutes to hours. A thread per rank watches the collective in progress; past the
// timeout it pings every other rank on a duplicate of the world communicator (whose watchdogs
// answer even while their main threads wait in the same collective), names the ranks that did
// not answer within 2 s, and aborts the job.

import CMPI
import Foundation

/// The process-wide limit on a collective's wait, in seconds (`training.collective_timeout_s`,
/// applied by whoever opens a run's config; 60 s until then).
public enum CollectiveTimeout {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var seconds: Double = 60

    /// The limit now in force.
    public static var current: Double {
        lock.lock()
        defer { lock.unlock() }
        return seconds
    }

    /// Sets the limit (clamped to at least 1 s).
    public static func set(_ value: Double) {
        lock.lock()
        seconds = max(1, value)
        lock.unlock()
    }
}

/// Watches one rank's collectives and answers the other ranks' pings. Its MPI calls run on its
/// own thread (MPI_THREAD_MULTIPLE); `stop` ends the thread before MPI_Finalize.
final class CollectiveWatchdog: @unchecked Sendable {
    private let lock = NSLock()
    private var operation: String?
    private var started = Date()
    private var stopping = false
    private let stopped = DispatchSemaphore(value: 0)
    private let rank: Int
    private let size: Int
    /// A duplicate of MPI_COMM_WORLD used only for pings, so that they never match a collective.
    private var pings: MPI_Comm?
    private static let pingTag: Int32 = 7301
    private static let answerTag: Int32 = 7302
    // Buffers MPI writes into after the call that posts them returns: allocated, never moved.
    private let incoming = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
    private let answer = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
    private var request: MPI_Request? = vaekit_mpi_request_null()

    /// Starts watching; collective over the world (MPI_Comm_dup).
    init(rank: Int, size: Int, world: MPI_Comm) {
        self.rank = rank
        self.size = size
        var duplicate: MPI_Comm? = world
        MPI_Comm_dup(world, &duplicate)
        pings = duplicate
        answer.pointee = 1
        let thread = Thread { [self] in run() }
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// Runs `body` as the collective `name`, watched.
    func watch<R>(_ name: String, _ body: () throws -> R) rethrows -> R {
        lock.lock()
        operation = name
        started = Date()
        lock.unlock()
        defer {
            lock.lock()
            operation = nil
            lock.unlock()
        }
        return try body()
    }

    /// Ends the watching thread and releases its MPI resources (before MPI_Finalize).
    func stop() {
        lock.lock()
        stopping = true
        lock.unlock()
        stopped.wait()
    }

    /// Answers a ping that arrived, and posts the next receive.
    private func answerPings() {
        var done: Int32 = 0
        var status = MPI_Status()
        MPI_Test(&request, &done, &status)
        guard done != 0 else { return }
        var sent: MPI_Request? = vaekit_mpi_request_null()
        MPI_Isend(answer, 1, vaekit_mpi_byte(), status.MPI_SOURCE, Self.answerTag, pings, &sent)
        MPI_Request_free(&sent)
        MPI_Irecv(incoming, 1, vaekit_mpi_byte(), vaekit_mpi_any_source(), Self.pingTag, pings, &request)
    }

    private func run() {
        MPI_Irecv(incoming, 1, vaekit_mpi_byte(), vaekit_mpi_any_source(), Self.pingTag, pings, &request)
        while true {
            Thread.sleep(forTimeInterval: 0.1)
            answerPings()
            lock.lock()
            let (name, waited, ending) = (operation, Date().timeIntervalSince(started), stopping)
            lock.unlock()
            if ending { break }
            let limit = CollectiveTimeout.current
            if let name, waited > limit {
                let silent = silentRanks()
                if silent.isEmpty {
                    printError(
                        "rank \(rank)/\(size): \(name) waited \(Int(waited)) s for the other ranks "
                            + "(training.collective_timeout_s = \(Int(limit))); every rank answered a ping, so "
                            + "one is busy outside the collective; ending the job")
                } else {
                    // MPI_Abort has to reach every host's daemon: with a host unreachable, mpirun
                    // waits on it for as long as TCP retries. Its keepalive (launch/run.sh) ends the
                    // job sooner; abort only if it has not within the grace period.
                    printError(
                        "rank \(rank)/\(size): \(name) waited \(Int(waited)) s for the other ranks "
                            + "(training.collective_timeout_s = \(Int(limit))); rank(s) "
                            + silent.map(String.init).joined(separator: ", ")
                            + " did not answer a ping (a cut link, a stopped host, or a dead process); "
                            + "ending the job")
                    let grace = Date().addingTimeInterval(20)
                    while Date() < grace {
                        answerPings()
                        Thread.sleep(forTimeInterval: 0.1)
                    }
                }
                MPI_Abort(pings, 75)
                exit(75)
            }
        }
        MPI_Cancel(&request)
        MPI_Wait(&request, vaekit_mpi_status_ignore())
        MPI_Comm_free(&pings)
        stopped.signal()
    }

    /// Pings every other rank and waits up to 2 s (answering their pings meanwhile); returns the
    /// ranks that did not answer.
    private func silentRanks() -> [Int] {
        let others = (0..<size).filter { $0 != rank }
        let outgoing = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
        let answers = UnsafeMutablePointer<UInt8>.allocate(capacity: max(others.count, 1))
        outgoing.pointee = 2
        var receives = [MPI_Request?](repeating: vaekit_mpi_request_null(), count: others.count)
        for (slot, other) in others.enumerated() {
            var sent: MPI_Request? = vaekit_mpi_request_null()
            MPI_Isend(outgoing, 1, vaekit_mpi_byte(), Int32(other), Self.pingTag, pings, &sent)
            MPI_Request_free(&sent)
            MPI_Irecv(
                answers + slot, 1, vaekit_mpi_byte(), Int32(other), Self.answerTag, pings, &receives[slot])
        }
        var answered = [Bool](repeating: false, count: others.count)
        let deadline = Date().addingTimeInterval(2)
        while Date() < deadline, answered.contains(false) {
            answerPings()
            for slot in others.indices where !answered[slot] {
                var done: Int32 = 0
                MPI_Test(&receives[slot], &done, vaekit_mpi_status_ignore())
                answered[slot] = done != 0
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        // The buffers stay allocated: a late answer may still arrive before the job ends.
        return others.indices.filter { !answered[$0] }.map { others[$0] }
    }
}
