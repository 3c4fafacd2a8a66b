// Matrix products through OpenBLAS's sgemm.

import COpenBLAS

/// Sets the number of OpenBLAS threads for this process.
public func setBLASThreadCount(_ count: Int) {
    vaekit_blas_set_threads(Int32(max(1, count)))
}

/// The number of OpenBLAS threads in use.
public func blasThreadCount() -> Int { Int(vaekit_blas_threads()) }

/// `C = alpha · op(A) · op(B) + beta · C` on raw row-major buffers.
///
/// - Parameters:
///   - a: `[M, K]`, or `[K, M]` when `transposeA`.
///   - b: `[K, N]`, or `[N, K]` when `transposeB`.
///   - c: `[M, N]`.
public func sgemm(
    transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
    a: UnsafePointer<Float>, b: UnsafePointer<Float>, beta: Float = 0,
    c: UnsafeMutablePointer<Float>
) {
    if m == 0 || n == 0 { return }
    if k == 0 {
        for index in 0..<(m * n) { c[index] = beta == 0 ? 0 : beta * c[index] }
        return
    }
    // A single row or column is a matrix-vector product: sgemm would pack the whole matrix
    // first (per-example weights with one output position: Likelihood Regret's encoder head).
    let (rowMajor, noTrans, trans) = (vaekit_cblas_row_major(), vaekit_cblas_no_trans(), vaekit_cblas_trans())
    if m == 1 {
        // c[1, n] = a[k] · op(b): b [k, n] read transposed, or b [n, k] as it is.
        cblas_sgemv(
            rowMajor, transposeB ? noTrans : trans, Int32(transposeB ? n : k), Int32(transposeB ? k : n),
            alpha, b, Int32(transposeB ? k : n), a, 1, beta, c, 1)
        return
    }
    if n == 1 {
        // c[m] = op(a) · b[k]: a [m, k] as it is, or a [k, m] read transposed.
        cblas_sgemv(
            rowMajor, transposeA ? trans : noTrans, Int32(transposeA ? k : m), Int32(transposeA ? m : k),
            alpha, a, Int32(transposeA ? m : k), b, 1, beta, c, 1)
        return
    }
    if k == 1, beta == 0 {
        // An outer product: c[i, j] = α·a[i]·b[j] (the weight gradient of one position).
        for i in 0..<m {
            let scaled = alpha * a[i]
            let row = c + i * n
            for j in 0..<n { row[j] = scaled * b[j] }
        }
        return
    }
    cblas_sgemm(
        rowMajor, transposeA ? trans : noTrans, transposeB ? trans : noTrans,
        Int32(m), Int32(n), Int32(k), alpha,
        a, Int32(transposeA ? m : k),
        b, Int32(transposeB ? k : n),
        beta, c, Int32(n))
}

extension Tensor {
    /// The matrix product `op(a) · op(b)` of two rank-2 tensors.
    ///
    /// - Parameters:
    ///   - a: `[M, K]` (or `[K, M]` when `transposeA`).
    ///   - b: `[K, N]` (or `[N, K]` when `transposeB`).
    /// - Returns: `[M, N]`.
    public static func matmul(
        _ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false
    ) -> Tensor {
        precondition(a.rank == 2 && b.rank == 2, "matmul needs matrices, got \(a.shape), \(b.shape)")
        let m = transposeA ? a.shape[1] : a.shape[0]
        let k = transposeA ? a.shape[0] : a.shape[1]
        let kb = transposeB ? b.shape[1] : b.shape[0]
        let n = transposeB ? b.shape[0] : b.shape[1]
        precondition(
            k == kb,
            "matmul inner extents differ: \(a.shape)\(transposeA ? "ᵀ" : "") · \(b.shape)\(transposeB ? "ᵀ" : "")"
        )
        return Tensor(shape: [m, n]) { out in
            a.withUnsafeBufferPointer { left in
                b.withUnsafeBufferPointer { right in
                    guard let pa = left.baseAddress, let pb = right.baseAddress,
                        let pc = out.baseAddress
                    else { return }
                    sgemm(
                        transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                        a: pa, b: pb, c: pc)
                }
            }
        }
    }
}

extension Tensor {
    /// Independent matrix products `op(a_b) · op(b_b)` for every b of a batch.
    ///
    /// - Parameters:
    ///   - a: `[B, M, K]` (`[B, K, M]` when `transposeA`).
    ///   - b: `[B, K, N]` (`[B, N, K]` when `transposeB`).
    /// - Returns: `[B, M, N]`.
    public static func batchedMatmul(
        _ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false
    ) -> Tensor {
        precondition(
            a.rank == 3 && b.rank == 3 && a.shape[0] == b.shape[0],
            "batchedMatmul needs [B, ·, ·] operands, got \(a.shape), \(b.shape)")
        let batch = a.shape[0]
        let m = transposeA ? a.shape[2] : a.shape[1]
        let k = transposeA ? a.shape[1] : a.shape[2]
        let kb = transposeB ? b.shape[2] : b.shape[1]
        let n = transposeB ? b.shape[1] : b.shape[2]
        precondition(k == kb, "batchedMatmul inner extents differ: \(a.shape), \(b.shape)")
        return Tensor(shape: [batch, m, n]) { out in
            a.withUnsafeBufferPointer { left in
                b.withUnsafeBufferPointer { right in
                    guard let pa = left.baseAddress, let pb = right.baseAddress, let pc = out.baseAddress
                    else { return }
                    for index in 0..<batch {
                        sgemm(
                            transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                            a: pa + index * m * k,
                            b: pb + index * k * n, c: pc + index * m * n)
                    }
                }
            }
        }
    }
}
