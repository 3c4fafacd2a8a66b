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
        let generator = Draws(seed: seed, .initialization).generator(named: name)
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

}
