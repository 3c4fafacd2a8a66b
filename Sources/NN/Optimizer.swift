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

/// The two per-parameter state buffers of Adam and Adamax, named as PyTorch names them, created
/// zero-filled at the first step or restored from a checkpoint.
struct MomentSlots {
    /// The buffers' names (`exp_avg` and the second one's).
    let names: [String]
    private var buffers: (TensorStorage, TensorStorage)?

    init(_ first: String, _ second: String) { names = [first, second] }

    /// The buffers by name (empty before the first step).
    var dictionary: [String: TensorStorage] {
        guard let buffers else { return [:] }
        return [names[0]: buffers.0, names[1]: buffers.1]
    }

    /// Replaces the buffers with checkpointed ones (both, or none).
    mutating func restore(_ slots: [String: TensorStorage]) {
        if let first = slots[names[0]], let second = slots[names[1]] {
            buffers = (first, second)
        } else {
            buffers = nil
        }
    }

    /// The buffers' addresses, creating them for `arena` at the first step.
    mutating func pointers(for arena: ParameterArena) -> (
        UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>
    ) {
        let current = buffers ?? (makeSlot(arena), makeSlot(arena))
        buffers = current
        return (current.0.pointer, current.1.pointer)
    }
}
