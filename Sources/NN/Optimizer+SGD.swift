// Stochastic gradient descent with momentum (torch.optim.SGD).

import TensorCore

/// SGD: `g ← g + λp`; `v ← μv + (1 − dampening)g` (v = g at the first step);
/// `p ← p − lr·(nesterov ? g + μv : v)`.
public final class SGD: Optimizer {
    /// Momentum μ (0 disables the buffer).
    public let momentum: Float
    /// Dampening of the gradient in the momentum buffer.
    public let dampening: Float
    /// L2 weight decay λ, added to the gradient.
    public let weightDecay: Float
    /// Nesterov momentum.
    public let nesterov: Bool
    /// Steps taken.
    public var stepCount = 0
    private var velocity: TensorStorage?

    /// SGD with the given settings (PyTorch's defaults).
    public init(momentum: Float = 0, dampening: Float = 0, weightDecay: Float = 0, nesterov: Bool = false) {
        self.momentum = momentum
        self.dampening = dampening
        self.weightDecay = weightDecay
        self.nesterov = nesterov
    }

    /// The momentum buffer, once created.
    public var slots: [String: TensorStorage] {
        velocity.map { ["momentum_buffer": $0] } ?? [:]
    }

    /// `momentum_buffer` (present after the first step when momentum is on).
    public var slotNames: [String] { momentum != 0 ? ["momentum_buffer"] : [] }

    /// Replaces the state (checkpoint restore).
    public func restore(stepCount: Int, slots: [String: TensorStorage]) {
        self.stepCount = stepCount
        velocity = slots["momentum_buffer"]
    }

    /// One SGD step.
    public func step(_ arena: ParameterArena, learningRate: Float) {
        let p = arena.values.pointer
        let g = arena.gradients.pointer
        let isFirst = velocity == nil  // PyTorch starts the buffer at the first gradient
        if momentum != 0 && velocity == nil { velocity = makeSlot(arena) }
        let v = velocity?.pointer
        for index in 0..<arena.count {
            var gradient = g[index] + weightDecay * p[index]
            if let v {
                v[index] = isFirst ? gradient : momentum * v[index] + (1 - dampening) * gradient
                gradient = nesterov ? gradient + momentum * v[index] : v[index]
            }
            p[index] -= learningRate * gradient
        }
        stepCount += 1
    }
}
