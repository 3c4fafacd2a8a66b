// Reductions and broadcasts. An axis reduction views the tensor as [outer, axis, inner] so that
// every kernel is a loop over contiguous rows.

internal import _CTensorKernels

#if canImport(Glibc)
    import Glibc
#endif

extension Tensor {
    /// Splits the shape around `axis` into (outer, extent, inner) element counts.
    func split(at axis: Int) -> (outer: Int, extent: Int, inner: Int) {
        precondition(axis >= 0 && axis < rank, "axis \(axis) out of range for shape \(shape)")
        let outer = Tensor.elementCount(Array(shape[..<axis]))
        let inner = Tensor.elementCount(Array(shape[(axis + 1)...]))
        return (outer, shape[axis], inner)
    }

    /// Sum of every element, accumulated in Double.
    public func sum() -> Float {
        withUnsafeBufferPointer { values in
            var total: Double = 0
            for value in values { total += Double(value) }
            return Float(total)
        }
    }

    /// Reduces one axis with `combine`, starting each output from `initial`; the axis is kept
    /// with extent 1 when `keepingAxis`, else dropped.
    @inline(__always)
    func reduce(
        axis: Int, keepingAxis: Bool, initial: Float, _ combine: (Float, Float) -> Float
    ) -> Tensor {
        let (outer, extent, inner) = split(at: axis)
        var resultShape = shape
        if keepingAxis { resultShape[axis] = 1 } else { resultShape.remove(at: axis) }
        return Tensor(shape: resultShape) { out in
            withUnsafeBufferPointer { input in
                guard let source = input.baseAddress, let target = out.baseAddress else { return }
                for o in 0..<outer {
                    let row = target + o * inner
                    for i in 0..<inner { row[i] = initial }
                    for k in 0..<extent {
                        let slice = source + (o * extent + k) * inner
                        for i in 0..<inner { row[i] = combine(row[i], slice[i]) }
                    }
                }
            }
        }
    }

    /// Sum along `axes` (each axis once); the axes are dropped unless `keepingAxes`.
    public func sum(alongAxes axes: [Int], keepingAxes: Bool = false) -> Tensor {
        if axes == [rank - 1], rank >= 1 {
            // Along the last axis: contiguous rows, summed with sixteen partial sums each.
            let extent = shape[rank - 1]
            var resultShape = shape
            if keepingAxes { resultShape[rank - 1] = 1 } else { resultShape.removeLast() }
            return Tensor(shape: resultShape) { out in
                withUnsafeBufferPointer { input in
                    guard let source = input.baseAddress, let target = out.baseAddress else { return }
                    vk_row_sums(source, target, out.count, extent)
                }
            }
        }
        var result = self
        for axis in Set(axes).sorted(by: >) {
            result = result.reduce(axis: axis, keepingAxis: true, initial: 0) { $0 + $1 }
        }
        if keepingAxes { return result }
        let dropped = Set(axes)
        return result.reshaped(to: shape.indices.filter { !dropped.contains($0) }.map { shape[$0] })
    }

    /// Maximum along `axis`.
    public func max(alongAxis axis: Int, keepingAxis: Bool = false) -> Tensor {
        reduce(axis: axis, keepingAxis: keepingAxis, initial: -Float.infinity) { Swift.max($0, $1) }
    }

    /// `log Σ exp` along `axis`, shifted by the maximum so that it never overflows.
    public func logSumExp(alongAxis axis: Int, keepingAxis: Bool = false) -> Tensor {
        let (outer, extent, inner) = split(at: axis)
        let maxima = max(alongAxis: axis, keepingAxis: true)
        var resultShape = shape
        if keepingAxis { resultShape[axis] = 1 } else { resultShape.remove(at: axis) }
        return Tensor(shape: resultShape) { out in
            withUnsafeBufferPointer { input in
                maxima.withUnsafeBufferPointer { maxBuffer in
                    guard let source = input.baseAddress, let peak = maxBuffer.baseAddress,
                        let target = out.baseAddress
                    else { return }
                    for o in 0..<outer {
                        let row = target + o * inner
                        let shift = peak + o * inner
                        for i in 0..<inner { row[i] = 0 }
                        for k in 0..<extent {
                            let slice = source + (o * extent + k) * inner
                            for i in 0..<inner where shift[i] > -Float.infinity {
                                row[i] += Glibc.expf(slice[i] - shift[i])
                            }
                        }
                        for i in 0..<inner {
                            row[i] =
                                shift[i] == -Float.infinity ? -Float.infinity : Glibc.logf(row[i]) + shift[i]
                        }
                    }
                }
            }
        }
    }

    /// Repeats the tensor along broadcast axes to `targetShape` (NumPy rules).
    public func broadcast(to targetShape: [Int]) -> Tensor {
        if shape == targetShape { return self }
        precondition(
            Tensor.broadcastShape(shape, targetShape) == targetShape,
            "cannot broadcast \(shape) to \(targetShape)")
        return Tensor.zeros(targetShape).broadcastZip(self) { _, value in value }
    }

    /// Sums the broadcast axes away so that the result has `targetShape`: the adjoint of
    /// `broadcast(to:)`.
    public func sum(toShape targetShape: [Int]) -> Tensor {
        if shape == targetShape { return self }
        precondition(
            Tensor.broadcastShape(targetShape, shape) == shape,
            "cannot sum \(shape) down to \(targetShape)")
        let leading = rank - targetShape.count
        var result = self
        if leading > 0 {
            // Leading axes: accumulate contiguous rows of the target's size.
            let period = Tensor.elementCount(Array(shape[leading...]))
            let rows = count / Swift.max(period, 1)
            result = Tensor(shape: Array(shape[leading...]), repeating: 0)
            result.withUnsafeMutableBufferPointer { out in
                withUnsafeBufferPointer { input in
                    guard let target = out.baseAddress, let source = input.baseAddress else { return }
                    for row in 0..<rows {
                        let slice = source + row * period
                        for index in 0..<period { target[index] += slice[index] }
                    }
                }
            }
        }
        for axis in 0..<targetShape.count where targetShape[axis] == 1 && result.shape[axis] != 1 {
            result = result.reduce(axis: axis, keepingAxis: true, initial: 0) { $0 + $1 }
        }
        return result
    }
}
