// TensorSketch of per-example layer gradients (Pham & Pagh 2013): for G = Σ_l δ_l a_lᵀ, the
// D-dimensional sketch Σ_l (C_out δ_l) ⊛ (C_in a_l), where C_out, C_in are CountSketch maps
// (hash to D buckets with random signs) and ⊛ is circular convolution. It is a linear, seeded,
// Kronecker-structured projection of vec(G) with E⟨S(G), S(G')⟩ = ⟨G, G'⟩ and a variance of order
// ‖G‖²‖G'‖²/D — far below that of projecting each side with a k×k Gaussian pair (order 2/k),
// for the same stored size. The maps are regenerated from (seed, layer name), never stored.
// Per example: Σ over its positions of the two CountSketches' circular convolution, by FFT when D
// is a power of two (the default 256), else as M = Uᵀ V (one small GEMM) and sketch[m] =
// Σ_j M[j, m − j].

import Autodiff
import TensorCore

/// The CountSketch maps of one layer.
struct TensorSketch {
    let dimension: Int
    let inputBuckets: [Int32]
    let inputSigns: [Float]
    let outputBuckets: [Int32]
    let outputSigns: [Float]

    /// The maps of `layer` at checkpoint `checkpoint`: every checkpoint gets its own maps, so the
    /// sketch errors of the checkpoints' terms are independent and partly cancel in Σ_c η_c ⟨·,·⟩
    /// (on the demo run: min Spearman over 10 test examples 0.86 → see README).
    init(settings: InfluenceSettings, layer: String, factor: GradientFactor, checkpoint: Int) {
        let size = settings.projectionDimension
        dimension = size
        func countSketch(_ count: Int, side: String) -> ([Int32], [Float]) {
            let draws = Draws(
                seed: settings.projectionSeed, .projection, step: UInt64(checkpoint), split: DrawSplit(side)
            ).generator(named: layer).uniform([2 * count]).scalars
            let buckets = (0..<count).map { Int32(min(Int(draws[2 * $0] * Float(size)), size - 1)) }
            let signs = (0..<count).map { draws[2 * $0 + 1] < 0.5 ? Float(-1) : 1 }
            return (buckets, signs)
        }
        (inputBuckets, inputSigns) = countSketch(factor.inputs.shape[2], side: "inputs")
        (outputBuckets, outputSigns) = countSketch(factor.outputGradients.shape[2], side: "output gradients")
    }

    /// CountSketch of every row of `[rows, n]`: `[rows, D]`.
    private func countSketch(_ values: Tensor, buckets: [Int32], signs: [Float]) -> Tensor {
        let (rows, width, size) = (values.shape[0], values.shape[1], dimension)
        var result = Tensor.zeros([rows, size])
        result.withUnsafeMutableBufferPointer { out in
            values.withUnsafeBufferPointer { input in
                buckets.withUnsafeBufferPointer { bucket in
                    signs.withUnsafeBufferPointer { sign in
                        for row in 0..<rows {
                            let source = row * width
                            let target = row * size
                            for column in 0..<width {
                                out[target + Int(bucket[column])] += sign[column] * input[source + column]
                            }
                        }
                    }
                }
            }
        }
        return result
    }

    /// The sketches `[n, D]` of a factor's per-example gradients.
    func sketch(_ factor: GradientFactor) -> Tensor {
        let (examples, positions) = (factor.exampleCount, factor.positionCount)
        let size = dimension
        let inputs = countSketch(
            factor.inputs.reshaped(to: [examples * positions, factor.inputs.shape[2]]), buckets: inputBuckets,
            signs: inputSigns)
        let outputs = countSketch(
            factor.outputGradients.reshaped(to: [examples * positions, factor.outputGradients.shape[2]]),
            buckets: outputBuckets, signs: outputSigns)
        var result = Tensor.zeros([examples, size])
        if size & (size - 1) == 0 {
            // A power of two: by FFT, O(D log D) per position instead of the D² below.
            result.withUnsafeMutableBufferPointer { out in
                outputs.withUnsafeBufferPointer { u in
                    inputs.withUnsafeBufferPointer { v in
                        guard let pu = u.baseAddress, let pv = v.baseAddress, let target = out.baseAddress
                        else {
                            return
                        }
                        FlatKernels.circularConvolutionSums(
                            pu, pv, into: target, examples: examples, positions: positions, size: size)
                    }
                }
            }
            return result
        }
        return Self.directConvolutionSums(
            outputs, inputs, examples: examples, positions: positions, size: size)
    }

    /// The same sums directly, for any D: per example M = Σ_positions u vᵀ (one GEMM), then
    /// sketch[(j + c) mod D] += M[j, c]. `u`, `v`: `[examples·positions, D]`.
    static func directConvolutionSums(
        _ outputs: Tensor, _ inputs: Tensor, examples: Int, positions: Int, size: Int
    )
        -> Tensor
    {
        let outer = UnsafeMutablePointer<Float>.allocate(capacity: size * size)
        defer { outer.deallocate() }
        var result = Tensor.zeros([examples, size])
        result.withUnsafeMutableBufferPointer { out in
            outputs.withUnsafeBufferPointer { u in
                inputs.withUnsafeBufferPointer { v in
                    guard let pu = u.baseAddress, let pv = v.baseAddress, let target = out.baseAddress else {
                        return
                    }
                    for example in 0..<examples {
                        // M = Σ_positions u vᵀ: [D, D].
                        sgemm(
                            transposeA: true, transposeB: false, m: size, n: size, k: positions,
                            a: pu + example * positions * size, b: pv + example * positions * size, c: outer)
                        // Circular convolution: sketch[(j + c) mod D] += M[j, c], row j of M in two
                        // vectorized runs (before and after the wrap).
                        let row = target + example * size
                        for j in 0..<size {
                            let line = outer + j * size
                            FlatKernels.add(line, into: row + j, count: size - j)
                            if j > 0 { FlatKernels.add(line + (size - j), into: row, count: j) }
                        }
                    }
                }
            }
        }
        return result
    }
}
