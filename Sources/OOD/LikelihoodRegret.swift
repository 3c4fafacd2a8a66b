// Likelihood Regret (Xiao, Yan, Amit, NeurIPS 2020), as the official compute_LR.py does it:
// refit a copy of the trained encoder to the one test example (decoder frozen) with Adam
// (lr 2e-4, betas 0.9/0.999, weight decay 5e-5 as L2 on the gradient) for 100 steps of the
// single-sample negative ELBO, then regret = NLL_before − NLL_after, both by IWAE.
// Batched: B test examples are refitted at once as B independent encoder copies — the encoder's
// parameters get a leading batch axis, so every layer runs as batched GEMMs, and one Adam over
// the copies' flat buffer keeps a separate state per copy (Adam is elementwise).

import Autodiff
import Datasets
import Models
import NN
import Runs
import Synchronization
import TensorCore

/// Settings of the refit and of the likelihood estimates.
public struct RegretSettings: Equatable, Sendable {
    /// Adam steps of the refit.
    public var steps = 100
    /// Adam's learning rate.
    public var learningRate: Float = 2e-4
    /// Adam's L2 weight decay.
    public var weightDecay: Float = 5e-5
    /// Importance samples of both IWAE estimates.
    public var importanceSamples = 1000
    /// Samples decoded at once per example (at most; see `decodedRowsPerChunk`).
    public var chunk = 100
    /// Decoder rows per IWAE chunk over a batch: chunks shrink as batches grow, keeping the
    /// decoder's activations cache-sized (measured: 200 rows run ~2.5× faster per image than 1,600;
    /// with the 256-way decoder 50 rows ~2× faster than 200). Nil: 200, or 50 for the 256-way decoder.
    public var decodedRowsPerChunk: Int?
    /// Test examples refitted together. One: each copy's encoder, its Adam moments and its
    /// gradient (9 MB for the DCGAN VAE) stay in cache through the 100 steps; measured on 2 cores
    /// (bench/ood_regret_batch.sh) batches of 1 are faster than 4, 8 and 32, with either decoder.
    public var batchSize = 1
    /// In-process workers, each refitting its own part of the examples (give each 1 BLAS thread).
    public var workers = 1

    /// The official code's settings.
    public init() {}

    /// Importance samples decoded at once per example when `batch` examples are estimated
    /// together: the decoder's rows per chunk shared out, at most `chunk` each.
    public func samplesPerChunk(batch: Int, likelihood: Likelihood) -> Int {
        let rows = decodedRowsPerChunk ?? (likelihood == .categorical256 ? 50 : 200)
        return max(1, min(chunk, rows / max(batch, 1)))
    }
}

/// One example's scores (nats).
public struct RegretScore: Equatable, Sendable, Codable {
    /// Index in its set.
    public var index: Int
    /// IWAE −log p̂(x) with the trained encoder.
    public var negativeLogLikelihoodBefore: Double
    /// IWAE −log p̂(x) with the refitted encoder.
    public var negativeLogLikelihoodAfter: Double
    /// Before − after.
    public var regret: Double { negativeLogLikelihoodBefore - negativeLogLikelihoodAfter }
}

/// The refit's loss trajectories: each example's single-sample −ELBO (nats) at every step, in
/// step order, for comparing the refit step by step with a reference.
public final class RegretTrace: Sendable {
    private let losses = Mutex([Int: [Double]]())

    /// An empty trace.
    public init() {}

    /// The losses of example `index` of the traced set, one per refit step.
    public func losses(of index: Int) -> [Double] { losses.withLock { $0[index] ?? [] } }

    func record(_ indices: [Int], losses values: [Float]) {
        losses.withLock { table in
            for (index, value) in zip(indices, values) { table[index, default: []].append(Double(value)) }
        }
    }
}

/// Computes Likelihood Regret for a trained model.
public struct LikelihoodRegret {
    /// The trained model (left unchanged).
    public var model: VAE
    /// Its run config (data handling, seed).
    public var config: RunConfig
    /// Settings.
    public var settings: RegretSettings
    /// Receives every refit step's single-sample loss when set.
    public var trace: RegretTrace?
    /// Receives the thread-seconds by phase (`IWAE estimates`, `copies`, `forward`, `backward`,
    /// `Adam`: the refit is all but the first) and, when detailed, the refit's forward by layer and
    /// its backward by op.
    public var profile: StepProfile?

    /// A regret computer.
    public init(model: VAE, config: RunConfig, settings: RegretSettings) {
        self.model = model
        self.config = config
        self.settings = settings
    }

    /// The encoder's parameters: the first entries of the arena (they are registered first).
    var encoderEntries: [Int] {
        let indices = model.arena.entries.indices.filter {
            model.arena.entries[$0].name.hasPrefix("encoder.")
        }
        precondition(
            indices == Array(0..<indices.count), "the encoder's parameters must come first in the arena")
        return indices
    }

    /// Elements of the encoder prefix.
    var encoderElementCount: Int {
        encoderEntries.last.map { model.arena.entries[$0].offset + model.arena.entries[$0].count } ?? 0
    }

    /// ε of refit step `step` for the examples `indices` of `set`: `[B, Z]`.
    public func noise(_ set: ImageDataset, _ indices: [Int], step: Int) -> Tensor {
        Draws(seed: config.seed, .likelihoodRegret, step: UInt64(step), split: set.drawSplit)
            .normal(indices, count: model.latentCount)
    }

    /// Scores of the examples `indices` of `set`, refitted in batches of independent copies; the
    /// examples are split into contiguous parts, one per worker thread.
    /// `onBatch` is told how many examples each finished batch held (from any worker thread).
    public func scores(_ set: ImageDataset, indices: [Int], onBatch: (@Sendable (Int) -> Void)? = nil)
        -> [RegretScore]
    {
        let parts = max(1, min(settings.workers, indices.count))
        if parts == 1 { return workerScores(set, indices: indices, onBatch: onBatch) }
        var results = [[RegretScore]](repeating: [], count: parts)
        let shared = UncheckedBox((self, set))
        results.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            let output = SharedPointer(base)
            runWorkers(parts) { part in
                let range = (part * indices.count / parts)..<((part + 1) * indices.count / parts)
                output.base[part] = shared.value.0.workerScores(
                    shared.value.1, indices: Array(indices[range]), onBatch: onBatch)
            }
        }
        return results.flatMap { $0 }
    }

    private func workerScores(_ set: ImageDataset, indices: [Int], onBatch: (@Sendable (Int) -> Void)?)
        -> [RegretScore]
    {
        var result: [RegretScore] = []
        var start = 0
        while start < indices.count {
            let batch = Array(indices[start..<min(start + settings.batchSize, indices.count)])
            result += batchScores(set, indices: batch)
            start += batch.count
            onBatch?(batch.count)
        }
        return result
    }

    private func batchScores(_ set: ImageDataset, indices: [Int]) -> [RegretScore] {
        let batch = indices.count
        let chunk = settings.samplesPerChunk(batch: batch, likelihood: model.likelihood)
        let clock = ContinuousClock()
        let started = clock.now
        let (input, target) = config.batch(set, indices: indices, step: RunConfig.evaluationStep)
        let before = model.importanceWeightedLogLikelihood(
            input, target: target, indices: indices, samples: settings.importanceSamples,
            chunk: chunk, draws: config.evaluationDraws(set))
        profile?.phases.add("IWAE estimates", clock.now - started)
        let phases = profile?.phases
        // B copies of the encoder: parameters [B] + shape, in one arena of their own.
        var builder = ParameterArenaBuilder(seed: 0)
        for index in encoderEntries {
            let entry = model.arena.entries[index]
            var value = model.arena.value(ParameterID(index: index))
            // Convolution weights are kept in the kernel-row layout the per-example GEMMs read
            // ([Cout, k, k, Cin]); Adam is elementwise, so the layout does not change the refit.
            if LikelihoodRegret.isKernel(entry.shape) { value = value.permuted([0, 2, 3, 1]) }
            _ = builder.register(
                entry.name, value.reshaped(to: [1] + value.shape).broadcast(to: [batch] + value.shape))
        }
        let copies = TimeProfile.measure("copies", in: phases) { builder.build() }
        let adam = Adam(weightDecay: settings.weightDecay)
        // One pass for every step (the frozen decoder's weight layouts are derived once), its
        // encoder parameters rebound to the copies' current values at each step.
        let pass = ForwardPass(arena: model.arena, trainable: false)
        pass.profile = profile?.layers
        for step in 0..<settings.steps {
            let variables = bind(copies, to: pass, requiringGradients: true)
            let losses = TimeProfile.measure("forward", in: phases) {
                model.elbo(input, target: target, noise: noise(set, indices, step: step), pass).loss(beta: 1)
            }
            trace?.record(indices, losses: losses.value.scalars)
            // Σ of independent per-example losses: copy b's gradient sees example b only.
            let gradients = TimeProfile.measure("backward", in: phases) {
                Autodiff.gradients(
                    of: losses.sum(), wrt: variables, releasingGraph: true, profile: profile?.operations)
            }
            // On this thread: the workers already fill the cores.
            TimeProfile.measure("Adam", in: phases) {
                adam.step(copies, learningRate: settings.learningRate, gradients: gradients.map(\.value))
            }
        }
        let estimated = clock.now
        let after = model.importanceWeightedLogLikelihood(
            input, target: target, indices: indices, samples: settings.importanceSamples,
            chunk: chunk, draws: config.evaluationDraws(set),
            pass: {
                let pass = ForwardPass(arena: model.arena, trainable: false)
                _ = bind(copies, to: pass, requiringGradients: false)
                return pass
            }())
        profile?.phases.add("IWAE estimates", clock.now - estimated)
        return indices.enumerated().map { row, index in
            RegretScore(
                index: index, negativeLogLikelihoodBefore: -Double(before[flat: row]),
                negativeLogLikelihoodAfter: -Double(after[flat: row]))
        }
    }

    /// Makes `pass`'s encoder parameters the copies' (as they are now) and returns them.
    private func bind(_ copies: ParameterArena, to pass: ForwardPass, requiringGradients: Bool) -> [Variable]
    {
        let variables = encoderEntries.map { index in
            Variable(copies.value(ParameterID(index: index)), requiresGradient: requiringGradients)
        }
        for (index, variable) in zip(encoderEntries, variables) {
            if LikelihoodRegret.isKernel(model.arena.entries[index].shape) {
                pass.override(ParameterID(index: index), withKernelRows: variable)
            } else {
                pass.override(ParameterID(index: index), with: variable)
            }
        }
        return variables
    }

    /// Whether an encoder parameter of this shape is a convolution weight `[Cout, Cin, k, k]`.
    static func isKernel(_ shape: [Int]) -> Bool { shape.count == 4 }

    /// The reference path: one example at a time, a full copy of the model, Adam on the encoder
    /// prefix only (the official loop's structure).
    public func scoresOneAtATime(_ set: ImageDataset, indices: [Int]) throws -> [RegretScore] {
        try indices.map { index in
            let (input, target) = config.batch(set, indices: [index], step: RunConfig.evaluationStep)
            let copy = try config.makeModel(imageShape: model.imageShape)
            copy.arena.load(flatValues: model.arena.flatValues())
            let before = copy.importanceWeightedLogLikelihood(
                input, target: target, indices: [index], samples: settings.importanceSamples,
                chunk: settings.chunk, draws: config.evaluationDraws(set))
            let adam = Adam(weightDecay: settings.weightDecay)
            let encoder = encoderElementCount
            for step in 0..<settings.steps {
                let pass = ForwardPass(arena: copy.arena)
                let terms = copy.elbo(input, target: target, noise: noise(set, [index], step: step), pass)
                pass.backward(terms.loss(beta: 1).sum())
                adam.step(copy.arena, learningRate: settings.learningRate, elements: encoder)
            }
            let after = copy.importanceWeightedLogLikelihood(
                input, target: target, indices: [index], samples: settings.importanceSamples,
                chunk: settings.chunk, draws: config.evaluationDraws(set))
            return RegretScore(
                index: index, negativeLogLikelihoodBefore: -Double(before.scalar),
                negativeLogLikelihoodAfter: -Double(after.scalar))
        }
    }
}
