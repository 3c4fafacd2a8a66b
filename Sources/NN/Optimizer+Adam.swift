// Adam (Kingma & Ba 2015, Algorithm 1) with optional L2 weight decay, as torch.optim.Adam.

import TensorCore

#if canImport(Glibc)
    import Glibc
#endif

/// Adam: `g ← g + λp`; `m ← β₁m + (1 − β₁)g`; `v ← β₂v + (1 − β₂)g²`;
/// `p ← p − lr · (m / (1 − β₁ᵗ)) / (√(v / (1 − β₂ᵗ)) + ε)`.
public final class Adam: MomentOptimizer, Optimizer {
    /// Adam with PyTorch's defaults.
    public init(beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 0) {
        super.init(
            beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: weightDecay,
            slotNames: ("exp_avg", "exp_avg_sq"))
    }

    /// One Adam step.
    public func step(_ arena: ParameterArena, learningRate: Float) {
        step(arena, learningRate: learningRate, elements: arena.count)
    }

    /// One Adam step on the calling thread with each entry's gradient read from its own tensor
    /// (`gradients[i]` for arena entry `i`, as many elements as the entry; entries past the list
    /// are left alone), rather than from the arena's gradient buffer: for callers whose
    /// gradients come out of `gradients(of:wrt:)` and would otherwise be copied into it first.
    public func step(_ arena: ParameterArena, learningRate: Float, gradients: [Tensor]) {
        let (m, v) = moments(for: arena)
        let (stepSize, inverseCorrection) = advance(learningRate: learningRate)
        for (entry, gradient) in zip(arena.entries, gradients) {
            precondition(gradient.count == entry.count, "gradient of \(entry.name): \(gradient.shape)")
            gradient.withUnsafeBufferPointer { values in
                guard let g = values.baseAddress else { return }
                FlatKernels.adam(
                    parameters: arena.values.pointer, gradient: g, firstMoment: m, secondMoment: v,
                    range: entry.offset..<(entry.offset + entry.count), beta1: beta1, beta2: beta2,
                    epsilon: epsilon, weightDecay: weightDecay, stepSize: stepSize,
                    inverseCorrection: inverseCorrection)
            }
        }
    }

    /// One Adam step on the first `elements` entries of the arena only (the others, and their
    /// state, are left alone): e.g. the encoder prefix of a VAE whose decoder is frozen.
    public func step(_ arena: ParameterArena, learningRate: Float, elements: Int) {
        let (m, v) = moments(for: arena)
        let (stepSize, inverseCorrection) = advance(learningRate: learningRate)
        let (p, g) = (SharedPointer(arena.values.pointer), SharedPointer(arena.gradients.pointer))
        let (first, second) = (SharedPointer(m), SharedPointer(v))
        let (beta1, beta2, epsilon, weightDecay) = (beta1, beta2, epsilon, weightDecay)
        parallelFor(min(elements, arena.count)) { range in
            FlatKernels.adam(
                parameters: p.base, gradient: g.base + range.lowerBound, firstMoment: first.base,
                secondMoment: second.base,
                range: range, beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: weightDecay,
                stepSize: stepSize, inverseCorrection: inverseCorrection)
        }
    }

    /// Counts the step and returns its bias corrections: lr / (1 − β₁ᵗ) and 1 / √(1 − β₂ᵗ).
    private func advance(learningRate: Float) -> (stepSize: Float, inverseCorrection: Float) {
        stepCount += 1
        let t = Float(stepCount)
        return (learningRate / (1 - powf(beta1, t)), 1 / (1 - powf(beta2, t)).squareRoot())
    }
}
