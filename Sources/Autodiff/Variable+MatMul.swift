// Matrix product with transpose flags, so that no VJP materializes a transpose.

import TensorCore

/// `op(a) · op(b)` for matrices.
///
/// With C = A·B: ∂L/∂A = G·Bᵀ and ∂L/∂B = Aᵀ·G; the flags fold every transpose into sgemm.
/// - Parameters:
///   - a: `[M, K]` (`[K, M]` when `transposeA`).
///   - b: `[K, N]` (`[N, K]` when `transposeB`).
/// - Returns: `[M, N]`.
public func matmul(
    _ a: Variable, _ b: Variable, transposeA: Bool = false, transposeB: Bool = false
) -> Variable {
    Variable.record(
        Tensor.matmul(a.value, b.value, transposeA: transposeA, transposeB: transposeB),
        operation: "matmul", inputs: [a, b]
    ) { g, x, _, needed in
        let gradA: Variable? =
            !needed[0]
            ? nil
            : transposeA
                ? matmul(x[1], g, transposeA: transposeB, transposeB: true)  // (G·op(B)ᵀ)ᵀ
                : matmul(g, x[1], transposeA: false, transposeB: !transposeB)
        let gradB: Variable? =
            !needed[1]
            ? nil
            : transposeB
                ? matmul(g, x[0], transposeA: true, transposeB: transposeA)  // (op(A)ᵀ·G)ᵀ
                : matmul(x[0], g, transposeA: !transposeA, transposeB: false)
        return [gradA, gradB]
    }
}

/// The affine map `x Wᵀ + b` of a Linear layer, with the bias written into sgemm's output
/// before the product (β = 1) instead of a separate broadcast pass.
///
/// Its VJP is `(G W, Gᵀ x, Σ_rows G)`, written with `matmul` and `summed(toShape:)`.
/// - Parameters:
///   - x: `[B, in]`.
///   - weight: `[out, in]`.
///   - bias: `[out]`.
/// - Returns: `[B, out]`.
public func affine(_ x: Variable, weight: Variable, bias: Variable) -> Variable {
    precondition(
        x.rank == 2 && weight.rank == 2 && x.shape[1] == weight.shape[1]
            && bias.shape == [weight.shape[0]],
        "affine: x \(x.shape), weight \(weight.shape), bias \(bias.shape)")
    let (rows, inputs, outputs) = (x.shape[0], x.shape[1], weight.shape[0])
    let value = Tensor(shape: [rows, outputs]) { out in
        guard let target = out.baseAddress else { return }
        bias.value.withUnsafeBufferPointer { b in
            guard let source = b.baseAddress else { return }
            for row in 0..<rows { (target + row * outputs).update(from: source, count: outputs) }
        }
        x.value.withUnsafeBufferPointer { a in
            weight.value.withUnsafeBufferPointer { w in
                guard let pa = a.baseAddress, let pw = w.baseAddress else { return }
                sgemm(
                    transposeA: false, transposeB: true, m: rows, n: outputs, k: inputs, a: pa,
                    b: pw, beta: 1, c: target)
            }
        }
    }
    return Variable.record(value, operation: "affine", inputs: [x, weight, bias]) {
        g, inputs, _, needed in
        [
            needed[0] ? matmul(g, inputs[1]) : nil,
            needed[1] ? matmul(g, inputs[0], transposeA: true) : nil,
            needed[2] ? g.summed(toShape: [outputs]) : nil,
        ]
    }
}

/// Independent products `op(a_b) · op(b_b)` over a batch (per-example weights, e.g. a batch of
/// encoder copies); the VJP mirrors `matmul`'s with batched products.
/// - Parameters:
///   - a: `[B, M, K]` (`[B, K, M]` when `transposeA`).
///   - b: `[B, K, N]` (`[B, N, K]` when `transposeB`).
/// - Returns: `[B, M, N]`.
public func batchedMatmul(
    _ a: Variable, _ b: Variable, transposeA: Bool = false, transposeB: Bool = false
) -> Variable {
    Variable.record(
        Tensor.batchedMatmul(a.value, b.value, transposeA: transposeA, transposeB: transposeB),
        operation: "batchedMatmul", inputs: [a, b]
    ) { g, x, _, needed in
        let gradA: Variable? =
            !needed[0]
            ? nil
            : transposeA
                ? batchedMatmul(x[1], g, transposeA: transposeB, transposeB: true)
                : batchedMatmul(g, x[1], transposeA: false, transposeB: !transposeB)
        let gradB: Variable? =
            !needed[1]
            ? nil
            : transposeB
                ? batchedMatmul(g, x[0], transposeA: true, transposeB: transposeA)
                : batchedMatmul(x[0], g, transposeA: !transposeA, transposeB: false)
        return [gradA, gradB]
    }
}
