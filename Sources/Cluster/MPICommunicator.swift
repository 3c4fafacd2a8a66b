// Open MPI through the shim's getters. Errors return (MPI_ERRORS_RETURN) and become thrown
// CommunicatorErrors; a rank that fails calls MPI_Abort, which ends every rank of the job.

import CMPI

#if canImport(Glibc)
    import Glibc
#endif

/// The MPI_COMM_WORLD communicator.
public final class MPICommunicator: Communicator {
    /// This rank.
    public let rank: Int
    /// World size.
    public let size: Int
    /// "MPI".
    public var backend: String { "MPI" }
    private let world: MPI_Comm
    /// Bounds every collective's wait (`CollectiveTimeout`); nil on one rank, or when MPI cannot
    /// give the thread support it needs.
    private var watchdog: CollectiveWatchdog?
    /// Non-blocking reductions started and not yet finished.
    private var pending: [MPI_Request?] = []
    private var pendingElements = 0

    /// Initializes MPI (once per process) and reads rank and size.
    public init() throws {
        var initialized: Int32 = 0
        MPI_Initialized(&initialized)
        if initialized == 0 {
            var provided: Int32 = 0
            guard MPI_Init_thread(nil, nil, vaekit_mpi_thread_multiple(), &provided) == vaekit_mpi_success()
            else {
                throw CommunicatorError("MPI_Init_thread failed")
            }
        }
        var provided: Int32 = 0
        MPI_Query_thread(&provided)
        world = vaekit_mpi_comm_world()
        MPI_Comm_set_errhandler(world, vaekit_mpi_errors_return())
        var rank: Int32 = 0
        var size: Int32 = 0
        MPI_Comm_rank(world, &rank)
        MPI_Comm_size(world, &size)
        self.rank = Int(rank)
        self.size = Int(size)
        if size > 1, provided == vaekit_mpi_thread_multiple() {
            watchdog = CollectiveWatchdog(rank: Int(rank), size: Int(size), world: world)
        }
    }

    /// Shuts MPI down (collectives are invalid afterwards).
    public func finalize() {
        var finalized: Int32 = 0
        MPI_Finalized(&finalized)
        if finalized == 0 {
            watchdog?.stop()
            watchdog = nil
            MPI_Finalize()
        }
    }

    private func check(_ code: Int32, _ operation: String) throws {
        guard code != vaekit_mpi_success() else { return }
        var buffer = [CChar](repeating: 0, count: Int(vaekit_mpi_max_error_string()) + 1)
        var length: Int32 = 0
        MPI_Error_string(code, &buffer, &length)
        let text = String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        throw CommunicatorError("rank \(rank): \(operation) failed: \(text)")
    }

    /// In-place MPI_Allreduce(MPI_SUM) of floats.
    public func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws {
        try reduce(buffer, vaekit_mpi_float(), vaekit_mpi_sum(), "floats")
    }

    /// In-place MPI_Allreduce(MPI_SUM) of doubles.
    public func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Double>) throws {
        try reduce(buffer, vaekit_mpi_double(), vaekit_mpi_sum(), "doubles")
    }

    /// In-place MPI_Iallreduce(MPI_SUM) of floats (pieces of at most 2³⁰ elements).
    public func startAllReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws {
        try chunkPieces(buffer.count) { start, count in
            var request: MPI_Request? = vaekit_mpi_request_null()
            try check(
                MPI_Iallreduce(
                    vaekit_mpi_in_place(), buffer.baseAddress.map { $0 + start }, Int32(count),
                    vaekit_mpi_float(),
                    vaekit_mpi_sum(), world, &request), "MPI_Iallreduce")
            pending.append(request)
            pendingElements += count
        }
    }

    /// MPI_Test on the started reductions, which lets them advance.
    public func progressAllReduces() {
        for index in pending.indices {
            var done: Int32 = 0
            MPI_Test(&pending[index], &done, vaekit_mpi_status_ignore())
        }
    }

    /// MPI_Waitall on the started reductions, watched.
    public func finishAllReduces() throws {
        guard !pending.isEmpty else { return }
        try watched("MPI_Iallreduce of \(pendingElements) floats in \(pending.count) buckets") {
            try check(
                MPI_Waitall(Int32(pending.count), &pending, vaekit_mpi_statuses_ignore()), "MPI_Waitall")
        }
        pending.removeAll(keepingCapacity: true)
        pendingElements = 0
    }

    /// In-place MPI_Allreduce(MPI_SUM) of 64-bit integers (exact).
    public func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Int64>) throws {
        try reduce(buffer, vaekit_mpi_int64(), vaekit_mpi_sum(), "int64")
    }

    /// In-place MPI_Allreduce(MPI_MAX) of doubles.
    public func allReduceMax(_ buffer: UnsafeMutableBufferPointer<Double>) throws {
        try reduce(buffer, vaekit_mpi_double(), vaekit_mpi_max(), "doubles (max)")
    }

    /// In-place MPI_Allreduce of `buffer` with `operation`, in pieces of at most 2³⁰ elements (MPI
    /// counts are Int32), watched as one collective.
    private func reduce<T>(
        _ buffer: UnsafeMutableBufferPointer<T>, _ type: MPI_Datatype, _ operation: MPI_Op, _ what: String
    ) throws {
        try chunks(buffer.count, "MPI_Allreduce of \(buffer.count) \(what)") { start, count in
            try check(
                MPI_Allreduce(
                    vaekit_mpi_in_place(), buffer.baseAddress.map { $0 + start }, Int32(count), type,
                    operation,
                    world), "MPI_Allreduce")
        }
    }

    /// MPI_Bcast of bytes.
    public func broadcast(_ buffer: UnsafeMutableRawBufferPointer, root: Int) throws {
        try chunks(buffer.count, "MPI_Bcast of \(buffer.count) bytes from rank \(root)") { start, count in
            try check(
                MPI_Bcast(
                    buffer.baseAddress.map { $0 + start }, Int32(count), vaekit_mpi_byte(), Int32(root), world
                ),
                "MPI_Bcast")
        }
    }

    /// MPI_Gatherv of floats (counts gathered first).
    public func gather(_ values: [Float], root: Int) throws -> [[Float]]? {
        let bytes = values.withUnsafeBytes { Array($0) }
        guard let parts = try gatherBytes(bytes, root: root) else { return nil }
        return parts.map { part in
            part.withUnsafeBytes { raw in Array(raw.bindMemory(to: Float.self)) }
        }
    }

    /// MPI_Gatherv of bytes.
    public func gatherBytes(_ values: [UInt8], root: Int) throws -> [[UInt8]]? {
        try watched("MPI_Gatherv of \(values.count) bytes to rank \(root)") {
            try gatherBytesUnwatched(values, root: root)
        }
    }

    private func gatherBytesUnwatched(_ values: [UInt8], root: Int) throws -> [[UInt8]]? {
        var count = Int32(values.count)
        var counts = [Int32](repeating: 0, count: size)
        try check(
            MPI_Gather(&count, 1, vaekit_mpi_int32(), &counts, 1, vaekit_mpi_int32(), Int32(root), world),
            "MPI_Gather")
        var displacements = [Int32](repeating: 0, count: size)
        if rank == root {
            for index in 1..<max(size, 1) where index < size {
                displacements[index] = displacements[index - 1] + counts[index - 1]
            }
        }
        let total = rank == root ? Int(counts.reduce(0, +)) : 0
        var received = [UInt8](repeating: 0, count: max(total, 1))
        var sent = values
        try check(
            MPI_Gatherv(
                &sent, count, vaekit_mpi_byte(), &received, &counts, &displacements, vaekit_mpi_byte(),
                Int32(root),
                world), "MPI_Gatherv")
        guard rank == root else { return nil }
        return (0..<size).map { index in
            let start = Int(displacements[index])
            return Array(received[start..<(start + Int(counts[index]))])
        }
    }

    /// MPI_Barrier.
    public func barrier() throws {
        try watched("MPI_Barrier") { try check(MPI_Barrier(world), "MPI_Barrier") }
    }

    /// Prints `message` and MPI_Abort(MPI_COMM_WORLD, code): mpirun then ends every rank.
    public func abort(code: Int32, message: String) -> Never {
        printError("rank \(rank)/\(size): \(message)")
        MPI_Abort(world, code)
        exit(code)
    }

    /// Runs `body` under the watchdog as the collective `name`.
    private func watched<R>(_ name: String, _ body: () throws -> R) throws -> R {
        guard let watchdog else { return try body() }
        return try watchdog.watch(name, body)
    }

    /// Calls `body` on pieces of at most 2³⁰ elements, the whole watched as `name`.
    private func chunks(_ count: Int, _ name: String, _ body: (Int, Int) throws -> Void) throws {
        try watched(name) { try chunkPieces(count, body) }
    }

    private func chunkPieces(_ count: Int, _ body: (Int, Int) throws -> Void) throws {
        let limit = 1 << 30
        var start = 0
        repeat {
            let part = min(limit, count - start)
            try body(start, part)
            start += part
        } while start < count
    }
}

/// The communicator for this process: MPI when launched by mpirun/srun (their environment
/// variables are present), the local one otherwise. `VAEKIT_COMMUNICATOR=local|mpi` overrides.
public func makeCommunicator() throws -> any Communicator {
    let environment = { (name: String) -> String? in getenv(name).map { String(cString: $0) } }
    switch environment("VAEKIT_COMMUNICATOR") {
    case "local": return LocalCommunicator()
    case "mpi": return try MPICommunicator()
    default: break
    }
    let launched = ["OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE", "SLURM_STEP_ID"]
        .contains { environment($0) != nil }
    return launched ? try MPICommunicator() : LocalCommunicator()
}
