// Tensor: a Float32, row-major, copy-on-write array with a shape.

#if canImport(Glibc)
    import Glibc
#endif

/// The reference-counted buffer behind one or more tensors.
///
/// A storage is shared by value copies of a `Tensor` and by views (a parameter arena hands out
/// views at offsets). Writers go through `Tensor.withUnsafeMutableBufferPointer`, which copies
/// first when the storage is shared, except for views made with `Tensor(viewing:…)`, whose
/// owner updates them in place on purpose.
public final class TensorStorage: @unchecked Sendable {
    /// First element; 64-byte aligned so that vector loads never straddle a cache line.
    public let pointer: UnsafeMutablePointer<Float>
    /// Number of elements.
    public let count: Int

    /// Allocates `count` uninitialized elements.
    public init(uninitializedCount count: Int) {
        precondition(count >= 0, "negative element count \(count)")
        self.count = count
        let raw = UnsafeMutableRawPointer.allocate(
            byteCount: max(count, 1) * MemoryLayout<Float>.stride, alignment: 64)
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
    }

    /// Allocates `count` elements set to `value`.
    public convenience init(count: Int, repeating value: Float) {
        self.init(uninitializedCount: count)
        pointer.initialize(repeating: value, count: count)
    }

    deinit {
        UnsafeMutableRawPointer(pointer).deallocate()
    }
}

/// A dense Float32 tensor in row-major order.
///
/// Value semantics with copy-on-write: copying a `Tensor` is O(1); the first write to a copy
/// whose storage is shared duplicates the storage.
public struct Tensor: @unchecked Sendable {
    /// Extent of each axis; `[]` is a scalar.
    public private(set) var shape: [Int]
    /// The buffer; elements `offset ..< offset + count` belong to this tensor.
    @usableFromInline internal var storage: TensorStorage
    @usableFromInline internal var offset: Int
    /// True for views into a buffer owned elsewhere (a parameter arena): writes go to the owner.
    @usableFromInline internal var isView: Bool

    /// Number of elements (product of the shape).
    public var count: Int { Tensor.elementCount(shape) }
    /// Number of axes.
    public var rank: Int { shape.count }

    /// Product of the extents of `shape`.
    @inlinable public static func elementCount(_ shape: [Int]) -> Int {
        var product = 1
        for extent in shape { product *= extent }
        return product
    }

    /// A tensor of `shape` with every element equal to `value`.
    public init(shape: [Int], repeating value: Float) {
        Tensor.checkShape(shape)
        self.shape = shape
        storage = TensorStorage(count: Tensor.elementCount(shape), repeating: value)
        offset = 0
        isView = false
    }

    /// A tensor of `shape` filled with `scalars` (row-major).
    public init(shape: [Int], scalars: [Float]) {
        Tensor.checkShape(shape)
        precondition(
            scalars.count == Tensor.elementCount(shape),
            "\(scalars.count) scalars do not fill shape \(shape)")
        self.shape = shape
        storage = TensorStorage(uninitializedCount: scalars.count)
        offset = 0
        isView = false
        scalars.withUnsafeBufferPointer { source in
            if let base = source.baseAddress { storage.pointer.update(from: base, count: source.count) }
        }
    }

    /// A scalar tensor.
    public init(_ value: Float) {
        self.init(shape: [], repeating: value)
    }

    /// A tensor of `shape` whose elements are written by `fill`, which must set every element.
    ///
    /// Kernels use this to avoid zero-filling a buffer they overwrite anyway.
    public init(shape: [Int], fill: (UnsafeMutableBufferPointer<Float>) -> Void) {
        Tensor.checkShape(shape)
        self.shape = shape
        storage = TensorStorage(uninitializedCount: Tensor.elementCount(shape))
        offset = 0
        isView = false
        fill(UnsafeMutableBufferPointer(start: storage.pointer, count: storage.count))
    }

    /// A view of `shape` onto `storage` starting at element `offset`. Writes through the view
    /// change the storage in place (no copy-on-write).
    public init(viewing storage: TensorStorage, offset: Int, shape: [Int]) {
        Tensor.checkShape(shape)
        precondition(
            offset >= 0 && offset + Tensor.elementCount(shape) <= storage.count,
            "view [\(offset), +\(Tensor.elementCount(shape))) outside a storage of \(storage.count)")
        self.shape = shape
        self.storage = storage
        self.offset = offset
        isView = true
    }

    /// Zeros of `shape`.
    public static func zeros(_ shape: [Int]) -> Tensor { Tensor(shape: shape, repeating: 0) }
    /// Ones of `shape`.
    public static func ones(_ shape: [Int]) -> Tensor { Tensor(shape: shape, repeating: 1) }

    static func checkShape(_ shape: [Int]) {
        for extent in shape { precondition(extent >= 0, "negative extent in shape \(shape)") }
    }

    /// Calls `body` with the elements, read-only.
    @inlinable
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows
        -> R
    {
        try body(UnsafeBufferPointer(start: storage.pointer + offset, count: count))
    }

    /// Calls `body` with the elements, writable; copies a shared storage first (except views).
    @inlinable
    public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (UnsafeMutableBufferPointer<Float>) throws -> R
    ) rethrows -> R {
        if !isView && !isKnownUniquelyReferenced(&storage) {
            let copy = TensorStorage(uninitializedCount: count)
            copy.pointer.update(from: storage.pointer + offset, count: count)
            storage = copy
            offset = 0
        }
        return try body(UnsafeMutableBufferPointer(start: storage.pointer + offset, count: count))
    }

    /// The elements as an array (row-major).
    public var scalars: [Float] { withUnsafeBufferPointer { Array($0) } }

    /// The single element of a one-element tensor.
    public var scalar: Float {
        precondition(count == 1, "scalar of a tensor with shape \(shape)")
        return storage.pointer[offset]
    }

    /// Element at a flat (row-major) index.
    public subscript(flat index: Int) -> Float {
        get {
            precondition(index >= 0 && index < count, "flat index \(index) outside \(shape)")
            return storage.pointer[offset + index]
        }
        set {
            precondition(index >= 0 && index < count, "flat index \(index) outside \(shape)")
            withUnsafeMutableBufferPointer { $0[index] = newValue }
        }
    }

    /// The same elements with another shape of equal element count (no copy).
    public func reshaped(to newShape: [Int]) -> Tensor {
        Tensor.checkShape(newShape)
        precondition(
            Tensor.elementCount(newShape) == count, "cannot reshape \(shape) to \(newShape)")
        var result = self
        result.shape = newShape
        return result
    }

    /// A fresh copy that owns its storage (detaches views).
    public func copied() -> Tensor {
        Tensor(shape: shape) { out in
            withUnsafeBufferPointer { source in
                if let base = source.baseAddress, let target = out.baseAddress {
                    target.update(from: base, count: source.count)
                }
            }
        }
    }
}

extension Tensor: CustomStringConvertible {
    /// Shape and the first few elements.
    public var description: String {
        let head = scalars.prefix(8).map { "\($0)" }.joined(separator: ", ")
        return "Tensor(\(shape): [\(head)\(count > 8 ? ", …" : "")])"
    }
}
