// The collective layer sees flat buffers, not models (Horovod, mlx distributed): a step is one
// all-reduce of the gradient arena, whatever the model.

/// A failure of a collective operation.
public struct CommunicatorError: Error, CustomStringConvertible {
    /// What failed, with MPI's error string.
    public var message: String

    /// An error with `message`.
    public init(_ message: String) { self.message = message }

    /// The message.
    public var description: String { message }
}

/// A group of ranks that run the same program on different data.
public protocol Communicator: AnyObject {
    /// This process's rank, 0 ..< size.
    var rank: Int { get }
    /// Number of ranks.
    var size: Int { get }
    /// A name for logs ("local" or "MPI").
    var backend: String { get }

    /// Replaces `buffer` on every rank with the elementwise sum over ranks.
    func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws
    /// Replaces `buffer` on every rank with the elementwise sum over ranks.
    func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Double>) throws
    /// Replaces `buffer` on every rank with the elementwise sum over ranks: exact, so the result
    /// does not depend on the order of the ranks' contributions.
    func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Int64>) throws
    /// Starts replacing `buffer` with its sum over ranks without waiting (a non-blocking
    /// all-reduce); it completes in `finishAllReduces`, and `buffer` must not be touched before.
    /// Every rank starts the same buffers' reductions in the same order.
    func startAllReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws
    /// Lets started reductions advance (MPI moves non-blocking collectives only inside its calls).
    func progressAllReduces()
    /// Waits for every started reduction.
    func finishAllReduces() throws
    /// Replaces `buffer` on every rank with the elementwise maximum over ranks.
    func allReduceMax(_ buffer: UnsafeMutableBufferPointer<Double>) throws
    /// Copies `buffer` of rank `root` to every rank.
    func broadcast(_ buffer: UnsafeMutableRawBufferPointer, root: Int) throws
    /// Collects every rank's `values` (any lengths) at `root`, in rank order; nil elsewhere.
    func gather(_ values: [Float], root: Int) throws -> [[Float]]?
    /// Collects every rank's bytes at `root`, in rank order; nil elsewhere.
    func gatherBytes(_ values: [UInt8], root: Int) throws -> [[UInt8]]?
    /// Waits for every rank.
    func barrier() throws
    /// Ends every rank of the job at once with `code`, after printing `message` on this one.
    func abort(code: Int32, message: String) -> Never
}

extension Communicator {
    /// Whether this rank writes files and prints reports.
    public var isCoordinator: Bool { rank == 0 }

    /// All-reduces an array in place.
    public func allReduceSum(_ values: inout [Float]) throws {
        try values.withUnsafeMutableBufferPointer { try allReduceSum($0) }
    }

    /// All-reduces an array in place.
    public func allReduceSum(_ values: inout [Double]) throws {
        try values.withUnsafeMutableBufferPointer { try allReduceSum($0) }
    }

    /// Broadcasts an array of trivially copyable values in place (same count on every rank).
    public func broadcast<T: BitwiseCopyable>(_ values: inout [T], root: Int) throws {
        try values.withUnsafeMutableBytes { try broadcast($0, root: root) }
    }

    /// Broadcasts a string from `root`.
    public func broadcast(_ text: String, root: Int) throws -> String {
        var length = [Int64(text.utf8.count)]
        try broadcast(&length, root: root)
        var bytes = rank == root ? Array(text.utf8) : [UInt8](repeating: 0, count: Int(length[0]))
        try broadcast(&bytes, root: root)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Sums `buffer` over ranks in place, in calls of at most `bucketElements` elements (one
    /// call unless the buffer is larger): a large gradient arena never needs one huge message.
    public func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>, bucketElements: Int) throws {
        guard size > 1, let base = buffer.baseAddress else { return }
        let bucket = max(1, bucketElements)
        var start = 0
        while start < buffer.count {
            let count = min(bucket, buffer.count - start)
            try allReduceSum(UnsafeMutableBufferPointer(start: base + start, count: count))
            start += count
        }
    }

    /// The half-open range of `count` items that this rank owns when they are split in
    /// contiguous, nearly equal parts.
    public func share(of count: Int) -> Range<Int> {
        (rank * count / size)..<((rank + 1) * count / size)
    }
}

#if canImport(Glibc)
    import Glibc
#endif

/// Writes `text` and a newline to standard error, unbuffered.
public func printError(_ text: String) {
    let bytes = Array((text + "\n").utf8)
    bytes.withUnsafeBytes { _ = write(STDERR_FILENO, $0.baseAddress, $0.count) }
}

/// Writes `text` and a newline to standard output at once (a job's log file shows it while the
/// job runs; `print` holds it in a buffer when the output is not a terminal).
public func printNow(_ text: String) {
    let bytes = Array((text + "\n").utf8)
    bytes.withUnsafeBytes { _ = write(STDOUT_FILENO, $0.baseAddress, $0.count) }
}
