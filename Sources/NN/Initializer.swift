// Parameter initializers. Draws are keyed by (seed, parameter name), so a parameter's initial
// value does not depend on the order in which layers are built.

import TensorCore

/// How a parameter's initial value is drawn.
public enum Initializer: Sendable, Equatable {
    /// PyTorch's default for Linear/Conv weights and biases: U(−1/√fanIn, 1/√fanIn)
    /// (kaiming_uniform with a = √5 reduces to this bound).
    case pytorchDefault
    /// N(0, s²).
    case normal(standardDeviation: Float)
    /// U(−bound, bound).
    case uniform(bound: Float)
    /// A constant.
    case constant(Float)

    /// Draws a tensor of `shape` for a parameter called `name`.
    public func draw(shape: [Int], fanIn: Int, seed: UInt64, name: String) -> Tensor {
        let generator = Philox(seed: seed, stream: Philox.stream(Initializer.nameHash(name)))
        switch self {
        case .pytorchDefault:
            let bound = 1 / Float(max(fanIn, 1)).squareRoot()
            return generator.uniform(shape) * (2 * bound) + (-bound)
        case .normal(let standardDeviation):
            return generator.normal(shape) * standardDeviation
        case .uniform(let bound):
            return generator.uniform(shape) * (2 * bound) + (-bound)
        case .constant(let value):
            return Tensor(shape: shape, repeating: value)
        }
    }

    /// FNV-1a of the UTF-8 name: stable across processes (Swift's `Hasher` is not).
    static func nameHash(_ name: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in name.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        return hash
    }
}
