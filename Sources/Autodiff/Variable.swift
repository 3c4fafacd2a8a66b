// The tape: each Variable remembers the Variables it was computed from and how to pull a
// cotangent back to them. The graph is owned by the Variables themselves (no global tape), so
// independent graphs can be built on different threads without shared mutable state.

import TensorCore

/// Maps the cotangent of an op's output to cotangents of its inputs.
///
/// Written with `Variable` ops only, so that the backward pass can itself be recorded
/// (`createGraph: true`) and differentiated again.
/// - Parameters:
///   - cotangent: ∂L/∂output, the shape of the output.
///   - inputs: the op's inputs (detached copies when no graph is being created).
///   - output: the op's output (reused by VJPs such as sigmoid's and exp's).
///   - needed: whether each input's cotangent is wanted; others may be `nil`.
public typealias Pullback = (
    _ cotangent: Variable, _ inputs: [Variable], _ output: Variable, _ needed: [Bool]
) -> [Variable?]

/// A tensor value in a differentiable computation.
public final class Variable {
    /// The value (empty once a releasing backward pass has passed this node).
    public private(set) var value: Tensor
    /// True when gradients can flow to this variable (a leaf marked trainable, or an op with
    /// such an input).
    public let requiresGradient: Bool
    /// The op's inputs (empty for leaves and constants; emptied by `deinit`).
    private(set) var inputs: [Variable]
    /// The op's VJP (`nil` for leaves and constants).
    private(set) var pullback: Pullback?
    /// The op's name, for error messages.
    public let operation: String

    /// A leaf: a parameter or input when `requiresGradient`, else a constant.
    public init(_ value: Tensor, requiresGradient: Bool = false) {
        self.value = value
        self.requiresGradient = requiresGradient
        inputs = []
        pullback = nil
        operation = requiresGradient ? "leaf" : "constant"
    }

    private init(_ value: Tensor, operation: String, inputs: [Variable], pullback: @escaping Pullback) {
        self.value = value
        self.requiresGradient = true
        self.inputs = inputs
        self.pullback = pullback
        self.operation = operation
    }

    /// Drops this node's value, inputs and VJP (and what the VJP captured): a backward pass that
    /// has pulled this node's cotangent back needs none of them again, and a training step's peak
    /// memory falls when each layer's activations go as soon as the backward pass is below it.
    func release() {
        value = Tensor(shape: [0], scalars: [])
        inputs = []
        pullback = nil
    }

    /// Releases the graph above this node iteratively: a chain of 10⁵ ops would overflow the
    /// stack if each node's release released its inputs recursively.
    deinit {
        var pending: [Variable] = []
        swap(&pending, &inputs)
        while var node = pending.popLast() {
            if isKnownUniquelyReferenced(&node) {
                pending.append(contentsOf: node.inputs)
                node.inputs = []
            }
        }
    }

    /// Records the result of a primitive: a node of the graph when any input requires a
    /// gradient, else a constant.
    public static func record(
        _ value: Tensor, operation: String, inputs: [Variable], pullback: @escaping Pullback
    ) -> Variable {
        if inputs.contains(where: { $0.requiresGradient }) {
            return Variable(value, operation: operation, inputs: inputs, pullback: pullback)
        }
        let constant = Variable(value)
        return constant
    }

    /// The same value with no history: gradients stop here (stop-gradient).
    public func detached() -> Variable { Variable(value) }

    /// The value's shape.
    public var shape: [Int] { value.shape }
    /// The value's number of axes.
    public var rank: Int { value.rank }
    /// The value's element count.
    public var count: Int { value.count }
    /// The value of a one-element variable.
    public var scalar: Float { value.scalar }

    /// A constant variable.
    public static func constant(_ value: Tensor) -> Variable { Variable(value) }
}

/// Stops gradients: the value of `x` as a constant (`torch.Tensor.detach`).
public func stopGradient(_ x: Variable) -> Variable { x.detached() }
