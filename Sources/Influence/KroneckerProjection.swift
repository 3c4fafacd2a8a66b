// LoGra's Kronecker-structured projection (Choe et al. 2024): for a layer with gradient
// G = Σ_l δ_l a_lᵀ, project each side with a fixed Gaussian matrix, P_in [a, k] and P_out [d, k]
// with N(0, 1/k) entries, and keep P_outᵀ G P_in = Σ_l (P_outᵀ δ_l)(P_inᵀ a_l)ᵀ, k·k numbers.
// E[⟨P_outᵀ G P_in, P_outᵀ G' P_in⟩] = ⟨G, G'⟩, and the projection is never stored: it is
// regenerated from (seed, layer name).

import Autodiff
import TensorCore

/// The projection matrices of one layer.
struct KroneckerProjection {
    /// `[a, k]`.
    let inputSide: Tensor
    /// `[d, k]`.
    let outputSide: Tensor
    let dimension: Int

    init(settings: InfluenceSettings, layer: String, factor: GradientFactor) {
        let k = settings.projectionDimension
        dimension = k
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in layer.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        let scale = 1 / Float(k).squareRoot()
        let (a, d) = (factor.inputs.shape[2], factor.outputGradients.shape[2])
        inputSide =
            Philox(seed: settings.projectionSeed, stream: Philox.stream(hash, 1)).normal([a, k]) * scale
        outputSide =
            Philox(seed: settings.projectionSeed, stream: Philox.stream(hash, 2)).normal([d, k]) * scale
    }

    /// Projected per-example gradients `[n, k·k]` of a factor.
    func project(_ factor: GradientFactor) -> Tensor {
        let (examples, positions) = (factor.exampleCount, factor.positionCount)
        let (a, d, k) = (factor.inputs.shape[2], factor.outputGradients.shape[2], dimension)
        let inputs = Tensor.matmul(factor.inputs.reshaped(to: [examples * positions, a]), inputSide)
        let outputs = Tensor.matmul(
            factor.outputGradients.reshaped(to: [examples * positions, d]), outputSide)
        return Tensor(shape: [examples, k * k]) { out in
            outputs.withUnsafeBufferPointer { o in
                inputs.withUnsafeBufferPointer { i in
                    guard let po = o.baseAddress, let pi = i.baseAddress, let target = out.baseAddress else {
                        return
                    }
                    for example in 0..<examples {
                        // (Δ P_out)ᵀ (A P_in) over this example's positions: [k, k].
                        sgemm(
                            transposeA: true, transposeB: false, m: k, n: k, k: positions,
                            a: po + example * positions * k, b: pi + example * positions * k,
                            c: target + example * k * k)
                    }
                }
            }
        }
    }
}
