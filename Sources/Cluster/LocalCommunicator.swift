// One rank and no MPI: every collective is the identity. The same binary runs without mpirun.

#if canImport(Glibc)
    import Glibc
#endif

/// The single-process communicator (size 1); makes no MPI call.
public final class LocalCommunicator: Communicator {
    /// A local communicator.
    public init() {}
    /// 0.
    public var rank: Int { 0 }
    /// 1.
    public var size: Int { 1 }
    /// "local".
    public var backend: String { "local" }
    /// Nothing to sum.
    public func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws {}
    /// Nothing to sum.
    public func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Double>) throws {}
    /// Nothing to reduce.
    public func allReduceMax(_ buffer: UnsafeMutableBufferPointer<Double>) throws {}
    /// Nothing to sum.
    public func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Int64>) throws {}
    /// Nothing to sum.
    public func startAllReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws {}
    /// Nothing started.
    public func progressAllReduces() {}
    /// Nothing started.
    public func finishAllReduces() throws {}
    /// Nothing to send.
    public func broadcast(_ buffer: UnsafeMutableRawBufferPointer, root: Int) throws {}
    /// This rank's values alone.
    public func gather(_ values: [Float], root: Int) throws -> [[Float]]? { [values] }
    /// This rank's bytes alone.
    public func gatherBytes(_ values: [UInt8], root: Int) throws -> [[UInt8]]? { [values] }
    /// Nothing to wait for.
    public func barrier() throws {}
    /// Prints and exits.
    public func abort(code: Int32, message: String) -> Never {
        printError(message)
        exit(code)
    }
}
