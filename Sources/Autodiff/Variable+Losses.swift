// Likelihood terms as primitives with stable forward kernels. Their VJPs are written in
// differentiable ops (σ, softmax via exp), so second derivatives exist.

import TensorCore

/// Elementwise binary cross-entropy of logits `z` against targets `t ∈ [0, 1]`:
/// `max(z, 0) − z·t + log(1 + e^−|z|)` (= −[t log σ(z) + (1 − t) log(1 − σ(z))]).
///
/// ∂/∂z = σ(z) − t and ∂/∂t = −z.
/// - Parameters:
///   - logits: any shape.
///   - targets: the same shape as `logits`.
/// - Returns: per-element losses, the shape of `logits`.
public func binaryCrossEntropy(logits: Variable, targets: Variable) -> Variable {
    precondition(
        logits.shape == targets.shape, "BCE: logits \(logits.shape) vs targets \(targets.shape)")
    let loss = Tensor.binaryCrossEntropy(logits: logits.value, targets: targets.value)
    return Variable.record(loss, operation: "bceWithLogits", inputs: [logits, targets]) {
        g, x, _, needed in
        [
            needed[0] ? logisticResidual(g, logits: x[0], targets: x[1]) : nil,
            needed[1] ? -(g * x[0]) : nil,
        ]
    }
}

/// `g ⊙ (σ(z) − t)` in one pass (the BCE VJP), itself differentiable:
/// ∂/∂g = σ(z) − t, ∂/∂z = g·σ(z)(1 − σ(z)), ∂/∂t = −g.
public func logisticResidual(_ g: Variable, logits: Variable, targets: Variable) -> Variable {
    Variable.record(
        Tensor.logisticResidual(g.value, logits: logits.value, targets: targets.value),
        operation: "logisticResidual",
        inputs: [g, logits, targets]
    ) { c, x, _, needed in
        var result: [Variable?] = [nil, nil, nil]
        if needed[0] { result[0] = logisticResidual(c, logits: x[1], targets: x[2]) }
        if needed[1] {
            let s = x[1].sigmoid()
            result[1] = c * x[0] * s * (1 - s)
        }
        if needed[2] { result[2] = -(c * x[0]) }
        return result
    }
}

/// Categorical cross-entropy of logits against integer class labels along `axis`:
/// `logSumExp(z) − z[label]`.
///
/// ∂/∂z = softmax(z) − onehot(label).
/// - Parameters:
///   - logits: `[…, K, …]` with K classes along `axis`.
///   - labels: class indices in `0..<K`, one per element of the result, row-major.
///   - axis: the class axis.
/// - Returns: losses with `axis` removed.
public func crossEntropy(logits: Variable, labels: [Int], alongAxis axis: Int) -> Variable {
    let axis = axis < 0 ? axis + logits.rank : axis
    let classes = logits.shape[axis]
    let outer = Tensor.elementCount(Array(logits.shape[..<axis]))
    let inner = Tensor.elementCount(Array(logits.shape[(axis + 1)...]))
    precondition(labels.count == outer * inner, "\(labels.count) labels for \(outer * inner) rows")
    var oneHot = Tensor.zeros(logits.shape)
    oneHot.withUnsafeMutableBufferPointer { buffer in
        for o in 0..<outer {
            for i in 0..<inner {
                let label = labels[o * inner + i]
                precondition(label >= 0 && label < classes, "label \(label) outside 0..<\(classes)")
                buffer[(o * classes + label) * inner + i] = 1
            }
        }
    }
    let picked = (logits.value * oneHot).sum(alongAxes: [axis])
    let loss = logits.value.logSumExp(alongAxis: axis) - picked
    var kept = logits.shape
    kept[axis] = 1
    let target = Variable(oneHot)
    return Variable.record(loss, operation: "crossEntropyWithLogits", inputs: [logits]) {
        g, x, _, _ in
        [g.reshaped(to: kept) * (x[0].softmax(alongAxis: axis) - target)]
    }
}

/// Categorical cross-entropy of rows of K contiguous logits against their labels, fused: one pass
/// per row computes the loss and keeps `softmax − onehot` for the backward pass (the 256-way
/// pixel decoder's loss, whose logits the GEMMs write with the levels innermost).
///
/// ∂/∂z = softmax(z) − onehot(label).
/// - Parameters:
///   - logits: `[R·K]` values, any shape, rows of K contiguous classes.
///   - labels: R labels in `0..<K`.
///   - classes: K.
/// - Returns: losses `[R]`.
public func categoricalCrossEntropy(rows logits: Variable, labels: [Int32], classes: Int) -> Variable {
    let (loss, kept) = Tensor.categoricalNegativeLogLikelihood(
        logits: logits.value, labels: labels, classes: classes, keepingResidual: logits.requiresGradient)
    guard let residual = kept else { return Variable(loss) }
    return Variable.record(loss, operation: "categoricalCrossEntropy", inputs: [logits]) { g, x, _, _ in
        [categoricalResidual(g, logits: x[0], residual: residual, classes: classes)]
    }
}

/// `g[r] · (softmax(z_r) − onehot_r)` from the kept residual (the fused cross-entropy's VJP),
/// itself differentiable: ∂/∂g = the residual rows, ∂/∂z of ⟨c, ·⟩ = g·(p ⊙ c − p ⟨p, c⟩) per row.
func categoricalResidual(_ g: Variable, logits: Variable, residual: Tensor, classes: Int) -> Variable {
    Variable.record(
        Tensor.scaledRows(g.value, residual), operation: "categoricalResidual", inputs: [g, logits]
    ) { c, x, _, needed in
        let rows = x[0].shape.reduce(1, *)
        let cotangent = c.reshaped(to: [rows, classes])
        var result: [Variable?] = [nil, nil]
        if needed[0] {
            result[0] = (cotangent * Variable(residual.reshaped(to: [rows, classes]))).sum(alongAxes: [1])
                .reshaped(to: x[0].shape)
        }
        if needed[1] {
            let p = x[1].reshaped(to: [rows, classes]).softmax(alongAxis: 1)
            let inner = (p * cotangent).sum(alongAxes: [1]).reshaped(to: [rows, 1])
            result[1] = (x[0].reshaped(to: [rows, 1]) * (p * cotangent - p * inner)).reshaped(to: x[1].shape)
        }
        return result
    }
}
