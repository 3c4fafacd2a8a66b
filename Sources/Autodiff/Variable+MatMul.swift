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
