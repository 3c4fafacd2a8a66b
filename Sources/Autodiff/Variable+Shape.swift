// Shape ops: reshape, axis permutation, slicing, padding, concatenation. Each VJP is the
// adjoint data movement (reshape back, inverse permutation, pad ↔ slice).

import TensorCore

extension Variable {
    /// Each row `times` times in a row: `[B, …]` → `[B·times, …]`, row `i·times + s` = row `i`
    /// (example-major). Its VJP sums each row's `times` gradients (through `broadcast`).
    public func repeatingRows(_ times: Int) -> Variable {
        if times == 1 { return self }
        let rest = Array(shape.dropFirst())
        return reshaped(to: [shape[0], 1] + rest).broadcast(to: [shape[0], times] + rest)
            .reshaped(to: [shape[0] * times] + rest)
    }

    /// The same elements with another shape.
    public func reshaped(to newShape: [Int]) -> Variable {
        if newShape == shape { return self }
        return Variable.record(value.reshaped(to: newShape), operation: "reshape", inputs: [self]) {
            g, x, _, _ in [g.reshaped(to: x[0].shape)]
        }
    }

    /// Reorders the axes: result axis `k` is input axis `permutation[k]`.
    public func permuted(_ permutation: [Int]) -> Variable {
        var inverse = [Int](repeating: 0, count: permutation.count)
        for (position, axis) in permutation.enumerated() { inverse[axis] = position }
        return Variable.record(value.permuted(permutation), operation: "permute", inputs: [self]) {
            g, _, _, _ in [g.permuted(inverse)]
        }
    }

    /// The transpose of a matrix.
    public func transposed() -> Variable {
        precondition(rank == 2, "transposed() needs a matrix, got \(shape)")
        return permuted([1, 0])
    }

    /// Elements `start ..< start + length` along `axis`.
    public func slice(alongAxis axis: Int, start: Int, length: Int) -> Variable {
        let axis = axis < 0 ? axis + rank : axis
        let extent = shape[axis]
        return Variable.record(
            value.slice(alongAxis: axis, start: start, length: length), operation: "slice",
            inputs: [self]
        ) { g, _, _, _ in
            [g.padded(alongAxis: axis, before: start, after: extent - start - length)]
        }
    }

    /// Zeros added before and after along `axis`.
    public func padded(alongAxis axis: Int, before: Int, after: Int) -> Variable {
        let axis = axis < 0 ? axis + rank : axis
        let extent = shape[axis]
        return Variable.record(
            value.padded(alongAxis: axis, before: before, after: after), operation: "pad",
            inputs: [self]
        ) { g, _, _, _ in
            [g.slice(alongAxis: axis, start: before, length: extent)]
        }
    }

    /// Joins variables along `axis`.
    public static func concatenate(_ parts: [Variable], alongAxis axis: Int) -> Variable {
        precondition(!parts.isEmpty, "concatenate needs at least one variable")
        let axis = axis < 0 ? axis + parts[0].rank : axis
        let extents = parts.map { $0.shape[axis] }
        return record(
            Tensor.concatenate(parts.map { $0.value }, alongAxis: axis), operation: "concat",
            inputs: parts
        ) { g, _, _, needed in
            var start = 0
            return extents.enumerated().map { index, extent in
                defer { start += extent }
                return needed[index] ? g.slice(alongAxis: axis, start: start, length: extent) : nil
            }
        }
    }
}
