// Behaviour of the tape itself: accumulation over shared subgraphs, unreached targets,
// intermediate targets, seeds, stop-gradient and higher-order derivatives of scalars.

import Autodiff
import TensorCore
import Testing

@Suite struct GraphTests {
    /// A chain of 300,000 ops (a 20,000-layer network's graph is of this depth) is differentiated
    /// and released without recursion: released recursively it overflowed the stack (SIGSEGV).
    @Test func deepGraphIsReleasedIteratively() {
        let x = Variable(Tensor(shape: [1], scalars: [1]), requiresGradient: true)
        var chain = x
        for _ in 0..<300_000 { chain = chain + 1 }
        #expect(chain.scalar == 300_001)
        #expect(gradients(of: chain.sum(), wrt: [x])[0].value.scalars == [1])
        chain = x
        #expect(chain === x)
    }

    /// `onFinal` reports each target once, with its final gradient, and the later layer's
    /// weight before the earlier one's (what the overlapped all-reduce relies on); a weight used
    /// twice is reported only after both uses.
    @Test func finalGradientsAreReportedOnceLastLayerFirst() {
        let x = Variable(Tensor(shape: [1, 2], scalars: [1, 2]))
        let w1 = Variable(Tensor(shape: [2, 2], scalars: [1, 0, 0, 1]), requiresGradient: true)
        let w2 = Variable(Tensor(shape: [2, 2], scalars: [2, 1, 1, 2]), requiresGradient: true)
        let unused = Variable(Tensor(shape: [3], scalars: [1, 2, 3]), requiresGradient: true)
        let hidden = matmul(x, w1).relu()
        let loss = (matmul(hidden, w2) + matmul(hidden, w1)).sum()
        var reported: [(Int, [Float])] = []
        let all = gradients(of: loss, wrt: [w1, w2, unused]) { index, gradient in
            reported.append((index, gradient.value.scalars))
        }
        #expect(reported.map(\.0).sorted() == [0, 1, 2])
        let position = { (target: Int) in reported.firstIndex { $0.0 == target } ?? -1 }
        #expect(position(1) < position(0))
        for (index, values) in reported { #expect(values == all[index].value.scalars) }
    }

    @Test func sharedSubgraphAccumulates() {
        let x = Variable(Tensor(shape: [2], scalars: [1, 2]), requiresGradient: true)
        let y = x * x + x * 3  // dy/dx = 2x + 3
        let g = gradients(of: y.sum(), wrt: [x])[0].value
        #expect(g.scalars == [5, 7])
    }

    @Test func unreachedTargetGetsZeros() {
        let x = Variable(Tensor(shape: [2], scalars: [1, 2]), requiresGradient: true)
        let unused = Variable(Tensor(shape: [3], scalars: [1, 2, 3]), requiresGradient: true)
        let g = gradients(of: x.squared().sum(), wrt: [x, unused])
        #expect(g[1].value.scalars == [0, 0, 0])
    }

    @Test func intermediateTargetGivesOutputGradient() {
        let x = Variable(Tensor(shape: [3], scalars: [1, 2, 3]), requiresGradient: true)
        let hidden = x * 2
        let loss = (hidden.squared()).sum()  // dL/dhidden = 2·hidden
        let g = gradients(of: loss, wrt: [hidden, x])
        #expect(g[0].value.scalars == [4, 8, 12])
        #expect(g[1].value.scalars == [8, 16, 24])
    }

    @Test func seedIsTheOutputCotangent() {
        let x = Variable(Tensor(shape: [2], scalars: [1, 2]), requiresGradient: true)
        let g = gradients(of: x.squared(), wrt: [x], seed: Tensor(shape: [2], scalars: [10, -1]))
        #expect(g[0].value.scalars == [20, -4])
    }

    @Test func stopGradientBlocksFlow() {
        let x = Variable(Tensor(shape: [2], scalars: [3, 4]), requiresGradient: true)
        let g = gradients(of: (x * stopGradient(x)).sum(), wrt: [x])[0].value
        #expect(g.scalars == [3, 4])
    }

    @Test func thirdDerivativeOfCube() {
        // f = x³: f' = 3x², f'' = 6x, f''' = 6, each through createGraph.
        let x = Variable(Tensor(shape: [1], scalars: [2]), requiresGradient: true)
        let f = (x * x * x).sum()
        let first = gradients(of: f, wrt: [x], createGraph: true)[0]
        let second = gradients(of: first.sum(), wrt: [x], createGraph: true)[0]
        let third = gradients(of: second.sum(), wrt: [x])[0]
        #expect(first.value.scalar == 12)
        #expect(second.value.scalar == 12)
        #expect(third.value.scalar == 6)
    }

    @Test func gradientOfGradientThroughSigmoidMatchesClosedForm() {
        // d²σ/dx² = σ(1 − σ)(1 − 2σ).
        let values: [Float] = [-1.5, 0.3, 2]
        let x = Variable(Tensor(shape: [3], scalars: values), requiresGradient: true)
        let first = gradients(of: x.sigmoid().sum(), wrt: [x], createGraph: true)[0]
        let second = gradients(of: first.sum(), wrt: [x])[0].value
        for (index, v) in values.enumerated() {
            let s = 1 / (1 + (-v).exp())
            #expect(Swift.abs(second[flat: index] - s * (1 - s) * (1 - 2 * s)) < 1e-5)
        }
    }

    @Test func noGraphIsKeptWithoutCreateGraph() {
        let x = Variable(Tensor(shape: [2], scalars: [1, 2]), requiresGradient: true)
        let g = gradients(of: x.exp().sum(), wrt: [x])[0]
        #expect(!g.requiresGradient)
    }
}

extension Float {
    fileprivate func exp() -> Float { Tensor(self).exp().scalar }
}
