// The table of primitives that every derivative check runs over (tinygrad's one-harness idea):
// each case names the op, the shapes and domain of its inputs, and the function.

import Autodiff

@testable import TensorCore

/// Where an input's values are drawn.
enum Domain {
    /// Uniform on (−2, 2), with |x| ≥ 0.2 so that kinks (relu, abs) are never within ε.
    case awayFromZero
    /// Uniform on (0.5, 2.5), for log, sqrt, division.
    case positive
    /// Uniform on (0, 1), for probabilities (BCE targets).
    case unit
}

struct PrimitiveCase: CustomStringConvertible, Sendable {
    var name: String
    var shapes: [[Int]]
    var domains: [Domain]
    var function: @Sendable ([Variable]) -> Variable

    init(
        _ name: String, _ shapes: [[Int]], _ domains: [Domain]? = nil,
        _ function: @escaping @Sendable ([Variable]) -> Variable
    ) {
        self.name = name
        self.shapes = shapes
        self.domains = domains ?? shapes.map { _ in .awayFromZero }
        self.function = function
    }

    var description: String { name }

    /// Deterministic inputs for this case.
    func inputs() -> [Tensor] {
        zip(shapes, domains).enumerated().map { position, pair in
            let (shape, domain) = pair
            let u = Philox(seed: 42, stream: UInt64(position)).uniform(shape)
            switch domain {
            case .positive: return u * 2 + 0.5
            case .unit: return u * 0.9 + 0.05
            case .awayFromZero:
                // sign · (0.2 + 1.8·|2u − 1|): magnitude in (0.2, 2).
                let centered = u * 2 + (-1)
                return centered.sign() * (centered.abs() * 1.8 + 0.2)
            }
        }
    }
}

/// Every primitive and the composites built on them. Stop-gradient is absent by design: finite
/// differences see through it (GraphTests checks it). Convolutions are scaled before tanh so
/// that fourth derivatives, and with them the O(ε²) truncation error, stay small.
let primitiveCases: [PrimitiveCase] = [
    PrimitiveCase("matmul", [[3, 4], [4, 5]]) { matmul($0[0], $0[1]) },
    PrimitiveCase("matmul Aᵀ", [[4, 3], [4, 5]]) { matmul($0[0], $0[1], transposeA: true) },
    PrimitiveCase("matmul Bᵀ", [[3, 4], [5, 4]]) { matmul($0[0], $0[1], transposeB: true) },
    PrimitiveCase("matmul AᵀBᵀ", [[4, 3], [5, 4]]) {
        matmul($0[0], $0[1], transposeA: true, transposeB: true)
    },
    PrimitiveCase("batched matmul", [[2, 3, 4], [2, 4, 5]]) { batchedMatmul($0[0], $0[1]) },
    PrimitiveCase("batched matmul Aᵀ Bᵀ", [[2, 4, 3], [2, 5, 4]]) {
        batchedMatmul($0[0], $0[1], transposeA: true, transposeB: true)
    },
    PrimitiveCase("batched matmul Bᵀ", [[3, 2, 4], [3, 5, 4]]) {
        batchedMatmul($0[0], $0[1], transposeB: true)
    },
    PrimitiveCase("affine", [[3, 4], [5, 4], [5]]) { affine($0[0], weight: $0[1], bias: $0[2]) },
    PrimitiveCase("add", [[3, 4], [3, 4]]) { $0[0] + $0[1] },
    PrimitiveCase("add broadcast leading", [[2, 3, 4], [4]]) { $0[0] + $0[1] },
    PrimitiveCase("add broadcast size-1", [[3, 1], [3, 4]]) { $0[0] + $0[1] },
    PrimitiveCase("sub broadcast", [[2, 3, 4], [3, 1]]) { $0[0] - $0[1] },
    PrimitiveCase("mul", [[3, 4], [3, 4]]) { $0[0] * $0[1] },
    PrimitiveCase("mul broadcast", [[2, 3, 4], [3, 4]]) { $0[0] * $0[1] },
    PrimitiveCase("mul scalar-shaped", [[3, 4], [1]]) { $0[0] * $0[1] },
    PrimitiveCase("div", [[3, 4], [3, 4]], [.awayFromZero, .positive]) { $0[0] / $0[1] },
    PrimitiveCase("div broadcast", [[2, 3], [2, 1]], [.awayFromZero, .positive]) { $0[0] / $0[1] },
    PrimitiveCase("neg", [[3, 4]]) { -$0[0] },
    PrimitiveCase("scale and shift", [[3, 4]]) { $0[0] * 1.5 + 0.25 },
    PrimitiveCase("exp", [[3, 4]]) { $0[0].exp() },
    PrimitiveCase("log", [[3, 4]], [.positive]) { $0[0].log() },
    PrimitiveCase("log1p", [[3, 4]], [.positive]) { $0[0].log1p() },
    PrimitiveCase("sqrt", [[3, 4]], [.positive]) { $0[0].sqrt() },
    PrimitiveCase("square", [[3, 4]]) { $0[0].squared() },
    PrimitiveCase("abs", [[3, 4]]) { $0[0].abs() * $0[0] },
    PrimitiveCase("sigmoid", [[3, 4]]) { $0[0].sigmoid() },
    PrimitiveCase("softplus", [[3, 4]]) { $0[0].softplus() },
    PrimitiveCase("tanh", [[3, 4]]) { $0[0].tanh() },
    PrimitiveCase("relu", [[3, 4]]) { $0[0].relu() * $0[0] },
    PrimitiveCase("leaky relu", [[3, 4]]) { $0[0].leakyRelu(slope: 0.1) * $0[0] },
    PrimitiveCase("elu", [[3, 4]]) { $0[0].elu(alpha: 0.7) },
    PrimitiveCase("sum axis 1", [[2, 3, 4]]) { $0[0].squared().sum(alongAxes: [1]) },
    PrimitiveCase("sum axes 0,2 kept", [[2, 3, 4]]) {
        $0[0].squared().sum(alongAxes: [0, 2], keepingAxes: true)
    },
    PrimitiveCase("sum all", [[2, 3]]) { $0[0].squared().sum() },
    PrimitiveCase("mean axis -1", [[2, 3, 4]]) { $0[0].squared().mean(alongAxes: [-1]) },
    PrimitiveCase("mean all", [[2, 3]]) { $0[0].squared().mean() },
    PrimitiveCase("logsumexp axis 0", [[3, 4]]) { $0[0].logSumExp(alongAxis: 0) },
    PrimitiveCase("logsumexp axis 1 kept", [[2, 3, 4]]) {
        $0[0].logSumExp(alongAxis: 1, keepingAxis: true)
    },
    PrimitiveCase("softmax", [[3, 4]]) { $0[0].softmax(alongAxis: 1) },
    PrimitiveCase("reshape", [[2, 6]]) { $0[0].reshaped(to: [3, 4]).squared() },
    PrimitiveCase("transpose", [[3, 4]]) { matmul($0[0].transposed(), $0[0]) },
    PrimitiveCase("permute", [[2, 3, 4]]) { $0[0].permuted([2, 0, 1]).squared() },
    PrimitiveCase("slice", [[3, 5]]) { $0[0].slice(alongAxis: 1, start: 1, length: 3).squared() },
    PrimitiveCase("pad", [[3, 2]]) { $0[0].squared().padded(alongAxis: 0, before: 1, after: 2) },
    PrimitiveCase("concat", [[2, 3], [2, 2]]) {
        Variable.concatenate([$0[0], $0[1].squared()], alongAxis: 1).exp()
    },
    PrimitiveCase("broadcast to", [[3, 1]]) { $0[0].squared().broadcast(to: [2, 3, 4]) },
    PrimitiveCase("rows repeated", [[2, 3, 2]]) { $0[0].squared().repeatingRows(3) },
    PrimitiveCase("sum to shape", [[2, 3, 4]]) { $0[0].squared().summed(toShape: [3, 1]) },
    PrimitiveCase("im2col", [[2, 2, 4, 4]]) {
        $0[0].squared().im2col(
            ConvGeometry(channels: 2, height: 4, width: 4, kernelHeight: 3, kernelWidth: 3, padding: 1))
    },
    PrimitiveCase("col2im", [[1, 4, 18]]) {
        $0[0].squared().col2im(
            ConvGeometry(channels: 2, height: 5, width: 5, kernelHeight: 3, kernelWidth: 3, stride: 2))
    },
    PrimitiveCase("conv2d stride 1 pad 1", [[2, 2, 4, 4], [3, 2, 3, 3], [3]]) {
        (conv2d($0[0], weight: $0[1], bias: $0[2], stride: 1, padding: 1) * 0.3).tanh()
    },
    PrimitiveCase("conv2d stride 2", [[1, 2, 5, 5], [2, 2, 3, 3], [2]]) {
        (conv2d($0[0], weight: $0[1], bias: $0[2], stride: 2) * 0.3).tanh()
    },
    PrimitiveCase("conv-transpose2d", [[2, 2, 3, 3], [2, 3, 4, 4], [3]]) {
        (convTranspose2d($0[0], weight: $0[1], bias: $0[2], stride: 2, padding: 1) * 0.3).tanh()
    },
    PrimitiveCase("conv-transpose2d output padding", [[1, 2, 2, 2], [2, 1, 3, 3], [1]]) {
        (convTranspose2d($0[0], weight: $0[1], bias: $0[2], stride: 2, padding: 1, outputPadding: 1)
            * 0.3).tanh()
    },
    PrimitiveCase("im2col channels-last", [[2, 4, 4, 3]]) {
        $0[0].squared().im2colChannelsLast(
            ConvGeometry(channels: 3, height: 4, width: 4, kernelHeight: 3, kernelWidth: 2, padding: 1))
    },
    PrimitiveCase("col2im channels-last", [[1, 4, 12]]) {
        $0[0].squared().col2imChannelsLast(
            ConvGeometry(channels: 2, height: 5, width: 5, kernelHeight: 3, kernelWidth: 2, stride: 2))
    },
    PrimitiveCase("conv2d channels-last", [[2, 5, 5, 2], [3, 2, 3, 3], [3]]) {
        (conv2dChannelsLastTrace($0[0], weight: $0[1], bias: $0[2], stride: 2, padding: 1).output * 0.3)
            .tanh()
    },
    PrimitiveCase("conv-transpose2d channels-last", [[2, 3, 3, 2], [2, 3, 4, 4], [3]]) {
        (convTranspose2dChannelsLastTrace($0[0], weight: $0[1], bias: $0[2], stride: 2, padding: 1).output
            * 0.3)
            .tanh()
    },
    PrimitiveCase("bce with logits", [[3, 4], [3, 4]], [.awayFromZero, .unit]) {
        binaryCrossEntropy(logits: $0[0], targets: $0[1])
    },
    PrimitiveCase("logistic residual", [[3, 4], [3, 4], [3, 4]], [.awayFromZero, .awayFromZero, .unit]) {
        logisticResidual($0[0], logits: $0[1], targets: $0[2])
    },
    PrimitiveCase("gate", [[3, 4]]) {
        $0[0].squared().gated(by: Philox(seed: 5).normal([3, 4]), negativeValue: 0.3)
    },
    PrimitiveCase("cross-entropy axis 1", [[3, 5, 2]]) {
        crossEntropy(logits: $0[0], labels: [0, 4, 2, 2, 1, 3], alongAxis: 1)
    },
    PrimitiveCase("cross-entropy last axis", [[4, 3]]) {
        crossEntropy(logits: $0[0], labels: [2, 0, 1, 2], alongAxis: -1)
    },
    PrimitiveCase("fused categorical cross-entropy, 5 classes", [[6, 5]]) {
        categoricalCrossEntropy(rows: $0[0], labels: [0, 4, 2, 2, 1, 3], classes: 5)
    },
    // 37 classes: two 16-lane blocks and a tail in the kernel's max and sum.
    PrimitiveCase("fused categorical cross-entropy, 37 classes", [[2, 3, 37]]) {
        categoricalCrossEntropy(rows: $0[0], labels: [36, 0, 17, 5, 31, 16], classes: 37)
    },
]
