// Linear forward+backward through the engine (ForwardPass, tape, VJPs) against the three raw
// sgemm calls that the same work needs, timed in the same process on the same shapes.

import Autodiff
import NN
import TensorCore

struct EngineBenchmark {
    var batch: Int
    var inputCount: Int
    var outputCount: Int
    var iterations: Int
    var trials: Int
    let rawOutput: TensorStorage
    let rawInputGradient: TensorStorage
    let rawWeightGradient: TensorStorage

    init(batch: Int, inputCount: Int, outputCount: Int, iterations: Int, trials: Int) {
        self.batch = batch
        self.inputCount = inputCount
        self.outputCount = outputCount
        self.iterations = iterations
        self.trials = trials
        rawOutput = TensorStorage(count: batch * outputCount, repeating: 0)
        rawInputGradient = TensorStorage(count: batch * inputCount, repeating: 0)
        rawWeightGradient = TensorStorage(count: outputCount * inputCount, repeating: 0)
    }

    struct Result {
        var rawGFLOPS: Double
        var engineGFLOPS: Double
        var ratio: Double { engineGFLOPS / rawGFLOPS }
    }

    /// Forward, input gradient and weight gradient: three GEMMs of 2·B·in·out flops each.
    var flopsPerIteration: Double { 3 * 2 * Double(batch) * Double(inputCount) * Double(outputCount) }

    func run() -> Result {
        let generator = Draws(seed: 7, .benchmark).generator(0)
        let input = generator.normal([batch, inputCount])
        let upstream = generator.normal([batch, outputCount], first: 1 << 32)
        var builder = ParameterArenaBuilder(seed: 1)
        let layer = Linear("bench", inputCount: inputCount, outputCount: outputCount, in: &builder)
        let arena = builder.build()

        // Trials alternate so that both sides see the same machine noise.
        var rawTimes: [Double] = []
        var engineTimes: [Double] = []
        for _ in 0..<trials {
            rawTimes.append(time { rawIteration(input, upstream, arena, layer) })
            engineTimes.append(time { engineIteration(input, upstream, arena, layer) })
        }
        let raw = median(rawTimes)
        let engine = median(engineTimes)
        let scale = flopsPerIteration * Double(iterations) / 1e9
        return Result(rawGFLOPS: scale / raw, engineGFLOPS: scale / engine)
    }

    /// Seconds for `iterations` calls of `body`, after one warm-up call.
    private func time(_ body: () -> Void) -> Double {
        body()
        let clock = ContinuousClock()
        let start = clock.now
        for _ in 0..<iterations { body() }
        let elapsed = clock.now - start
        return elapsed / .seconds(1)
    }

    private func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted[sorted.count / 2]
    }

    private func engineIteration(
        _ input: Tensor, _ upstream: Tensor, _ arena: ParameterArena, _ layer: Linear
    ) {
        let pass = ForwardPass(arena: arena)
        let x = Variable(input, requiresGradient: true)
        let y = layer(x, pass)
        let grads = gradients(of: y, wrt: [x] + pass.parameterVariables, seed: upstream)
        precondition(grads[0].shape == input.shape)
    }

    /// The same three products on preallocated buffers: the roofline the engine is held to.
    private func rawIteration(_ input: Tensor, _ upstream: Tensor, _ arena: ParameterArena, _ layer: Linear) {
        let weight = arena.value(layer.weight)
        let (b, n, k) = (batch, outputCount, inputCount)
        input.withUnsafeBufferPointer { x in
            upstream.withUnsafeBufferPointer { dy in
                weight.withUnsafeBufferPointer { w in
                    guard let px = x.baseAddress, let pdy = dy.baseAddress, let pw = w.baseAddress
                    else { return }
                    sgemm(
                        transposeA: false, transposeB: true, m: b, n: n, k: k, a: px, b: pw,
                        c: rawOutput.pointer)
                    sgemm(
                        transposeA: false, transposeB: false, m: b, n: k, k: n, a: pdy, b: pw,
                        c: rawInputGradient.pointer)
                    sgemm(
                        transposeA: true, transposeB: false, m: n, n: k, k: b, a: pdy, b: px,
                        c: rawWeightGradient.pointer)
                }
            }
        }
    }
}
