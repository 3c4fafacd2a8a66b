// Adam (Kingma & Ba 2015, Algorithm 1) with optional L2 weight decay, as torch.optim.Adam.

import CKernels
import TensorCore

#if canImport(Glibc)
    import Glibc
#endif

/// Adam: `g ← g + λp`; `m ← β₁m + (1 − β₁)g`; `v ← β₂v + (1 − β₂)g²`;
/// `p ← p − lr · (m / (1 − β₁ᵗ)) / (√(v / (1 − β₂ᵗ)) + ε)`.
public final class Adam: Optimizer {
    /// β₁, the decay of the first moment.
    public let beta1: Float
    /// β₂, the decay of the second moment (Adam) or of the infinity norm (Adamax).
    public let beta2: Float
    /// ε added to the denominator.
    public let epsilon: Float
    /// L2 weight decay λ, added to the gradient (not decoupled as in AdamW).
    public let weightDecay: Float
    /// Steps taken (t).
    public var stepCount = 0
    private var firstMoment: TensorStorage?
    private var secondMoment: TensorStorage?

    /// Adam with PyTorch's defaults.
    public init(beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 0) {
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
    }

    /// `exp_avg` and `exp_avg_sq`, PyTorch's names.
    public var slots: [String: TensorStorage] {
        guard let firstMoment, let secondMoment else { return [:] }
        return ["exp_avg": firstMoment, "exp_avg_sq": secondMoment]
    }

    /// `exp_avg`, `exp_avg_sq`.
    public let slotNames = ["exp_avg", "exp_avg_sq"]

    /// Replaces the moments (checkpoint restore).
    public func restore(stepCount: Int, slots: [String: TensorStorage]) {
        self.stepCount = stepCount
        firstMoment = slots["exp_avg"]
        secondMoment = slots["exp_avg_sq"]
    }

    /// One Adam step.
    public func step(_ arena: ParameterArena, learningRate: Float) {
        step(arena, learningRate: learningRate, elements: arena.count)
    }

    /// One Adam step on the first `elements` entries of the arena only (the others, and their
    /// state, are left alone): e.g. the encoder prefix of a VAE whose decoder is frozen.
    public func step(_ arena: ParameterArena, learningRate: Float, elements: Int) {
        if firstMoment == nil {
            firstMoment = makeSlot(arena)
            secondMoment = makeSlot(arena)
        }
        guard let m = firstMoment?.pointer, let v = secondMoment?.pointer else { return }
        stepCount += 1
        let t = Float(stepCount)
        let correction1 = 1 - powf(beta1, t)
        let correction2Root = (1 - powf(beta2, t)).squareRoot()
        let stepSize = learningRate / correction1
        let (p, g) = (SharedPointer(arena.values.pointer), SharedPointer(arena.gradients.pointer))
        let (first, second) = (SharedPointer(m), SharedPointer(v))
        let (beta1, beta2, epsilon, weightDecay) = (beta1, beta2, epsilon, weightDecay)
        let inverseCorrection = 1 / correction2Root
        parallelFor(min(elements, arena.count)) { range in
            let offset = range.lowerBound
            vk_adam(
                p.base + offset, g.base + offset, first.base + offset, second.base + offset, range.count,
                beta1, beta2,
                epsilon, weightDecay, stepSize, inverseCorrection)
        }
    }
}
