// Splitting elementwise loops over the machine's cores. BLAS calls are threaded by OpenBLAS;
// long elementwise passes (optimizer updates over the whole arena) use this.

import Dispatch

/// A raw pointer that may cross into the worker closures of `parallelFor`. The caller
/// guarantees that workers touch disjoint ranges.
public struct SharedPointer<Element>: @unchecked Sendable {
    /// The address.
    public let base: UnsafeMutablePointer<Element>

    /// Wraps `base`.
    public init(_ base: UnsafeMutablePointer<Element>) { self.base = base }
}

/// Worker count for elementwise loops (set once at start; 1 disables threading).
nonisolated(unsafe) public var elementwiseThreadCount = 2

/// Calls `body` on disjoint ranges covering `0..<count`, in parallel when `count` is at least
/// `minimumPerThread` per worker.
public func parallelFor(_ count: Int, minimumPerThread: Int = 1 << 16, _ body: @Sendable (Range<Int>) -> Void)
{
    let workers = max(1, min(elementwiseThreadCount, count / max(minimumPerThread, 1)))
    if workers <= 1 {
        body(0..<count)
        return
    }
    // Chunks rounded to 64 elements keep every chunk's start aligned for vector loads.
    let chunk = ((count + workers - 1) / workers + 63) / 64 * 64
    DispatchQueue.concurrentPerform(iterations: workers) { worker in
        let start = min(worker * chunk, count)
        let end = min(start + chunk, count)
        if start < end { body(start..<end) }
    }
}

/// A value handed to worker threads that the caller guarantees is used safely (read-only
/// sharing, or disjoint writes).
public struct UncheckedBox<Value>: @unchecked Sendable {
    /// The value.
    public let value: Value

    /// Wraps `value`.
    public init(_ value: Value) { self.value = value }
}

/// Runs `body(0..<count)` on `count` threads (inline when `count` is 1) and waits for all.
public func runWorkers(_ count: Int, _ body: @Sendable (Int) -> Void) {
    if count <= 1 {
        body(0)
        return
    }
    DispatchQueue.concurrentPerform(iterations: count, execute: body)
}
