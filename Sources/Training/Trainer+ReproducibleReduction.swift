// `training.reproducible_reduction`: the same bits on any number of ranks and workers. The global
// batch is cut into fixed blocks of `training.reduction_block` examples; each block's gradient is
// computed alone (so its floats do not depend on who computes it), turned into 64-bit fixed point
// (2⁻³⁶ resolution, entries below 32,768 per block) and added as integers, which is associative:
// summing over workers and the integer all-reduce over ranks give the same total in any order. One extra slot counts blocks
// whose gradient was not finite or too large for the fixed point, so that every rank stops at
// the same step (the divergence check, still without a collective of its own).

import Cluster
import NN
import Runs
import TensorCore

/// Per-worker fixed-point accumulators, reused across steps.
final class FixedPointGradients: @unchecked Sendable {
    /// 2³⁶: gradient entries are summed in units of 2⁻³⁶ (1.5e-11).
    static let scale = Double(1 << 36)
    /// One accumulator per worker, `count + 1` entries (the last counts bad blocks).
    let workers: [UnsafeMutablePointer<Int64>]
    let count: Int

    init(workers: Int, count: Int) {
        self.count = count
        self.workers = (0..<workers).map { _ in
            let buffer = UnsafeMutablePointer<Int64>.allocate(capacity: count + 1)
            buffer.initialize(repeating: 0, count: count + 1)
            return buffer
        }
    }

    deinit { for buffer in workers { buffer.deallocate() } }

    /// Adds one block's float gradient `g: [count]` into worker `worker`'s accumulator, in one
    /// branch-free (vectorizable) pass: round-to-nearest through the 1.5·2⁵² trick, exact for
    /// |x| < 2⁵¹. A block with an entry that is not finite or whose magnitude reaches `limit`
    /// (≤ 2⁵¹, in units of the resolution) is counted as bad; the step then stops, so the
    /// garbage such entries added is never used.
    func add(_ gradient: UnsafePointer<Float>, worker: Int, limit: Double) {
        let target = workers[worker]
        let magic = 6_755_399_441_055_744.0
        let offset = Int64(bitPattern: magic.bitPattern)
        var bad = 0
        for index in 0..<count {
            let value = Double(gradient[index]) * FixedPointGradients.scale
            bad &+= abs(value) < limit ? 0 : 1
            target[index] &+= Int64(bitPattern: (value + magic).bitPattern) &- offset
        }
        if bad > 0 { target[count] += 1 }
    }

    /// Sums the workers' accumulators into the first one and zeroes the others.
    func sumWorkers() {
        guard workers.count > 1 else { return }
        let target = SharedPointer(workers[0])
        let sources = UncheckedBox(Array(workers.dropFirst()))
        parallelFor(count + 1) { range in
            for source in sources.value {
                for index in range {
                    target.base[index] &+= source[index]
                    source[index] = 0
                }
            }
        }
    }
}

extension Trainer {
    /// One optimizer step's gradient, reduced exactly: fills the arena's gradients with the
    /// global batch mean and returns this rank's loss terms. `indices` is the global batch.
    func reproducibleGradient(
        indices: [Int], step: Int, scale: Float, started computeStart: ContinuousClock.Instant
    ) throws -> [StepTerms] {
        let block = config.training.reductionBlock
        let blocks = stride(from: 0, to: indices.count, by: block).map {
            Array(indices[$0..<min($0 + block, indices.count)])
        }
        let mine = Array(blocks[communicator.share(of: blocks.count)])
        let count = model.arena.count
        let accumulators = fixedPointGradients(count: count)
        // Each block's entries below 2⁵¹ units (|g| < 32,768; exact rounding), and |total| < 2⁶²
        // however the blocks fall.
        let limit = min(Double(Int64(1) << 51), Double(Int64(1) << 62) / Double(max(blocks.count, 1)))
        let perWorker = Trainer.split(Array(mine.indices), into: workerGradients.count)
        var terms = [StepTerms](
            repeating: StepTerms(loss: 0, reconstruction: 0, kl: 0), count: perWorker.count)
        let shared = UncheckedBox(self)
        let blockList = UncheckedBox(mine)
        terms.withUnsafeMutableBufferPointer { results in
            guard let base = results.baseAddress else { return }
            let output = SharedPointer(base)
            runWorkers(perWorker.count) { worker in
                var sum = StepTerms(loss: 0, reconstruction: 0, kl: 0)
                for position in perWorker[worker] {
                    let trainer = shared.value
                    sum =
                        sum
                        + trainer.workerPass(
                            blockList.value[position], step: step, scale: scale, worker: worker)
                    accumulators.add(trainer.workerGradients[worker].pointer, worker: worker, limit: limit)
                }
                output.base[worker] = sum
            }
        }
        accumulators.sumWorkers()
        let total = accumulators.workers[0]
        // A non-finite loss counts as a bad block too (its gradient may still be finite).
        if !terms.reduce(0, { $0 + $1.loss }).isFinite { total[count] += 1 }
        let reduceStart = ContinuousClock.now
        stepSeconds.compute += (reduceStart - computeStart) / .seconds(1)
        try communicator.allReduceSum(UnsafeMutableBufferPointer(start: total, count: count + 1))
        stepSeconds.allReduce += (ContinuousClock.now - reduceStart) / .seconds(1)
        let target = SharedPointer(model.arena.gradients.pointer)
        let source = SharedPointer(total)
        // A bad block anywhere makes every rank's gradient non-finite: the caller stops the run.
        let bad = total[count] != 0
        parallelFor(count) { range in
            for index in range {
                target.base[index] =
                    bad ? .nan : Float(Double(source.base[index]) / FixedPointGradients.scale)
                source.base[index] = 0
            }
        }
        total[count] = 0
        return terms
    }

    /// The accumulators, made on first use.
    private func fixedPointGradients(count: Int) -> FixedPointGradients {
        if let existing = fixedPoint { return existing }
        let made = FixedPointGradients(workers: workerGradients.count, count: count)
        fixedPoint = made
        return made
    }
}
