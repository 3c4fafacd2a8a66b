// Elementwise kernels. Each public function is a thin wrapper around `map`/`zipMap`, which the
// optimizer inlines into a plain loop over unsafe pointers (no bounds or CoW checks inside).

internal import _CTensorKernels

#if canImport(Glibc)
    import Glibc
#endif

extension Tensor {
    /// Applies `transform` to every element.
    @inline(__always)
    internal func map(_ transform: (Float) -> Float) -> Tensor {
        Tensor(shape: shape) { out in
            withUnsafeBufferPointer { input in
                guard let source = input.baseAddress, let target = out.baseAddress else { return }
                for index in 0..<input.count { target[index] = transform(source[index]) }
            }
        }
    }

    /// Combines two tensors of the same shape element by element.
    @inline(__always)
    internal func zipMap(_ other: Tensor, _ combine: (Float, Float) -> Float) -> Tensor {
        precondition(shape == other.shape, "shapes \(shape) and \(other.shape) differ")
        return Tensor(shape: shape) { out in
            withUnsafeBufferPointer { left in
                other.withUnsafeBufferPointer { right in
                    guard let a = left.baseAddress, let b = right.baseAddress,
                        let target = out.baseAddress
                    else { return }
                    for index in 0..<left.count { target[index] = combine(a[index], b[index]) }
                }
            }
        }
    }

    /// Combines with broadcasting: shapes are aligned at the right and each pair of extents is
    /// equal or one of them is 1 (NumPy rules).
    @inline(__always)
    internal func broadcastZip(_ other: Tensor, _ combine: (Float, Float) -> Float) -> Tensor {
        if shape == other.shape { return zipMap(other, combine) }
        let resultShape = Tensor.broadcastShape(shape, other.shape)
        let total = Tensor.elementCount(resultShape)
        // Fast paths: one side repeats contiguously (a suffix of the other) or is one element.
        if other.count == 1 || (isSuffix(other.shape, of: resultShape) && count == total) {
            let period = other.count
            return Tensor(shape: resultShape) { out in
                withUnsafeBufferPointer { left in
                    other.withUnsafeBufferPointer { right in
                        guard let a = left.baseAddress, let b = right.baseAddress,
                            let target = out.baseAddress, period > 0
                        else { return }
                        var start = 0
                        while start < total {
                            for index in 0..<period {
                                target[start + index] = combine(a[start + index], b[index])
                            }
                            start += period
                        }
                    }
                }
            }
        }
        if count == 1 || (isSuffix(shape, of: resultShape) && other.count == total) {
            let period = count
            return Tensor(shape: resultShape) { out in
                withUnsafeBufferPointer { left in
                    other.withUnsafeBufferPointer { right in
                        guard let a = left.baseAddress, let b = right.baseAddress,
                            let target = out.baseAddress, period > 0
                        else { return }
                        var start = 0
                        while start < total {
                            for index in 0..<period {
                                target[start + index] = combine(a[index], b[start + index])
                            }
                            start += period
                        }
                    }
                }
            }
        }
        // General path: strides of 0 along broadcast axes, innermost axis as a tight loop.
        let leftStrides = Tensor.broadcastStrides(shape, to: resultShape)
        let rightStrides = Tensor.broadcastStrides(other.shape, to: resultShape)
        return Tensor(shape: resultShape) { out in
            withUnsafeBufferPointer { left in
                other.withUnsafeBufferPointer { right in
                    guard let a = left.baseAddress, let b = right.baseAddress,
                        let target = out.baseAddress
                    else { return }
                    Tensor.forEachRow(resultShape, leftStrides, rightStrides) {
                        outStart, leftStart, rightStart, length, leftStep, rightStep in
                        for index in 0..<length {
                            target[outStart + index] = combine(
                                a[leftStart + index * leftStep], b[rightStart + index * rightStep])
                        }
                    }
                }
            }
        }
    }

    /// Whether `small`, without its leading ones (which change no element's place), is a
    /// suffix of `large`: `[1, 1, a]` repeats contiguously over `[B, L, a]` as `[a]` does.
    private func isSuffix(_ small: [Int], of large: [Int]) -> Bool {
        let trimmed = Array(small.drop { $0 == 1 })
        return trimmed.count <= large.count && Array(large.suffix(trimmed.count)) == trimmed
    }

    /// The shape two shapes broadcast to (NumPy rules); traps on incompatible shapes.
    public static func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int] {
        let rank = Swift.max(a.count, b.count)
        var result = [Int](repeating: 1, count: rank)
        for axis in 0..<rank {
            let x = axis < rank - a.count ? 1 : a[axis - (rank - a.count)]
            let y = axis < rank - b.count ? 1 : b[axis - (rank - b.count)]
            precondition(x == y || x == 1 || y == 1, "shapes \(a) and \(b) do not broadcast")
            result[axis] = x == 1 ? y : x
        }
        return result
    }

    /// Element strides of `shape` read as `target` (0 along broadcast axes).
    static func broadcastStrides(_ shape: [Int], to target: [Int]) -> [Int] {
        var strides = [Int](repeating: 0, count: target.count)
        var running = 1
        for axis in stride(from: shape.count - 1, through: 0, by: -1) {
            let targetAxis = axis + target.count - shape.count
            strides[targetAxis] = shape[axis] == 1 ? 0 : running
            running *= shape[axis]
        }
        return strides
    }

    /// Visits the rows (innermost axis) of `shape` with the start offsets of two strided inputs.
    static func forEachRow(
        _ shape: [Int], _ leftStrides: [Int], _ rightStrides: [Int],
        _ body: (Int, Int, Int, Int, Int, Int) -> Void
    ) {
        guard let last = shape.last else {
            body(0, 0, 0, 1, 0, 0)
            return
        }
        let outer = shape.dropLast()
        let rowCount = Tensor.elementCount(Array(outer))
        var index = [Int](repeating: 0, count: outer.count)
        var leftStart = 0
        var rightStart = 0
        for row in 0..<rowCount {
            body(row * last, leftStart, rightStart, last, leftStrides.last ?? 0, rightStrides.last ?? 0)
            // Odometer increment over the outer axes.
            var axis = outer.count - 1
            while axis >= 0 {
                index[axis] += 1
                leftStart += leftStrides[axis]
                rightStart += rightStrides[axis]
                if index[axis] < shape[axis] { break }
                leftStart -= leftStrides[axis] * shape[axis]
                rightStart -= rightStrides[axis] * shape[axis]
                index[axis] = 0
                axis -= 1
            }
        }
    }
}

// MARK: - Public elementwise operations

extension Tensor {
    /// `a + b` with broadcasting.
    public static func + (a: Tensor, b: Tensor) -> Tensor { a.broadcastZip(b) { $0 + $1 } }
    /// `a - b` with broadcasting.
    public static func - (a: Tensor, b: Tensor) -> Tensor { a.broadcastZip(b) { $0 - $1 } }
    /// `a * b` with broadcasting.
    public static func * (a: Tensor, b: Tensor) -> Tensor { a.broadcastZip(b) { $0 * $1 } }
    /// `a / b` with broadcasting.
    public static func / (a: Tensor, b: Tensor) -> Tensor { a.broadcastZip(b) { $0 / $1 } }
    /// `a * s`.
    public static func * (a: Tensor, s: Float) -> Tensor { a.map { $0 * s } }
    /// `a + s`.
    public static func + (a: Tensor, s: Float) -> Tensor { a.map { $0 + s } }
    /// `-a`.
    public static prefix func - (a: Tensor) -> Tensor { a.map { -$0 } }

    /// Elementwise maximum with broadcasting.
    public func maximum(_ other: Tensor) -> Tensor { broadcastZip(other) { Swift.max($0, $1) } }

    /// `e^x` (vectorized kernel, within 2 ulp of libm).
    public func exp() -> Tensor { kernel { vk_exp($0, $1, $2) } }
    /// Natural logarithm.
    public func log() -> Tensor { map { libmLog($0) } }
    /// `log(1 + x)`, accurate near 0.
    public func log1p() -> Tensor { map { libmLog1p($0) } }
    /// Square root.
    public func sqrt() -> Tensor { map { $0.squareRoot() } }
    /// `x²`.
    public func squared() -> Tensor { map { $0 * $0 } }
    /// `|x|`.
    public func abs() -> Tensor { map { Swift.abs($0) } }
    /// `1 / (1 + e^-x)`, computed without overflow for large |x|.
    public func sigmoid() -> Tensor { kernel { vk_sigmoid($0, $1, $2) } }
    /// `log(1 + e^x)`, computed without overflow for large |x|.
    public func softplus() -> Tensor { kernel { vk_softplus($0, $1, $2) } }

    /// Applies a C kernel `(input, output, count)` to every element.
    @inline(__always)
    func kernel(_ body: (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void) -> Tensor {
        Tensor(shape: shape) { out in
            withUnsafeBufferPointer { input in
                guard let source = input.baseAddress, let target = out.baseAddress else { return }
                body(source, target, input.count)
            }
        }
    }
    /// Hyperbolic tangent.
    public func tanh() -> Tensor { map { libmTanh($0) } }
    /// `max(x, 0)`.
    public func relu() -> Tensor { map { Swift.max($0, 0) } }
    /// 1 where `x > 0`, else 0 (the derivative of relu, taken as 0 at 0 like PyTorch).
    public func positiveMask() -> Tensor { map { $0 > 0 ? 1 : 0 } }
    /// 1 where `x > 0`, else `negativeValue`.
    public func positiveMask(negativeValue: Float) -> Tensor { map { $0 > 0 ? 1 : negativeValue } }
    /// `sign(x)` (0 at 0).
    public func sign() -> Tensor { map { $0 > 0 ? 1 : ($0 < 0 ? -1 : 0) } }
    /// `x` where `x > 0`, else `slope · x`.
    public func leakyRelu(slope: Float) -> Tensor { map { $0 > 0 ? $0 : slope * $0 } }
    /// `x` where `x > 0`, else `alpha · (e^x − 1)`.
    public func elu(alpha: Float) -> Tensor { map { $0 > 0 ? $0 : alpha * libmExpm1($0) } }

    /// Numerically stable logistic function.
    @inline(__always) public static func sigmoid(_ x: Float) -> Float {
        if x >= 0 { return 1 / (1 + libmExp(-x)) }
        let e = libmExp(x)
        return e / (1 + e)
    }

    /// Numerically stable `log(1 + e^x)`.
    @inline(__always) public static func softplus(_ x: Float) -> Float {
        Swift.max(x, 0) + libmLog1p(libmExp(-Swift.abs(x)))
    }
}

// Glibc float functions under names that cannot collide with the methods above.
@inline(__always) func libmExp(_ x: Float) -> Float { Glibc.expf(x) }
@inline(__always) func libmExpm1(_ x: Float) -> Float { Glibc.expm1f(x) }
@inline(__always) func libmLog(_ x: Float) -> Float { Glibc.logf(x) }
@inline(__always) func libmLog1p(_ x: Float) -> Float { Glibc.log1pf(x) }
@inline(__always) func libmTanh(_ x: Float) -> Float { Glibc.tanhf(x) }

// MARK: - Fused kernels for hot VJPs and likelihoods

extension Tensor {
    /// `self` where `gate > 0`, else `negativeValue · self` (one pass): the VJP of relu and
    /// leaky relu.
    public func gated(by gate: Tensor, negativeValue: Float = 0) -> Tensor {
        zipMap(gate) { value, x in x > 0 ? value : negativeValue * value }
    }

    /// Elementwise binary cross-entropy of logits against targets, in one pass:
    /// `max(z, 0) − z·t + log(1 + e^−|z|)`.
    public static func binaryCrossEntropy(logits: Tensor, targets: Tensor) -> Tensor {
        precondition(logits.shape == targets.shape, "BCE shapes \(logits.shape) and \(targets.shape) differ")
        return Tensor(shape: logits.shape) { out in
            logits.withUnsafeBufferPointer { z in
                targets.withUnsafeBufferPointer { t in
                    guard let pz = z.baseAddress, let pt = t.baseAddress, let po = out.baseAddress else {
                        return
                    }
                    vk_bce_with_logits(pz, pt, po, z.count)
                }
            }
        }
    }

    /// `g ⊙ (σ(z) − t)` in one pass: the VJP of binary cross-entropy with respect to logits.
    public static func logisticResidual(_ g: Tensor, logits: Tensor, targets: Tensor) -> Tensor {
        precondition(
            g.shape == logits.shape && logits.shape == targets.shape, "logisticResidual shapes differ")
        return Tensor(shape: logits.shape) { out in
            g.withUnsafeBufferPointer { gb in
                logits.withUnsafeBufferPointer { zb in
                    targets.withUnsafeBufferPointer { tb in
                        guard let pg = gb.baseAddress, let pz = zb.baseAddress, let pt = tb.baseAddress,
                            let po = out.baseAddress
                        else { return }
                        vk_logistic_residual(pg, pz, pt, po, out.count)
                    }
                }
            }
        }
    }
}

extension Tensor {
    /// Categorical negative log-likelihoods of rows of logits against class labels, in one pass
    /// per row: `loss[r] = log Σ_k e^{z_rk} − z_r,labels[r]` and `residual[r] = softmax(z_r) −
    /// onehot(labels[r])`, its gradient.
    ///
    /// - Parameters:
    ///   - logits: `[R·K]` values, any shape, rows of K contiguous classes.
    ///   - labels: R labels in `0..<K`.
    ///   - keepingResidual: false computes the losses only (no gradient will be taken).
    /// - Returns: `loss: [R]`, `residual` the shape of `logits` (nil when not kept).
    public static func categoricalNegativeLogLikelihood(
        logits: Tensor, labels: [Int32], classes: Int, keepingResidual: Bool = true
    ) -> (loss: Tensor, residual: Tensor?) {
        let rows = labels.count
        precondition(logits.count == rows * classes, "\(logits.count) logits for \(rows) rows of \(classes)")
        precondition(labels.allSatisfy { $0 >= 0 && Int($0) < classes }, "a label outside 0..<\(classes)")
        var residual = keepingResidual ? Tensor.zeros(logits.shape) : nil
        let loss = Tensor(shape: [rows]) { out in
            logits.withUnsafeBufferPointer { z in
                labels.withUnsafeBufferPointer { l in
                    guard let pz = z.baseAddress, let pl = l.baseAddress, let po = out.baseAddress else {
                        return
                    }
                    if residual == nil {
                        vk_categorical_nll(pz, pl, po, nil, rows, classes)
                    } else {
                        residual?.withUnsafeMutableBufferPointer { r in
                            vk_categorical_nll(pz, pl, po, r.baseAddress, rows, classes)
                        }
                    }
                }
            }
        }
        return (loss, residual)
    }

    /// `out[r] = g[r] · rows[r]`: each row of K values scaled by its own factor.
    ///
    /// - Parameters:
    ///   - g: `[R]`.
    ///   - rows: `[R·K]` values, rows of K contiguous values.
    public static func scaledRows(_ g: Tensor, _ rows: Tensor) -> Tensor {
        let count = g.count
        precondition(count > 0 && rows.count % count == 0, "\(rows.count) values for \(count) rows")
        return Tensor(shape: rows.shape) { out in
            g.withUnsafeBufferPointer { gb in
                rows.withUnsafeBufferPointer { rb in
                    guard let pg = gb.baseAddress, let pr = rb.baseAddress, let po = out.baseAddress else {
                        return
                    }
                    vk_scale_rows(pg, pr, po, count, rows.count / count)
                }
            }
        }
    }
}
