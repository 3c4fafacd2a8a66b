// Per-example gradients as factors. For a layer whose weight gradient is a sum over positions
// of outer products (Linear: one position; convolutions: one per output position), the gradient
// of example i is G_i = Δ_iᵀ A_i, where A_i [L, a] are the layer's inputs at each position and
// Δ_i [L, d] the loss gradients at its outputs. Then
//     ⟨G_i, G'_j⟩ = sum((A_i A'_jᵀ) ⊙ (Δ_i Δ'_jᵀ)),
// which never forms G (the "ghost" dot product of LoGra/ghost clipping).

import TensorCore

/// One layer's per-example gradient, in factored form.
public struct GradientFactor {
    /// How the gradient matrix is formed from the factors.
    public enum Layout: Sendable {
        /// `G_i = Δ_iᵀ A_i`, shape `[d, a]` (Linear, Conv2d, any bias).
        case outputByInput
        /// `G_i = A_iᵀ Δ_i`, shape `[a, d]` (ConvTranspose2d's `[Cin, Cout·kh·kw]` weight).
        case inputByOutput
    }

    /// The layer's name, e.g. `encoder.fc1`.
    public var layer: String
    /// A: `[B, L, a]`, the layer's inputs per example and position.
    public var inputs: Tensor
    /// Δ: `[B, L, d]`, the loss gradients at the layer's outputs.
    public var outputGradients: Tensor
    /// How G is formed.
    public var layout: Layout
    /// The parameter (arena index) that G fills, except a bias column; nil when G is all bias.
    public var weightIndex: Int?
    /// The parameter (arena index) filled by G's last column (`outputByInput` only), whose A
    /// column is all ones.
    public var biasIndex: Int?
    /// Where each column of G (bias column excluded) goes in the parameter's flattened rows, when
    /// the layer orders its GEMM columns differently from the parameter (channels-last convs);
    /// nil for the identity. Dot products do not depend on it.
    public var columnOrder: [Int]?

    /// Creates a factor; A and Δ must agree in batch and positions.
    public init(
        layer: String, inputs: Tensor, outputGradients: Tensor, layout: Layout,
        weightIndex: Int?, biasIndex: Int?
    ) {
        precondition(
            inputs.rank == 3 && outputGradients.rank == 3
                && inputs.shape[0] == outputGradients.shape[0]
                && inputs.shape[1] == outputGradients.shape[1],
            "\(layer): factors \(inputs.shape) and \(outputGradients.shape) disagree")
        precondition(biasIndex == nil || layout == .outputByInput, "bias column needs outputByInput")
        self.layer = layer
        self.inputs = inputs
        self.outputGradients = outputGradients
        self.layout = layout
        self.weightIndex = weightIndex
        self.biasIndex = biasIndex
        columnOrder = nil
    }

    /// Examples B.
    public var exampleCount: Int { inputs.shape[0] }
    /// Positions L.
    public var positionCount: Int { inputs.shape[1] }

    /// The dense gradient matrix of every example: `[B, d, a]` or `[B, a, d]` by layout.
    public func gradientMatrices() -> Tensor {
        let (batch, positions) = (exampleCount, positionCount)
        let (a, d) = (inputs.shape[2], outputGradients.shape[2])
        let (rows, columns) = layout == .outputByInput ? (d, a) : (a, d)
        return Tensor(shape: [batch, rows, columns]) { out in
            inputs.withUnsafeBufferPointer { inputBuffer in
                outputGradients.withUnsafeBufferPointer { gradientBuffer in
                    guard let pa = inputBuffer.baseAddress, let pd = gradientBuffer.baseAddress,
                        let target = out.baseAddress
                    else { return }
                    for b in 0..<batch {
                        let left = layout == .outputByInput ? pd + b * positions * d : pa + b * positions * a
                        let right = layout == .outputByInput ? pa + b * positions * a : pd + b * positions * d
                        sgemm(
                            transposeA: true, transposeB: false, m: rows, n: columns, k: positions,
                            a: left, b: right, c: target + b * rows * columns)
                    }
                }
            }
        }
    }

    /// `⟨G_i, G'_j⟩` for every example i of `self` and j of `other` (the same layer):
    /// `sum((A_i A'_jᵀ) ⊙ (Δ_i Δ'_jᵀ))`, as `[B, B']`.
    public func dotProducts(with other: GradientFactor) -> Tensor {
        precondition(
            inputs.shape[2] == other.inputs.shape[2]
                && outputGradients.shape[2] == other.outputGradients.shape[2],
            "\(layer): factors of different layers")
        let (batch, otherBatch) = (exampleCount, other.exampleCount)
        let (positions, otherPositions) = (positionCount, other.positionCount)
        let (a, d) = (inputs.shape[2], outputGradients.shape[2])
        let otherRows = otherBatch * otherPositions
        return Tensor(shape: [batch, otherBatch]) { out in
            guard let target = out.baseAddress else { return }
            // Per example i: [L, B'L'] Gram blocks of A and Δ, multiplied and summed per j.
            let inputGram = UnsafeMutablePointer<Float>.allocate(capacity: max(positions * otherRows, 1))
            let gradientGram = UnsafeMutablePointer<Float>.allocate(capacity: max(positions * otherRows, 1))
            defer {
                inputGram.deallocate()
                gradientGram.deallocate()
            }
            inputs.withUnsafeBufferPointer { ia in
                other.inputs.withUnsafeBufferPointer { oa in
                    outputGradients.withUnsafeBufferPointer { id in
                        other.outputGradients.withUnsafeBufferPointer { od in
                            guard let pia = ia.baseAddress, let poa = oa.baseAddress,
                                let pid = id.baseAddress, let pod = od.baseAddress
                            else { return }
                            for i in 0..<batch {
                                sgemm(
                                    transposeA: false, transposeB: true, m: positions, n: otherRows,
                                    k: a, a: pia + i * positions * a, b: poa, c: inputGram)
                                sgemm(
                                    transposeA: false, transposeB: true, m: positions, n: otherRows,
                                    k: d, a: pid + i * positions * d, b: pod, c: gradientGram)
                                for j in 0..<otherBatch {
                                    var total: Double = 0
                                    for p in 0..<positions {
                                        let row = p * otherRows + j * otherPositions
                                        var partial: Float = 0
                                        for q in 0..<otherPositions {
                                            partial += inputGram[row + q] * gradientGram[row + q]
                                        }
                                        total += Double(partial)
                                    }
                                    target[i * otherBatch + j] = Float(total)
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `⟨g_i, g'_j⟩` summed over layers: `[B, B']`.
public func perExampleDotProducts(_ left: [GradientFactor], _ right: [GradientFactor]) -> Tensor {
    precondition(left.count == right.count, "\(left.count) vs \(right.count) layers")
    var total: Tensor?
    for (l, r) in zip(left, right) {
        let products = l.dotProducts(with: r)
        total = total.map { $0 + products } ?? products
    }
    return total ?? Tensor.zeros([0, 0])
}
