// First- and second-order finite-difference checks for every primitive in `primitiveCases`.

import Autodiff
import Testing

@testable import TensorCore

@Suite struct DerivativeTests {
    @Test(arguments: primitiveCases)
    func gradientMatchesFiniteDifferences(_ primitive: PrimitiveCase) {
        let check = checkGradient(primitive.function, at: primitive.inputs())
        #expect(check.passed, "\(primitive.name): \(check)")
    }

    @Test(arguments: primitiveCases)
    func hessianVectorProductMatchesFiniteDifferences(_ primitive: PrimitiveCase) {
        let check = checkHessianVectorProduct(primitive.function, at: primitive.inputs())
        #expect(check.passed, "\(primitive.name): \(check)")
    }

    @Test func checkCatchesAWrongFactorOfTwo() {
        // A square whose VJP forgot nothing but doubled: the harness must reject it.
        let wrongSquare: ([Variable]) -> Variable = { x in
            Variable.record(x[0].value.squared(), operation: "badSquare", inputs: [x[0]]) {
                g, inputs, _, _ in [g * inputs[0] * 4]
            }
        }
        let inputs = [Philox(seed: 1).uniform([5]) + 0.5]
        let check = checkGradient(wrongSquare, at: inputs)
        #expect(!check.passed)
        #expect(check.worstError > 0.3)
    }

    @Test func checkCatchesADroppedTerm() {
        // d(a·b)/da written as g (dropping the factor b): rejected.
        let droppedTerm: ([Variable]) -> Variable = { x in
            Variable.record(x[0].value * x[1].value, operation: "badMul", inputs: [x[0], x[1]]) {
                g, inputs, _, _ in [g, g * inputs[0]]
            }
        }
        let inputs = [Philox(seed: 2).uniform([4]) + 0.5, Philox(seed: 3).uniform([4]) + 1.5]
        #expect(!checkGradient(droppedTerm, at: inputs).passed)
    }

    @Test func secondOrderCheckCatchesNonDifferentiableVJP() {
        // A tanh whose VJP uses a constant derivative (raw-buffer style) has the right first
        // derivative but a zero second derivative: the HVP check must reject it.
        let constantVJP: ([Variable]) -> Variable = { x in
            Variable.record(x[0].value.tanh(), operation: "constTanh", inputs: [x[0]]) {
                g, inputs, _, _ in
                let t = inputs[0].value.tanh()
                return [g * Variable(Tensor.ones(t.shape) - t * t)]
            }
        }
        let inputs = [Philox(seed: 4).uniform([6]) * 2 + (-1)]
        #expect(checkGradient(constantVJP, at: inputs).passed)
        #expect(!checkHessianVectorProduct(constantVJP, at: inputs).passed)
    }
}

@Suite struct FusedCategoricalTests {
    /// The fused 256-way loss equals the unfused log-softmax cross-entropy, for logits spread
    /// wide enough that a naive exp would overflow.
    @Test func fusedLossMatchesUnfusedCrossEntropy() {
        let logits = Philox(seed: 11).normal([7, 256]) * 40
        let labels = (0..<7).map { Int32($0 * 37 % 256) }
        let fused = categoricalCrossEntropy(rows: Variable(logits), labels: labels, classes: 256).value
        let reference = crossEntropy(logits: Variable(logits), labels: labels.map(Int.init), alongAxis: -1)
            .value
        for (a, b) in zip(fused.scalars, reference.scalars) {
            #expect(abs(a - b) <= 1e-4 * max(1, abs(b)), "fused \(a) vs unfused \(b)")
        }
    }
}
