// Adam (Kingma & Ba 2015, Algorithm 1) with optional L2 weight decay, as torch.optim.Adam.

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
    private var moments = MomentSlots("exp_avg", "exp_avg_sq")

    /// Adam with PyTorch's defaults.
    public init(beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 0) {
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
    }

    /// `exp_avg` and `exp_avg_sq`, PyTorch's names.
    public var slots: [String: TensorStorage] { moments.dictionary }

    /// `exp_avg`, `exp_avg_sq`.
    public var slotNames: [String] { moments.names }

    /// Replaces the moments (checkpoint restore).
    public func restore(stepCount: Int, slots: [String: TensorStorage]) {
        self.stepCount = stepCount
        moments.restore(slots)
    }

    /// One Adam step.
    public func step(_ arena: ParameterArena, learningRate: Float) {
        step(arena, learningRate: learningRate, elements: arena.count)
    }

    /// One Adam step on the first `elements` entries of the arena only (the others, and their
    /// state, are left alone): e.g. the encoder prefix of a VAE whose decoder is frozen.
    public func step(_ arena: ParameterArena, learningRate: Float, elements: Int) {
        let (m, v) = moments.pointers(for: arena)
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
            FlatKernels.adam(
                parameters: p.base, gradients: g.base, firstMoment: first.base, secondMoment: second.base,
                range: range, beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: weightDecay,
                stepSize: stepSize, inverseCorrection: inverseCorrection)
        }
    }
}
