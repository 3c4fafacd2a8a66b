// The training loop (single process or one rank of several): sampler → batch → objective →
// backward into per-worker gradient buffers → their sum → all-reduce → optional clipping →
// optimizer step at the schedule's rate; metrics, images and checkpoints on the way. Every draw
// is keyed by (seed, purpose, step, split, example), so resuming from a checkpoint continues
// exactly as the uninterrupted run. `train` reads as its three steps: start (fresh or resumed),
// epochs, finish.

import Autodiff
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
    /// The run: config, data, folder, ranks.
    public let loaded: LoadedRun
    /// The model.
    public let model: VAE
    /// Its optimizer.
    public let optimizer: any Optimizer
    /// The learning rate of every step, from the config's base rate.
    public let schedule: LearningRateSchedule
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
    /// Receives every step's time by phase, layer and op when set.
    public var profile: StepProfile?
    /// One gradient buffer per in-process worker.
    let workerGradients: [TensorStorage]
    /// Seconds this rank spent in its steps' forward and backward passes (workers and their sum),
    /// and waiting in their gradient all-reduces (transfer plus waiting for the slowest rank),
    /// since this invocation started.
    var stepSeconds = (compute: 0.0, allReduce: 0.0)
    /// The reproducible reduction's accumulators (`training.reproducible_reduction`).
    var fixedPoint: FixedPointGradients?
    /// The overlapped all-reduce's buckets (`training.overlap_allreduce`).
    var buckets: BucketPlan?

    /// The config.
    public var config: RunConfig { loaded.config }
    /// The data.
    public var data: RunData { loaded.data }
    /// The run's folder.
    public var run: RunDirectory { loaded.directory }
    /// The ranks training together.
    public var communicator: any Communicator { loaded.communicator }

    /// Prepares a run: loads data, builds the model, the optimizer and the schedule.
    public init(config: RunConfig, run: RunDirectory, communicator: any Communicator = LocalCommunicator())
        throws
    {
        loaded = try LoadedRun(config: config, directory: run, communicator: communicator)
        model = try loaded.model
        if case .supervised(let settings, _) = model.objective,
            let label = loaded.data.train.labels.first(where: { $0 < 0 || $0 >= settings.classes })
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
        let stepsPerEpoch = loaded.data.train.count / config.training.batchSize
        schedule = config.makeSchedule(totalSteps: stepsPerEpoch * config.training.epochs)
        setBLASThreadCount(config.training.blasThreads)
        elementwiseThreadCount = config.training.workers
    }

    /// Whether this process writes checkpoints, metrics and images (rank 0 only).
    var writes: Bool { writesFiles && communicator.isCoordinator }

    /// Steps per epoch.
    public var stepsPerEpoch: Int { data.train.count / config.training.batchSize }
    /// Steps of the whole run.
    public var totalSteps: Int { stepsPerEpoch * config.training.epochs }

    /// Trains from scratch (`resume: false`, refusing an existing run) or from the newest
    /// checkpoint of the run folder.
    @discardableResult
    public func train(resume: Bool) throws -> TrainingSummary {
        var state = try start(resume: resume)
        while state.step < state.lastStep { try trainEpoch(&state) }
        return try finish(state)
    }

    /// Where a training invocation stands.
    struct State {
        var step: Int
        let firstStep: Int
        let lastStep: Int
        var lastCheckpointStep: Int
        /// The rate of the last step taken (the schedule's first rate before any).
        var learningRate: Float
        let metrics: MetricsLog
        let progress: ProgressDisplay
        let sampler: ShuffleSampler
        let started: ContinuousClock.Instant
        let startedAt: String
        let resumed: Bool
        var summary: TrainingSummary
    }

    /// Refuses a run folder this training must not write into: nothing to resume, checkpoints
    /// without `resume`, or an existing folder that is not a VAEKit run. Call it before writing
    /// anything into the folder.
    public func checkFolder(resume: Bool) throws {
        if resume {
            guard run.latestCheckpoint != nil else {
                throw ConfigError.mismatch("\(run.path): nothing to resume (no checkpoints)")
            }
        } else if !run.checkpointSteps().isEmpty {
            throw ConfigError.mismatch(
                "\(run.path) already holds checkpoints; pass --resume to continue it or choose another --run folder"
            )
        } else if let entries = run.foreignEntries() {
            let shown = entries.prefix(5).joined(separator: ", ") + (entries.count > 5 ? ", …" : "")
            throw ConfigError.mismatch(
                "\(run.path) exists and is not a VAEKit run folder (it holds \(shown)); choose another --run folder"
            )
        }
    }

    /// Opens the run folder (fresh, or resumed from its newest checkpoint on rank 0), brings
    /// every rank to rank 0's parameters, optimizer state and step, and opens the metrics log.
    func start(resume: Bool) throws -> State {
        var step = 0
        if communicator.isCoordinator {
            try checkFolder(resume: resume)
            if resume {
                step = try loaded.load(.newest, optimizer: optimizer)?.step ?? 0
                log("resuming \(run.path) from \(loaded.checkpointPath ?? "") (step \(step))")
            }
            try run.create()
            for folder in [run.path, run.checkpointsPath] {
                for name in AtomicFile.removeAbandoned(in: folder) {
                    log("removed \(folder)/\(name), half-written by an interrupted process")
                }
            }
            try AtomicFile.write(config.yaml, to: run.configPath)
        }
        step = try synchronizeState(step: step)
        if let stop = stopAfterStep, stop <= step {
            throw TrainingError.alreadyPast(maxSteps: stop, step: step)
        }
        let lastStep = min(stopAfterStep ?? totalSteps, totalSteps)
        return State(
            step: step, firstStep: step, lastStep: lastStep, lastCheckpointStep: step,
            learningRate: schedule.rate(step: step),
            metrics: writes
                ? try MetricsLog(
                    path: run.metricsPath, truncate: !resume, keepingThrough: resume ? step : nil)
                : MetricsLog(),
            progress: ProgressDisplay(
                total: lastStep, startingAt: step, label: "train",
                enabled: showsProgress && communicator.isCoordinator),
            sampler: ShuffleSampler(
                count: data.train.count, batchSize: config.training.batchSize, seed: config.seed),
            started: ContinuousClock.now, startedAt: timestampNow(), resumed: resume,
            summary: TrainingSummary(steps: step, finalLoss: .nan, examplesPerSecond: 0, checkpoint: ""))
    }

    /// The steps of the current epoch up to its end or the last step, its checkpoints, and its
    /// record (with a test evaluation and image grids when the epoch is complete and due).
    func trainEpoch(_ state: inout State) throws {
        let epoch = state.step / stepsPerEpoch
        let permutation = state.sampler.permutation(epoch: epoch)
        let end = min((epoch + 1) * stepsPerEpoch, state.lastStep)
        var loss = RunningMean()
        var reconstruction = RunningMean()
        var kl = RunningMean()
        var extra = RunningMean()
        while state.step < end {
            let indices = state.sampler.batch(permutation, step: state.step % stepsPerEpoch)
            let terms = try trainStep(indices: indices, step: state.step)
            state.learningRate = terms.learningRate
            loss.add(terms.loss)
            reconstruction.add(terms.reconstruction)
            kl.add(terms.kl)
            extra.add(terms.extra)
            state.step += 1
            onStep?(state.step)
            state.progress.update(
                done: state.step, unitsPerItem: config.training.batchSize,
                message: "loss \(format(terms.loss))")
            let every = config.training.checkpointEvery
            if writes && every > 0 && state.step % every == 0 && state.step < state.lastStep {
                try saveCheckpoint(&state)
            }
        }
        guard writesFiles else { return }
        var record: [String: Double] = [
            "epoch": Double(state.step / stepsPerEpoch), "step": Double(state.step),
            "learning_rate": Double(state.learningRate),
            "train_loss": loss.mean, "train_reconstruction": reconstruction.mean, "train_kl": kl.mean,
            // The steps the means cover: fewer than an epoch's when the epoch was resumed.
            "train_steps": Double(loss.count),
            "examples_per_second": rate(since: state.started, steps: state.step - state.firstStep),
        ]
        if let name = model.objective.extraTermName { record["train_\(name)"] = extra.mean }
        let complete = state.step % stepsPerEpoch == 0
        let completedEpoch = state.step / stepsPerEpoch
        let every = config.training.evaluateEvery
        if complete && every > 0 && completedEpoch % every == 0 {
            let value = try Evaluator(model: model, config: config).negativeELBO(
                data.test, count: config.training.evaluationCount, communicator: communicator)
            record["test_neg_elbo"] = value
            state.summary.testNegativeELBO = value
            if writes { try writeImages(epoch: completedEpoch) }
        }
        if writes { try state.metrics.append(record) }
        if communicator.isCoordinator {
            log(
                "epoch \(completedEpoch) step \(state.step): loss \(format(loss.mean)) "
                    + (record["test_neg_elbo"].map { "test −ELBO \(format($0))" } ?? ""))
        }
        state.summary.finalLoss = loss.mean
    }

    /// The final checkpoint and this invocation's record in `training.json`.
    func finish(_ state: State) throws -> TrainingSummary {
        var state = state
        if writes && (state.step > state.lastCheckpointStep || run.latestCheckpoint == nil) {
            try saveCheckpoint(&state)
        }
        var summary = state.summary
        summary.steps = state.step
        summary.examplesPerSecond = rate(since: state.started, steps: state.step - state.firstStep)
        summary.checkpoint = run.checkpointPath(step: state.step)
        // A resumed run that was already complete took no step: nothing to record.
        if writes && state.step > state.firstStep { try recordSession(state, completed: true) }
        return summary
    }

    /// This invocation's record in `training.json`, as of `state` (rewritten at every checkpoint,
    /// so that an interrupted invocation keeps its record).
    private func recordSession(_ state: State, completed: Bool) throws {
        let summary = state.summary
        try run.recordTrainingSession(
            TrainingSession(
                started: state.startedAt, wallSeconds: (ContinuousClock.now - state.started) / .seconds(1),
                ranks: communicator.size, workersPerRank: workerGradients.count, firstStep: state.firstStep,
                lastStep: state.step,
                examplesPerSecond: rate(since: state.started, steps: state.step - state.firstStep),
                finalTrainLoss: summary.finalLoss.isNaN ? nil : summary.finalLoss,
                testNegativeELBO: summary.testNegativeELBO, host: hostName(), completed: completed,
                computeSeconds: stepSeconds.compute, allReduceSeconds: stepSeconds.allReduce,
                blasCore: blasCoreName, peakResidentMiB: peakResidentMiB()),
            fresh: !state.resumed)
    }

    private func saveCheckpoint(_ state: inout State) throws {
        let info = CheckpointInfo(
            step: state.step, epoch: state.step / stepsPerEpoch, learningRate: state.learningRate,
            stepsSincePrevious: state.step - state.lastCheckpointStep, batchSize: config.training.batchSize,
            trainCount: data.train.count, worldSize: communicator.size, config: config.yaml)
        try Checkpoint.save(
            run.checkpointPath(step: state.step), arena: model.arena, optimizer: optimizer, seed: config.seed,
            info: info)
        state.lastCheckpointStep = state.step
        if state.step < state.lastStep { try recordSession(state, completed: false) }
    }

    /// Reconstructions (originals above their reconstructions) and prior samples as PNG grids.
    private func writeImages(epoch: Int) throws {
        let images = ImageGrids(model: model, config: config)
        try images.reconstructions(data.test, count: 16).write(
            to: "\(run.imagesPath)/reconstructions-epoch-\(epoch).png")
        try images.samples(count: 64).write(to: "\(run.imagesPath)/samples-epoch-\(epoch).png")
    }

    private func rate(since start: ContinuousClock.Instant, steps: Int) -> Double {
        Double(steps * config.training.batchSize) / max((ContinuousClock.now - start) / .seconds(1), 1e-9)
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
