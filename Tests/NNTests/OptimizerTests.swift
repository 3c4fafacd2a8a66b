// Optimizer steps, clipping and schedules against values computed by hand from PyTorch's
// update rules (torch.optim.SGD / Adam / Adamax, clip_grad_norm_, StepLR, CosineAnnealingLR).

import Glibc
import NN
import TensorCore
import Testing

/// An arena of two scalars p = [1, −2] with gradient g.
func scalarArena(gradient: [Float]) -> ParameterArena {
    var builder = ParameterArenaBuilder(seed: 0)
    _ = builder.register("p", Tensor(shape: [2], scalars: [1, -2]))
    let arena = builder.build()
    setGradient(arena, gradient)
    return arena
}

func setGradient(_ arena: ParameterArena, _ gradient: [Float]) {
    for (index, value) in gradient.enumerated() { arena.gradients.pointer[index] = value }
}

func values(_ arena: ParameterArena) -> [Float] { arena.flatValues().scalars }

func close(_ a: [Float], _ b: [Float], _ tolerance: Float = 1e-6) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= tolerance * max(1, abs($1)) }
}

@Suite struct OptimizerTests {
    @Test func sgdWithMomentumAndWeightDecay() {
        let arena = scalarArena(gradient: [0.5, 1])
        let sgd = SGD(momentum: 0.9, weightDecay: 0.1)
        sgd.step(arena, learningRate: 0.1)
        // g' = g + 0.1p = [0.6, 0.8]; v = g'; p = p − 0.1v = [0.94, −2.08]
        #expect(close(values(arena), [0.94, -2.08]))
        sgd.step(arena, learningRate: 0.1)
        // g' = [0.5 + 0.094, 1 − 0.208] = [0.594, 0.792]; v = 0.9v + g' = [1.134, 1.512]
        #expect(close(values(arena), [0.94 - 0.1134, -2.08 - 0.1512]))
    }

    @Test func sgdNesterov() {
        let arena = scalarArena(gradient: [1, 1])
        let sgd = SGD(momentum: 0.5, nesterov: true)
        sgd.step(arena, learningRate: 1)
        // v = g = 1; update = g + 0.5v = 1.5
        #expect(close(values(arena), [-0.5, -3.5]))
    }

    @Test func adamTwoSteps() {
        let arena = scalarArena(gradient: [0.5, -1])
        let adam = Adam(beta1: 0.9, beta2: 0.999, epsilon: 1e-8)
        adam.step(arena, learningRate: 0.01)
        // Step 1: m̂ = g, v̂ = g² ⇒ update = lr·sign(g) (up to ε).
        #expect(close(values(arena), [0.99, -1.99]))
        setGradient(arena, [0.25, 2])
        adam.step(arena, learningRate: 0.01)
        func expected(_ g1: Double, _ g2: Double) -> Double {
            let m = 0.9 * 0.1 * g1 + 0.1 * g2
            let v = 0.999 * 0.001 * g1 * g1 + 0.001 * g2 * g2
            let mHat = m / (1 - 0.81)
            let vHat = v / (1 - 0.999 * 0.999)
            return 0.01 * mHat / (vHat.squareRoot() + 1e-8)
        }
        #expect(
            close(values(arena), [Float(0.99 - expected(0.5, 0.25)), Float(-1.99 - expected(-1, 2))], 1e-5))
    }

    @Test func adamWeightDecayIsL2OnTheGradient() {
        let arena = scalarArena(gradient: [0, 0])
        let adam = Adam(weightDecay: 0.5)
        adam.step(arena, learningRate: 0.1)
        // g' = 0.5p = [0.5, −1] ⇒ first step moves by lr·sign(g').
        #expect(close(values(arena), [0.9, -1.9]))
    }

    /// Adam from per-entry gradient tensors (Likelihood Regret's refit) steps exactly as Adam
    /// from the arena's gradient buffer, entry by entry, and leaves entries past the list alone.
    @Test func adamFromGradientTensorsEqualsArenaAdam() {
        func arena() -> ParameterArena {
            var builder = ParameterArenaBuilder(seed: 0)
            _ = builder.register("a", Tensor(shape: [3], scalars: [1, -2, 0.5]))
            _ = builder.register("b", Tensor(shape: [2, 2], scalars: [0.3, 0.1, -0.7, 2]))
            _ = builder.register("frozen", Tensor(shape: [1], scalars: [4]))
            return builder.build()
        }
        let steps: [[Float]] = [[0.5, -1, 0.2, 0.1, 0.3, -0.4, 2], [0.25, 2, -0.1, 0.7, -0.2, 0.05, 1]]
        let (viaBuffer, viaTensors) = (arena(), arena())
        let (first, second) = (Adam(weightDecay: 0.05), Adam(weightDecay: 0.05))
        for gradient in steps {
            setGradient(viaBuffer, gradient + [0])
            first.step(viaBuffer, learningRate: 0.01, elements: 7)
            second.step(
                viaTensors, learningRate: 0.01,
                gradients: [
                    Tensor(shape: [3], scalars: Array(gradient[0..<3])),
                    Tensor(shape: [2, 2], scalars: Array(gradient[3..<7])),
                ])
        }
        #expect(values(viaTensors) == values(viaBuffer))
        #expect(values(viaTensors).last == 4)
    }

    @Test func adamaxTwoSteps() {
        let arena = scalarArena(gradient: [0.5, -1])
        let adamax = Adamax(beta1: 0.9, beta2: 0.999, epsilon: 1e-8)
        adamax.step(arena, learningRate: 0.002)
        // m = 0.1g; u = |g| + ε; step = lr/(1 − 0.9) · m/u = lr·sign(g)
        #expect(close(values(arena), [0.998, -1.998]))
        setGradient(arena, [0.25, 2])
        adamax.step(arena, learningRate: 0.002)
        // p0: m = 0.09·0.5 + 0.1·0.25 = 0.07, u = max(0.999·0.5, 0.25) = 0.4995
        // p1: m = −0.09 + 0.2 = 0.11, u = max(0.999·1, 2) = 2
        let scale = 0.002 / (1 - 0.81)
        #expect(
            close(
                values(arena), [Float(0.998 - scale * 0.07 / 0.4995), Float(-1.998 - scale * 0.11 / 2)], 1e-5)
        )
    }

    @Test func globalNormClipping() {
        let arena = scalarArena(gradient: [3, 4])
        let norm = clipGradientNorm(arena, maximumNorm: 1)
        #expect(abs(norm - 5) < 1e-6)
        let clipped = arena.flatGradients().scalars
        #expect(close(clipped, [3 / (5 + 1e-6), 4 / (5 + 1e-6)]))
        // Below the limit nothing changes.
        clipGradientNorm(arena, maximumNorm: 10)
        #expect(arena.flatGradients().scalars == clipped)
    }

    @Test func learningRateSchedules() {
        #expect(LearningRateSchedule(base: 0.1).rate(step: 1000) == 0.1)
        let step = LearningRateSchedule(base: 1, decay: .step(stepSize: 10, gamma: 0.5))
        #expect(step.rate(step: 9) == 1)
        #expect(step.rate(step: 10) == 0.5)
        #expect(step.rate(step: 25) == 0.25)
        let cosine = LearningRateSchedule(base: 1, decay: .cosine(totalSteps: 100, minimum: 0.1))
        #expect(abs(cosine.rate(step: 0) - 1) < 1e-6)
        #expect(abs(cosine.rate(step: 50) - 0.55) < 1e-6)
        #expect(abs(cosine.rate(step: 100) - 0.1) < 1e-6)
        #expect(abs(cosine.rate(step: 25) - Float(0.1 + 0.9 * (1 + cos(Double.pi / 4)) / 2)) < 1e-6)
        #expect(abs(cosine.rate(step: 500) - 0.1) < 1e-6)
    }
}
