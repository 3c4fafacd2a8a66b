// Optimizers update an arena in place from its gradient buffer: one flat loop each, matching
// PyTorch's update rules (torch.optim.SGD, Adam, Adamax) so that runs can be compared.

import TensorCore

/// An update rule over a whole arena.
public protocol Optimizer: AnyObject {
    /// Applies one step with learning rate `learningRate` using `arena.gradients`.
    func step(_ arena: ParameterArena, learningRate: Float)
    /// Steps taken so far.
    var stepCount: Int { get set }
    /// Named per-parameter state buffers (`[count]` each), for checkpoints.
    var slots: [String: TensorStorage] { get }
    /// The names of the state buffers this optimizer keeps.
    var slotNames: [String] { get }
    /// Replaces the state with checkpointed buffers (each `[count]`), named as in `slotNames`.
    func restore(stepCount: Int, slots: [String: TensorStorage])
}

/// A zero-filled state buffer as large as `arena`.
func makeSlot(_ arena: ParameterArena) -> TensorStorage {
    TensorStorage(count: arena.count, repeating: 0)
}

/// What Adam and Adamax share: β₁, β₂, ε, L2 weight decay λ (added to the gradient, not decoupled
/// as in AdamW), the step count t, and two per-parameter state buffers named as PyTorch names
/// them, created zero-filled at the first step or restored from a checkpoint.
public class MomentOptimizer {
    /// β₁, the decay of the first moment.
    public let beta1: Float
    /// β₂, the decay of the second moment (Adam) or of the infinity norm (Adamax).
    public let beta2: Float
    /// ε: added to Adam's denominator, inside Adamax's max.
    public let epsilon: Float
    /// L2 weight decay λ.
    public let weightDecay: Float
    /// Steps taken (t).
    public var stepCount = 0
    /// The state buffers' names: `exp_avg` and the second one's.
    public let slotNames: [String]
    private var buffers: (TensorStorage, TensorStorage)?

    init(beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float, slotNames: (String, String)) {
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.slotNames = [slotNames.0, slotNames.1]
    }

    /// The state buffers by name (empty before the first step).
    public var slots: [String: TensorStorage] {
        guard let buffers else { return [:] }
        return [slotNames[0]: buffers.0, slotNames[1]: buffers.1]
    }

    /// Replaces the state with checkpointed buffers (both, or none).
    public func restore(stepCount: Int, slots: [String: TensorStorage]) {
        self.stepCount = stepCount
        if let first = slots[slotNames[0]], let second = slots[slotNames[1]] {
            buffers = (first, second)
        } else {
            buffers = nil
        }
    }

    /// The buffers' addresses, creating them for `arena` at the first step.
    func moments(for arena: ParameterArena) -> (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) {
        let current = buffers ?? (makeSlot(arena), makeSlot(arena))
        buffers = current
        return (current.0.pointer, current.1.pointer)
    }
}
