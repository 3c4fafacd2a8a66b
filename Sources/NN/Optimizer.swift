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
