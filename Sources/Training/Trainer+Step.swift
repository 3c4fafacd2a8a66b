// One data-parallel step, and the state every rank starts from. A step is: this rank's share of
// the global batch split over the in-process workers → each worker's forward and backward into
// its own gradient buffer → the buffers summed into the arena → one (bucketed) all-reduce →
// clipping → the optimizer at the schedule's rate.

import Autodiff
import Cluster
import NN
import Runs
import TensorCore

extension Trainer {
    struct StepTerms {
        var loss: Double
        var reconstruction: Double
        var kl: Double
        /// The objective's own term (`VAEObjective.extraTermName`), 0 when it has none.
        var extra: Double = 0
        /// The rate the optimizer stepped with.
        var learningRate: Float = 0

        static func + (a: StepTerms, b: StepTerms) -> StepTerms {
            StepTerms(
                loss: a.loss + b.loss, reconstruction: a.reconstruction + b.reconstruction, kl: a.kl + b.kl,
                extra: a.extra + b.extra)
        }
    }

    /// One optimizer step on the examples `indices`, split over ranks and in-process workers.
    func trainStep(indices: [Int], step: Int) throws -> StepTerms {
        let computeStart = ContinuousClock.now
        // The loss is the batch mean of per-example losses; each worker holds its share of it.
        let scale = 1 / Float(indices.count)
        let terms =
            config.training.reproducibleReduction
            ? try reproducibleGradient(indices: indices, step: step, scale: scale, started: computeStart)
            : try floatGradient(indices: indices, step: step, scale: scale, started: computeStart)
        let phases = profile?.phases
        let finite = TimeProfile.measure("finiteness check", in: phases) {
            FlatKernels.allFinite(model.arena.gradients.pointer, count: model.arena.count)
        }
        if !finite { throw TrainingError.diverged(step: step, lastCheckpoint: run.latestCheckpoint) }
        if config.training.gradientClip > 0 {
            TimeProfile.measure("clipping", in: phases) {
                clipGradientNorm(model.arena, maximumNorm: config.training.gradientClip)
            }
        }
        let learningRate = schedule.rate(step: step)
        TimeProfile.measure("optimizer", in: phases) {
            optimizer.step(model.arena, learningRate: learningRate)
        }
        var local = terms.reduce(StepTerms(loss: 0, reconstruction: 0, kl: 0), +)
        local.learningRate = learningRate
        guard communicator.size > 1 else { return local }
        // Each rank holds its share of the batch mean; the logged loss is the whole batch's.
        var sums = [local.loss, local.reconstruction, local.kl, local.extra]
        try communicator.allReduceSum(&sums)
        return StepTerms(
            loss: sums[0], reconstruction: sums[1], kl: sums[2], extra: sums[3], learningRate: learningRate)
    }

    /// The default reduction: each worker's part of this rank's share in one pass, the workers'
    /// float gradients summed, one (bucketed) float all-reduce; fills the arena's gradients with
    /// the global batch mean and returns the workers' loss terms.
    private func floatGradient(
        indices: [Int], step: Int, scale: Float, started computeStart: ContinuousClock.Instant
    )
        throws -> [StepTerms]
    {
        let share = communicator.share(of: indices.count)
        if overlapsAllReduce {
            return try [
                overlappedGradient(Array(indices[share]), step: step, scale: scale, started: computeStart)
            ]
        }
        let parts = Trainer.split(Array(indices[share]), into: workerGradients.count)
        var terms = [StepTerms](repeating: StepTerms(loss: 0, reconstruction: 0, kl: 0), count: parts.count)
        let shared = UncheckedBox(self)
        terms.withUnsafeMutableBufferPointer { results in
            guard let base = results.baseAddress else { return }
            let output = SharedPointer(base)
            runWorkers(parts.count) { worker in
                output.base[worker] = shared.value.workerPass(
                    parts[worker], step: step, scale: scale, worker: worker)
            }
        }
        TimeProfile.measure("sum of worker gradients", in: profile?.phases) {
            model.arena.sumGradients(of: workerGradients)
        }
        // A non-finite local loss poisons the local gradient, so that the all-reduce below carries
        // it to every rank (NaN + x = NaN): every rank sees the same summed gradient and stops at
        // the same step, with no collective of its own.
        let localLoss = terms.reduce(0) { $0 + $1.loss }
        if !localLoss.isFinite, model.arena.count > 0 { model.arena.gradients.pointer[0] = .nan }
        // The global batch mean on every rank.
        let reduceStart = ContinuousClock.now
        stepSeconds.compute += (reduceStart - computeStart) / .seconds(1)
        try communicator.allReduceSum(
            UnsafeMutableBufferPointer(start: model.arena.gradients.pointer, count: model.arena.count),
            bucketElements: config.training.allReduceBucketMegabytes * (1 << 20) / MemoryLayout<Float>.stride)
        let reduced = ContinuousClock.now - reduceStart
        stepSeconds.allReduce += reduced / .seconds(1)
        profile?.phases.add("all-reduce", reduced)
        return terms
    }

    /// Forward and backward of one worker's part of a batch into its gradient buffer (or
    /// `destination`); `onLoss` sees the part's loss before the backward pass, `onParameter` each
    /// parameter as its gradient is final.
    func workerPass(
        _ indices: [Int], step: Int, scale: Float, worker: Int, destination: TensorStorage? = nil,
        onLoss: ((Double) -> Void)? = nil, onParameter: ((Int) -> Void)? = nil
    ) -> StepTerms {
        let phases = profile?.phases
        let batch = TimeProfile.measure("batch", in: phases) {
            config.objectiveBatch(model: model, set: data.train, indices: indices, step: step)
        }
        let pass = ForwardPass(arena: model.arena)
        pass.profile = profile?.layers
        pass.backwardProfile = profile?.operations
        let terms = TimeProfile.measure("forward", in: phases) {
            model.objectiveTerms(batch, beta: config.training.beta, pass)
        }
        let perExample = terms.loss
        let loss = Double(perExample.value.sum()) * Double(scale)
        // Read before the backward pass, which releases the graph's values as it goes.
        let stepTerms = StepTerms(
            loss: loss,
            reconstruction: Double(terms.reconstruction.value.sum()) * Double(scale),
            kl: Double(terms.kl.value.sum()) * Double(scale),
            extra: terms.extra.map { Double($0.value.sum()) * Double(scale) } ?? 0)
        onLoss?(loss)
        TimeProfile.measure("backward", in: phases) {
            pass.backward(
                perExample.sum() * scale, into: destination ?? workerGradients[worker],
                onParameter: onParameter,
                releasingGraph: true)
        }
        return stepTerms
    }

    /// Broadcasts rank 0's parameters, optimizer state and step to every rank.
    func synchronizeState(step: Int) throws -> Int {
        guard communicator.size > 1 else { return step }
        var header = [Int64(step), Int64(optimizer.stepCount)]
        try communicator.broadcast(&header, root: 0)
        try communicator.broadcast(
            UnsafeMutableRawBufferPointer(
                start: model.arena.values.pointer, count: model.arena.count * MemoryLayout<Float>.stride),
            root: 0)
        var slots: [String: TensorStorage] = [:]
        var present = optimizer.slotNames.map { Int64(optimizer.slots[$0] == nil ? 0 : 1) }
        try communicator.broadcast(&present, root: 0)
        for (name, flag) in zip(optimizer.slotNames, present) where flag == 1 {
            let storage = optimizer.slots[name] ?? TensorStorage(count: model.arena.count, repeating: 0)
            try communicator.broadcast(
                UnsafeMutableRawBufferPointer(
                    start: storage.pointer, count: model.arena.count * MemoryLayout<Float>.stride),
                root: 0)
            slots[name] = storage
        }
        if !communicator.isCoordinator { optimizer.restore(stepCount: Int(header[1]), slots: slots) }
        return Int(header[0])
    }

    /// Contiguous parts of `indices`, as equal as possible (none empty).
    static func split(_ indices: [Int], into count: Int) -> [[Int]] {
        let parts = max(1, min(count, indices.count))
        return (0..<parts).map { part in
            Array(indices[(part * indices.count / parts)..<((part + 1) * indices.count / parts)])
        }
    }
}
