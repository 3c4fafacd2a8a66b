// Reductions. Each VJP reshapes the cotangent to keep the reduced axes (extent 1) and
// broadcasts it back over them.

import TensorCore

extension Variable {
    /// The shape with each of `axes` set to extent 1.
    private func keptShape(_ axes: [Int]) -> [Int] {
        var kept = shape
        for axis in axes { kept[axis] = 1 }
        return kept
    }

    private func normalized(_ axes: [Int]) -> [Int] {
        Array(Set(axes.map { $0 < 0 ? $0 + rank : $0 })).sorted()
    }

    /// Sum along `axes` (negative axes count from the end); drops them unless `keepingAxes`.
    public func sum(alongAxes axes: [Int], keepingAxes: Bool = false) -> Variable {
        let axes = normalized(axes)
        let kept = keptShape(axes)
        return Variable.record(
            value.sum(alongAxes: axes, keepingAxes: keepingAxes), operation: "sum", inputs: [self]
        ) { g, x, _, _ in
            [g.reshaped(to: kept).broadcast(to: x[0].shape)]
        }
    }

    /// Sum of all elements, as a scalar.
    public func sum() -> Variable { reshaped(to: [count]).sum(alongAxes: [0]) }

    /// Mean along `axes`; drops them unless `keepingAxes`.
    public func mean(alongAxes axes: [Int], keepingAxes: Bool = false) -> Variable {
        let axes = normalized(axes)
        let extent = axes.reduce(1) { $0 * shape[$1] }
        return sum(alongAxes: axes, keepingAxes: keepingAxes) * (1 / Float(extent))
    }

    /// Mean of all elements, as a scalar.
    public func mean() -> Variable { sum() * (1 / Float(Swift.max(count, 1))) }

    /// `log Σ exp` along `axis`, computed stably; the VJP is the softmax along `axis` times the
    /// broadcast cotangent, written with `exp` so that it can be differentiated again.
    public func logSumExp(alongAxis axis: Int, keepingAxis: Bool = false) -> Variable {
        let axis = axis < 0 ? axis + rank : axis
        let kept = keptShape([axis])
        return Variable.record(
            value.logSumExp(alongAxis: axis, keepingAxis: keepingAxis), operation: "logSumExp",
            inputs: [self]
        ) { g, x, y, _ in
            let softmax = (x[0] - y.reshaped(to: kept)).exp()
            return [g.reshaped(to: kept) * softmax]
        }
    }

    /// Softmax along `axis`: `exp(x − logSumExp(x))`.
    public func softmax(alongAxis axis: Int) -> Variable {
        (self - logSumExp(alongAxis: axis, keepingAxis: true)).exp()
    }
}
