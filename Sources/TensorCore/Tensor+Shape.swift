// Data movement: axis permutation, slicing, zero padding and concatenation along an axis.

extension Tensor {
    /// Row-major element strides of `shape`.
    public static func strides(of shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var running = 1
        for axis in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[axis] = running
            running *= shape[axis]
        }
        return strides
    }

    /// Reorders the axes: result axis `k` is input axis `permutation[k]`.
    public func permuted(_ permutation: [Int]) -> Tensor {
        precondition(
            permutation.sorted() == Array(0..<rank),
            "\(permutation) is not a permutation of the \(rank) axes of \(shape)")
        if permutation == Array(0..<rank) { return self }
        let inputStrides = Tensor.strides(of: shape)
        let resultShape = permutation.map { shape[$0] }
        let readStrides = permutation.map { inputStrides[$0] }
        // Swapping the last two axes of a batch of matrices is the common case: block it so
        // both sides stay in cache.
        if rank >= 2 && Array(permutation.prefix(rank - 2)) == Array(0..<(rank - 2))
            && permutation[rank - 2] == rank - 1 && permutation[rank - 1] == rank - 2
        {
            return batchedTranspose()
        }
        return Tensor(shape: resultShape) { out in
            withUnsafeBufferPointer { input in
                guard let source = input.baseAddress, let target = out.baseAddress else { return }
                Tensor.forEachRow(resultShape, readStrides, readStrides) {
                    outStart, readStart, _, length, readStep, _ in
                    for index in 0..<length {
                        target[outStart + index] = source[readStart + index * readStep]
                    }
                }
            }
        }
    }

    /// Swaps the last two axes, in 32×32 tiles.
    private func batchedTranspose() -> Tensor {
        let rows = shape[rank - 2]
        let columns = shape[rank - 1]
        let batch = count / Swift.max(rows * columns, 1)
        var resultShape = shape
        resultShape.swapAt(rank - 2, rank - 1)
        let tile = 32
        return Tensor(shape: resultShape) { out in
            withUnsafeBufferPointer { input in
                guard let source = input.baseAddress, let target = out.baseAddress else { return }
                for b in 0..<batch {
                    let from = source + b * rows * columns
                    let to = target + b * rows * columns
                    var r0 = 0
                    while r0 < rows {
                        let r1 = Swift.min(r0 + tile, rows)
                        var c0 = 0
                        while c0 < columns {
                            let c1 = Swift.min(c0 + tile, columns)
                            for r in r0..<r1 {
                                for c in c0..<c1 { to[c * rows + r] = from[r * columns + c] }
                            }
                            c0 = c1
                        }
                        r0 = r1
                    }
                }
            }
        }
    }

    /// The matrix transpose of a rank-2 tensor.
    public func transposed() -> Tensor {
        precondition(rank == 2, "transposed() needs a matrix, got shape \(shape)")
        return permuted([1, 0])
    }

    /// Elements `start ..< start + length` along `axis`.
    public func slice(alongAxis axis: Int, start: Int, length: Int) -> Tensor {
        let (outer, extent, inner) = split(at: axis)
        precondition(
            start >= 0 && length >= 0 && start + length <= extent,
            "slice \(start)..<\(start + length) outside axis \(axis) of \(shape)")
        var resultShape = shape
        resultShape[axis] = length
        return Tensor(shape: resultShape) { out in
            withUnsafeBufferPointer { input in
                guard let source = input.baseAddress, let target = out.baseAddress else { return }
                let block = length * inner
                for o in 0..<outer {
                    (target + o * block).update(
                        from: source + (o * extent + start) * inner, count: block)
                }
            }
        }
    }

    /// Zeros added before and after along `axis`: the adjoint of `slice`.
    public func padded(alongAxis axis: Int, before: Int, after: Int) -> Tensor {
        let (outer, extent, inner) = split(at: axis)
        precondition(before >= 0 && after >= 0, "negative padding \(before), \(after)")
        var resultShape = shape
        resultShape[axis] = extent + before + after
        var result = Tensor.zeros(resultShape)
        result.withUnsafeMutableBufferPointer { out in
            withUnsafeBufferPointer { input in
                guard let source = input.baseAddress, let target = out.baseAddress else { return }
                let block = extent * inner
                let outBlock = (extent + before + after) * inner
                for o in 0..<outer {
                    (target + o * outBlock + before * inner).update(
                        from: source + o * block, count: block)
                }
            }
        }
        return result
    }

    /// Joins tensors along `axis`; all other extents must agree.
    public static func concatenate(_ parts: [Tensor], alongAxis axis: Int) -> Tensor {
        precondition(!parts.isEmpty, "concatenate needs at least one tensor")
        let first = parts[0]
        var resultShape = first.shape
        resultShape[axis] = 0
        for part in parts {
            var expected = part.shape
            expected[axis] = 0
            precondition(
                expected
                    == {
                        var s = first.shape
                        s[axis] = 0
                        return s
                    }(),
                "cannot concatenate \(part.shape) with \(first.shape) along axis \(axis)")
            resultShape[axis] += part.shape[axis]
        }
        let outer = Tensor.elementCount(Array(first.shape[..<axis]))
        let inner = Tensor.elementCount(Array(first.shape[(axis + 1)...]))
        let outBlock = resultShape[axis] * inner
        return Tensor(shape: resultShape) { out in
            guard let target = out.baseAddress else { return }
            var column = 0
            for part in parts {
                let block = part.shape[axis] * inner
                part.withUnsafeBufferPointer { input in
                    guard let source = input.baseAddress else { return }
                    for o in 0..<outer {
                        (target + o * outBlock + column).update(from: source + o * block, count: block)
                    }
                }
                column += block
            }
        }
    }
}
