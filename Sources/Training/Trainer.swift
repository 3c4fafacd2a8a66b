// The training loop (single process): sampler → batch → β-ELBO → backward into the gradient
// arena → optional clipping → optimizer step at the scheduled rate; metrics, images and
// checkpoints on the way. Every draw is keyed by (seed, step, example), so resuming from a
// checkpoint continues exactly as the uninterrupted run.

import Autodiff
import CKernels
import Cluster
import Datasets
import Foundation
import Models
import NN
import Runs
import Storage
import TensorCore

/// What a finished (or stopped) training run reports.
public struct TrainingSummary: Sendable {
    /// Steps taken in total.
    public var steps: Int
    /// Mean training loss of the last epoch.
    public var finalLoss: Double
    /// The last evaluation's −ELBO on the test set.
    public var testNegativeELBO: Double?
    /// Training examples per second over this invocation.
    public var examplesPerSecond: Double
    /// The final checkpoint.
    public var checkpoint: String
}

/// Trains one run.
public final class Trainer {
    /// The config.
    public let config: RunConfig
    /// The run's folder.
    public let run: RunDirectory
    /// The data.
    public let data: RunData
    /// The model.
    public let model: VAE
    /// Its optimizer.
    public let optimizer: any Optimizer
    /// Show progress on stderr.
    public var showsProgress = true
    /// Stop after this many steps in total (for tests and resume checks); nil = all epochs.
    public var stopAfterStep: Int?
    /// Messages (one line each).
    public var log: (String) -> Void = { print($0) }
    /// Called after every step with the number of steps taken (benchmarks time with it).
    public var onStep: ((Int) -> Void)?
    /// Write checkpoints, metrics and images (benchmarks turn this off).
    public var writesFiles = true
    /// One gradient buffer per in-process worker.
    private let workerGradients: [TensorStorage]

    /// The ranks training together (a local one by default).
    public let communicator: any Communicator

    /// Prepares a run: loads data, builds the model and optimizer.
    public init(config: RunConfig, run: RunDirectory, communicator: any Communicator = LocalCommunicator())
        throws
    {
        self.config = config
        self.run = run
        self.communicator = communicator
        data = try RunData.load(config)
        model = try config.makeModel(imageShape: data.imageShape)
        if case .supervised(let settings, _) = model.objective,
            let label = data.train.labels.first(where: { $0 < 0 || $0 >= settings.classes })
        {
            throw ConfigError.mismatch(
                "\(config.data.train): label \(label) is outside 0..<\(settings.classes) (objective.classes); "
                    + "the supervised VAE needs a labelled training set")
        }
        optimizer = config.makeOptimizer()
        let parameterCount = model.arena.count
        workerGradients = (0..<config.training.workers).map { _ in
            TensorStorage(count: parameterCount, repeating: 0)
        }
        setBLASThreadCount(config.training.blasThreads)
        elementwiseThreadCount = config.training.workers
    }

    /// Whether this process writes checkpoints, metrics and images (rank 0 only).
    private var writes: Bool { writesFiles && communicator.isCoordinator }

    /// Steps per epoch.
    public var stepsPerEpoch: Int { data.train.count / config.training.batchSize }
    /// Steps of the whole run.
    public var totalSteps: Int { stepsPerEpoch * config.training.epochs }

    /// Trains from scratch (`resume: false`, refusing an existing run) or from the newest
    /// checkpoint of the run folder.
    @discardableResult
    public func train(resume: Bool) throws -> TrainingSummary {
        var step = 0
        var lastCheckpointStep = 0
        if communicator.isCoordinator {
            if resume {
                guard let latest = run.latestCheckpoint else {
                    throw ConfigError.mismatch("\(run.path): nothing to resume (no checkpoints)")
                }
                let info = try Checkpoint.load(latest, into: model.arena, optimizer: optimizer)
                step = info.step
                lastCheckpointStep = info.step
                log("resuming \(run.path) from \(latest) (step \(step))")
            } else if !run.checkpointSteps().isEmpty {
                throw ConfigError.mismatch(
                    "\(run.path) already holds checkpoints; pass --resume to continue it or choose another --run folder"
                )
            }
            try run.create()
            try AtomicFile.write(config.yaml, to: run.configPath)
        }
        // Every rank starts from rank 0's parameters, optimizer state and step.
        step = try synchronizeState(step: step)
        lastCheckpointStep = step
        let metrics = try MetricsLog(path: writes ? run.metricsPath : "/dev/null", truncate: !resume)

        let batchSize = config.training.batchSize
        let sampler = ShuffleSampler(count: data.train.count, batchSize: batchSize, seed: config.seed)
        let schedule = config.makeSchedule(totalSteps: totalSteps)
        let lastStep = min(stopAfterStep ?? totalSteps, totalSteps)
        let progress = Progress(
            total: lastStep, startingAt: step, label: "train",
            enabled: showsProgress && communicator.isCoordinator)
        let clock = ContinuousClock()
        let started = clock.now
        let startedAt = timestampNow()
        let firstStep = step
        var permutation = sampler.permutation(epoch: step / max(stepsPerEpoch, 1))
        var epochLoss = RunningMean()
        var epochReconstruction = RunningMean()
        var epochKL = RunningMean()
        var summary = TrainingSummary(steps: step, finalLoss: .nan, examplesPerSecond: 0, checkpoint: "")
        var learningRate = schedule.rate(step: step)

        while step < lastStep {
            let epoch = step / stepsPerEpoch
            let within = step % stepsPerEpoch
            if within == 0 { permutation = sampler.permutation(epoch: epoch) }
            let indices = sampler.batch(permutation, step: within)
            let terms = try trainStep(
                indices: indices, step: step, learningRate: &learningRate, schedule: schedule)
            epochLoss.add(terms.loss)
            epochReconstruction.add(terms.reconstruction)
            epochKL.add(terms.kl)
            step += 1
            onStep?(step)
            progress.update(done: step, unitsPerItem: batchSize, message: "loss \(format(terms.loss))")

            let every = config.training.checkpointEvery
            if writes && every > 0 && step % every == 0 && step < lastStep {
                try saveCheckpoint(step: step, since: step - lastCheckpointStep, learningRate: learningRate)
                lastCheckpointStep = step
            }
            if writesFiles && (step % stepsPerEpoch == 0 || step == lastStep) {
                var record: [String: Double] = [
                    "epoch": Double(step / stepsPerEpoch), "step": Double(step),
                    "learning_rate": Double(learningRate),
                    "train_loss": epochLoss.mean, "train_reconstruction": epochReconstruction.mean,
                    "train_kl": epochKL.mean,
                    "examples_per_second": rate(since: started, steps: step - firstStep),
                ]
                let completedEpoch = step / stepsPerEpoch
                if step % stepsPerEpoch == 0 && config.training.evaluateEvery > 0
                    && completedEpoch % config.training.evaluateEvery == 0
                {
                    let evaluator = Evaluator(model: model, config: config)
                    let value = try evaluator.negativeELBO(
                        data.test, count: config.training.evaluationCount, communicator: communicator)
                    record["test_neg_elbo"] = value
                    summary.testNegativeELBO = value
                    if writes { try writeImages(epoch: completedEpoch) }
                }
                if writes { try metrics.append(record) }
                if communicator.isCoordinator {
                    log(
                        "epoch \(completedEpoch) step \(step): loss \(format(epochLoss.mean)) "
                            + (record["test_neg_elbo"].map { "test −ELBO \(format($0))" } ?? ""))
                }
                summary.finalLoss = epochLoss.mean
                epochLoss = RunningMean()
                epochReconstruction = RunningMean()
                epochKL = RunningMean()
            }
        }
        if writes && (step > lastCheckpointStep || run.latestCheckpoint == nil) {
            try saveCheckpoint(step: step, since: step - lastCheckpointStep, learningRate: learningRate)
        }
        summary.steps = step
        summary.examplesPerSecond = rate(since: started, steps: step - firstStep)
        summary.checkpoint = run.checkpointPath(step: step)
        // A resumed run that was already complete took no step: nothing to record.
        if writes && step > firstStep {
            let wall = (clock.now - started).components
            try run.recordTrainingSession(
                TrainingSession(
                    started: startedAt,
                    wallSeconds: Double(wall.seconds) + Double(wall.attoseconds) * 1e-18,
                    ranks: communicator.size, workersPerRank: workerGradients.count, firstStep: firstStep,
                    lastStep: step, examplesPerSecond: summary.examplesPerSecond,
                    finalTrainLoss: summary.finalLoss.isNaN ? nil : summary.finalLoss,
                    testNegativeELBO: summary.testNegativeELBO, host: hostName()),
                fresh: !resume)
        }
        return summary
    }

    private struct StepTerms {
        var loss: Double
        var reconstruction: Double
        var kl: Double
    }

    /// One optimizer step on the examples `indices`, split over the in-process workers.
    private func trainStep(
        indices: [Int], step: Int, learningRate: inout Float, schedule: LearningRateSchedule
    ) throws -> StepTerms {
        // This rank's contiguous share of the global batch, split again over its workers.
        let share = communicator.share(of: indices.count)
        let parts = Trainer.split(Array(indices[share]), into: workerGradients.count)
        // The loss is the batch mean of per-example losses; each worker holds its share of it.
        let scale = 1 / Float(indices.count)
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
        sumWorkerGradients()
        // All-reduce of the flat gradient arena (one call unless it exceeds the bucket size): the
        // global batch mean on every rank.
        if communicator.size > 1 {
            let bucket = config.training.allReduceBucketMegabytes * (1 << 20) / MemoryLayout<Float>.stride
            var start = 0
            while start < model.arena.count {
                let count = min(bucket, model.arena.count - start)
                try communicator.allReduceSum(
                    UnsafeMutableBufferPointer(start: model.arena.gradients.pointer + start, count: count))
                start += count
            }
        }
        if config.training.gradientClip > 0 {
            clipGradientNorm(model.arena, maximumNorm: config.training.gradientClip)
        }
        learningRate = schedule.rate(step: step)
        optimizer.step(model.arena, learningRate: learningRate)
        let local = terms.reduce(StepTerms(loss: 0, reconstruction: 0, kl: 0)) {
            StepTerms(
                loss: $0.loss + $1.loss, reconstruction: $0.reconstruction + $1.reconstruction,
                kl: $0.kl + $1.kl)
        }
        guard communicator.size > 1 else { return local }
        // Each rank holds its share of the batch mean; the logged loss is the whole batch's.
        var sums = [local.loss, local.reconstruction, local.kl]
        try communicator.allReduceSum(&sums)
        return StepTerms(loss: sums[0], reconstruction: sums[1], kl: sums[2])
    }

    /// Forward and backward of one worker's part of a batch into its gradient buffer.
    private func workerPass(_ indices: [Int], step: Int, scale: Float, worker: Int) -> StepTerms {
        let batch = config.objectiveBatch(model: model, set: data.train, indices: indices, step: step)
        let pass = ForwardPass(arena: model.arena)
        let terms = model.objectiveTerms(batch, beta: config.training.beta, pass)
        let perExample = terms.loss
        pass.backward(perExample.sum() * scale, into: workerGradients[worker])
        return StepTerms(
            loss: Double(perExample.value.sum()) * Double(scale),
            reconstruction: Double(terms.reconstruction.value.sum()) * Double(scale),
            kl: Double(terms.kl.value.sum()) * Double(scale))
    }

    /// arena.gradients = Σ_workers their buffers.
    private func sumWorkerGradients() {
        let target = SharedPointer(model.arena.gradients.pointer)
        let sources = workerGradients.map { SharedPointer($0.pointer) }
        parallelFor(model.arena.count) { range in
            let offset = range.lowerBound
            if sources.count == 1 {
                (target.base + offset).update(from: sources[0].base + offset, count: range.count)
                return
            }
            vk_add(sources[0].base + offset, sources[1].base + offset, target.base + offset, range.count)
            for source in sources.dropFirst(2) {
                vk_add_into(target.base + offset, source.base + offset, range.count)
            }
        }
    }

    /// Broadcasts rank 0's parameters, optimizer state and step to every rank.
    private func synchronizeState(step: Int) throws -> Int {
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

    private func saveCheckpoint(step: Int, since: Int, learningRate: Float) throws {
        let info = CheckpointInfo(
            step: step, epoch: step / stepsPerEpoch, learningRate: learningRate, stepsSincePrevious: since,
            batchSize: config.training.batchSize, trainCount: data.train.count, worldSize: communicator.size,
            config: config.yaml)
        try Checkpoint.save(
            run.checkpointPath(step: step), arena: model.arena, optimizer: optimizer, seed: config.seed,
            info: info)
    }

    /// Reconstructions (originals above their reconstructions) and prior samples as PNG grids.
    private func writeImages(epoch: Int) throws {
        let images = ImageGrids(model: model, config: config)
        try images.reconstructions(data.test, count: 16).write(
            to: "\(run.imagesPath)/reconstructions-epoch-\(epoch).png")
        try images.samples(count: 64).write(to: "\(run.imagesPath)/samples-epoch-\(epoch).png")
    }

    private func rate(since start: ContinuousClock.Instant, steps: Int) -> Double {
        let duration = ContinuousClock.now - start
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
        return Double(steps * config.training.batchSize) / max(seconds, 1e-9)
    }
}

/// A running mean of doubles.
struct RunningMean {
    private(set) var sum: Double = 0
    private(set) var count = 0
    mutating func add(_ value: Double) {
        sum += value
        count += 1
    }
    var mean: Double { count == 0 ? .nan : sum / Double(count) }
}

func format(_ value: Double) -> String { String(format: "%.3f", value) }
