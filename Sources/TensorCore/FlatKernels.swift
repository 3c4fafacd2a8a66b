// Whole-buffer kernels over flat Float storage — the optimizer update and the sum of gradient
// buffers — and process settings: the only way above TensorCore into the C kernels, which are
// imported here and nowhere else.

internal import _CTensorKernels

/// Vectorized loops over ranges of flat buffers (call them on disjoint ranges from `parallelFor`).
public enum FlatKernels {
    /// One Adam step (torch.optim.Adam with L2 weight decay) over `range` of the parameters `p`
    /// and moments `m`, `v`, reading the gradient of element `i` at `g[i − range.lowerBound]`
    /// (the arena's gradient buffer offset by the range's start, or a gradient held elsewhere);
    /// `stepSize` = lr / (1 − β₁ᵗ) and `inverseCorrection` = 1 / √(1 − β₂ᵗ).
    public static func adam(
        parameters p: UnsafeMutablePointer<Float>, gradient g: UnsafePointer<Float>,
        firstMoment m: UnsafeMutablePointer<Float>, secondMoment v: UnsafeMutablePointer<Float>,
        range: Range<Int>, beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float, stepSize: Float,
        inverseCorrection: Float
    ) {
        let o = range.lowerBound
        vk_adam(
            p + o, g, m + o, v + o, range.count, beta1, beta2, epsilon, weightDecay, stepSize,
            inverseCorrection)
    }

    /// `target[range] = Σ_s sources[s][range]` (at least one source).
    public static func sum(
        _ sources: [UnsafeMutablePointer<Float>], into target: UnsafeMutablePointer<Float>, range: Range<Int>
    ) {
        let o = range.lowerBound
        switch sources.count {
        case 0: (target + o).update(repeating: 0, count: range.count)
        case 1: (target + o).update(from: sources[0] + o, count: range.count)
        default:
            vk_add(sources[0] + o, sources[1] + o, target + o, range.count)
            for source in sources.dropFirst(2) { vk_add_into(target + o, source + o, range.count) }
        }
    }

    /// `target[0..<count] += source[0..<count]` (the buffers must not overlap).
    public static func add(
        _ source: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>, count: Int
    ) {
        vk_add_into(target, source, count)
    }

    /// `out[e] = Σ_{p < positions} u[e·positions + p] ⊛ v[e·positions + p]` for `e < examples`,
    /// rows of `size` floats (a power of two), ⊛ circular convolution, by FFT: TensorSketch's
    /// combination of two CountSketches. `u`, `v`: `[examples·positions, size]`; `out`:
    /// `[examples, size]`.
    public static func circularConvolutionSums(
        _ u: UnsafePointer<Float>, _ v: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>,
        examples: Int, positions: Int, size: Int
    ) {
        precondition(size > 0 && size & (size - 1) == 0, "FFT size \(size) is not a power of two")
        vk_circular_convolution_sums(u, v, out, examples, positions, size)
    }

    /// Whether every element of `values[0..<count]` is finite (no NaN, no ±∞).
    public static func allFinite(_ values: UnsafePointer<Float>, count: Int) -> Bool {
        vk_all_finite(values, count) == 1
    }

    /// The instruction set the kernels run: 2 (AVX-512), 1 (AVX2 + FMA) or 0 (baseline).
    public static var instructionLevel: Int { Int(vk_instruction_level()) }
}

/// Process-wide settings for tensor workloads: large buffers stay on the heap, and denormals
/// flush to zero in this thread and the threads it creates afterwards (denormal operands slow
/// x86 arithmetic ~100×; they arise in Adam's second moments). Call once at program start.
public func configureProcessForTensors() {
    configureAllocatorForTensors()
    vk_flush_denormals()
}
