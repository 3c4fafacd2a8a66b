// VAE-TracIn on a small trained model: factor-mode scores against brute-force dot products of
// dense gradients from batch-of-one backward passes, the modes against each other, the
// projection's rank correlation with exact scores, self-influence, and the self-retrieval check.

import Autodiff
import Cluster
import Datasets
import Foundation
import Influence
import Models
import NN
import Runs
import Storage
import TensorCore
import Testing
import Training
import VAEKitTestSupport

/// A trained run over 400 generated images with 3 checkpoints, shared by the tests.
final class TrainedRun: @unchecked Sendable {
    static let shared = TrainedRun()
    let run: RunDirectory
    let config: RunConfig
    let data: RunData

    init() {
        // Blobs: noise images of two brightness classes so that examples differ.
        let bright = SyntheticImages.noise(count: 200, channels: 1, height: 6, width: 6, seed: 1)
        let dark = SyntheticImages.constant(count: 200, channels: 1, height: 6, width: 6, seed: 2)
        let train = ImageDataset(
            images: bright.images + dark.images, labels: (0..<400).map { Int64($0 % 7) }, channels: 1,
            height: 6, width: 6, source: "blobs", split: "train")
        let text = """
            name: influence
            seed: 3
            model:
              latent: 3
              hidden: [12]
              activation: softplus
            training:
              epochs: 3
              batch_size: 40
              optimizer: sgd
              learning_rate: 0.01
              checkpoint_every: 10
              evaluation_count: 40
            """
        do {
            let tiny = try TinyRun("influence", train: train, test: dark, yaml: text)
            (config, run) = (tiny.config, tiny.directory())
            data = try RunData.load(config)
            try tiny.trainer().train(resume: false)
        } catch {
            fatalError("the influence fixture failed: \(error)")
        }
    }

    func model(at step: Int) throws -> VAE {
        let model = try config.makeModel(imageShape: data.imageShape)
        try Checkpoint.load(run.checkpointPath(step: step), into: model.arena)
        return model
    }

    /// The dense gradient of training example `index`'s loss from a batch-of-one backward pass,
    /// with the draws the index uses (split `train`) or a query uses (`query:train`).
    func batchOfOneGradient(
        _ model: VAE, step: Int, index: Int, samples: Int, split: DrawSplit = .train
    ) -> Tensor {
        let replicated = [Int](repeating: index, count: samples)
        let set = data.train.withDrawSplit(split)
        let (input, target) = config.batch(set, indices: replicated, step: RunConfig.evaluationStep)
        let noise = Draws(seed: config.seed, .influence, step: UInt64(step), split: split).generator(index)
            .normal([samples * model.latentCount]).reshaped(to: [samples, model.latentCount])
        let pass = ForwardPass(arena: model.arena)
        let terms = model.elbo(input, target: target, noise: noise, pass)
        pass.backward(terms.loss(beta: config.training.beta).sum() * (1 / Float(samples)))
        return model.arena.flatGradients()
    }
}

func spearman(_ a: [Float], _ b: [Float]) -> Double {
    func ranks(_ values: [Float]) -> [Double] {
        var result = [Double](repeating: 0, count: values.count)
        for (rank, index) in values.indices.sorted(by: { values[$0] < values[$1] }).enumerated() {
            result[index] = Double(rank)
        }
        return result
    }
    let (x, y) = (ranks(a), ranks(b))
    let mean = Double(a.count - 1) / 2
    let covariance = zip(x, y).reduce(0) { $0 + ($1.0 - mean) * ($1.1 - mean) }
    let variance = x.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
    return covariance / variance
}

@Suite(.serialized) struct InfluenceTests {
    let trained = TrainedRun.shared

    @Test func factorDotProductsEqualBatchOfOneGradients() throws {
        #expect(trained.run.checkpointSteps() == [10, 20, 30])
        let model = try trained.model(at: 20)
        var settings = InfluenceSettings()
        settings.mode = .factors
        settings.samples = 3
        settings.batchSize = 5  // batches of 5 examples × 3 draws
        let computer = GradientComputer(
            model: model, config: trained.config, settings: settings, checkpointStep: 20)
        let train = Array(0..<9) + [200, 201, 399]
        let gradients = computer.gradients(trained.data.train, indices: train)
        // The encoder runs once per example (one position per example), the decoder per draw.
        for factor in gradients.factors {
            let positions = factor.inputs.shape[1]
            #expect(positions == (factor.layer.hasPrefix("encoder") ? 1 : 3), "\(factor.layer): \(positions)")
        }
        let factored = gradients.dotProducts(with: gradients)
        let dense = train.map { trained.batchOfOneGradient(model, step: 20, index: $0, samples: 3) }
        var worst: Float = 0
        for (i, gi) in dense.enumerated() {
            for (j, gj) in dense.enumerated() {
                let exact = (gi * gj).sum()
                let error = abs(factored[flat: i * train.count + j] - exact) / max(1e-3, abs(exact))
                worst = max(worst, error)
            }
        }
        #expect(worst < 1e-3, "worst relative error \(worst)")
        // Dense mode reproduces the batch-of-one gradients themselves.
        settings.mode = .dense
        let denseMode = GradientComputer(
            model: model, config: trained.config, settings: settings, checkpointStep: 20
        )
        .gradients(trained.data.train, indices: train)
        let vectors = try #require(denseMode.vectors)
        for (row, gradient) in dense.enumerated() {
            let stored = vectors.slice(alongAxis: 0, start: row, length: 1).reshaped(to: [gradient.count])
            let difference = (stored - gradient).abs().max(alongAxis: 0).scalar
            #expect(difference <= 1e-4 * max(1, gradient.abs().max(alongAxis: 0).scalar))
        }
        // Squared norms (self-influence at one checkpoint).
        let norms = gradients.squaredNorms()
        for (row, gradient) in dense.enumerated() {
            let exact = (gradient * gradient).sum()
            #expect(abs(norms[row] - exact) <= 1e-3 * exact)
        }
    }

    @Test func projectedDotProductsAreUnbiasedEstimatesOfExactOnes() throws {
        // E⟨S(G), S(G')⟩ = ⟨G, G'⟩ for the TensorSketch S: the mean over projection seeds converges
        // to the exact dot products. (The rank correlation at the default size on the MLP VAE is
        // checked end to end in Tests/cli/cli-tests.sh with `vaekit bench projection`.)
        let model = try trained.model(at: 30)
        var settings = InfluenceSettings()
        settings.samples = 2
        settings.mode = .factors
        let examples = [3, 150, 250, 390]
        let exact = GradientComputer(
            model: model, config: trained.config, settings: settings, checkpointStep: 30
        )
        .gradients(trained.data.train, indices: examples)
        let exactGram = exact.dotProducts(with: exact)
        settings.mode = .projected
        settings.projectionDimension = 32
        var mean = Tensor.zeros([examples.count, examples.count])
        let seeds = 64
        for seed in 0..<seeds {
            settings.projectionSeed = UInt64(1000 + seed)
            let projected = GradientComputer(
                model: model, config: trained.config, settings: settings, checkpointStep: 30
            )
            .gradients(trained.data.train, indices: examples)
            mean = mean + projected.dotProducts(with: projected) * (1 / Float(seeds))
        }
        for i in 0..<examples.count {
            let scale = (exactGram[flat: i * examples.count + i]).squareRoot()
            for j in 0..<examples.count {
                let other = (exactGram[flat: j * examples.count + j]).squareRoot()
                let error = abs(mean[flat: i * examples.count + j] - exactGram[flat: i * examples.count + j])
                // A sketch's variance is at most about 4‖G‖²‖G'‖²/D (TensorSketch of degree 2), so
                // the standard error of a 64-seed mean is ‖G‖‖G'‖·√(4/D)/8; allow 3σ.
                #expect(error <= 3 * scale * other * (4.0 / 32.0).squareRoot() / 8, "pair (\(i), \(j))")
            }
        }
        // Projections are regenerated from the seed: the same seed gives the same vectors.
        settings.projectionSeed = 5
        let first = GradientComputer(
            model: model, config: trained.config, settings: settings, checkpointStep: 30
        )
        .gradients(trained.data.train, indices: examples)
        let second = GradientComputer(
            model: model, config: trained.config, settings: settings, checkpointStep: 30
        )
        .gradients(trained.data.train, indices: examples)
        #expect(first.vectors?.scalars == second.vectors?.scalars)
    }

    @Test(arguments: [
        ["objective.anneal_steps=100"],
        ["objective.kind=supervised", "objective.supervised_latents=1", "objective.classifier_hidden=4"],
    ])
    func gradientsAreThoseOfTheRunsOwnObjective(_ overrides: [String]) throws {
        let config = try RunConfig.parse(
            "seed: 3\nmodel:\n  latent: 3\n  hidden: [12]\n  activation: softplus\ntraining:\n  beta: 2\n",
            path: "objective.yaml", overrides: overrides)
        let model = try config.makeModel(imageShape: [1, 6, 6])
        var settings = InfluenceSettings()
        settings.mode = .factors
        settings.samples = 2
        let step = 25
        let examples = [0, 5, 250]
        let train = trained.data.train
        let factored = GradientComputer(
            model: model, config: config, settings: settings, checkpointStep: step
        )
        .gradients(train, indices: examples)
        let gram = factored.dotProducts(with: factored)
        // Batch-of-one backward passes of the same loss: the objective at the step's annealing.
        let dense = examples.map { index -> Tensor in
            let replicated = [index, index]
            let (input, target) = config.batch(train, indices: replicated, step: RunConfig.evaluationStep)
            let noise = Draws(seed: config.seed, .influence, step: UInt64(step), split: .train).generator(
                index
            )
            .normal([2 * model.latentCount]).reshaped(to: [2, model.latentCount])
            var batch = ObjectiveBatch(input: input, target: target, noise: noise)
            batch.annealing = config.annealing(step: step)
            batch.labels = replicated.map { Int(train.labels[$0]) }
            let pass = ForwardPass(arena: model.arena)
            pass.backward(model.objectiveTerms(batch, beta: config.training.beta, pass).loss.sum() * 0.5)
            return model.arena.flatGradients()
        }
        #expect(config.annealing(step: step) == (overrides[0].hasPrefix("objective.anneal") ? 0.25 : 1))
        for (i, gi) in dense.enumerated() {
            for (j, gj) in dense.enumerated() {
                let exact = (gi * gj).sum()
                let value = gram[flat: i * examples.count + j]
                #expect(abs(value - exact) <= 1e-3 * max(1e-3, abs(exact)), "pair (\(i), \(j))")
            }
        }
    }

    @Test func objectivesWithoutPerExampleCaptureAreRefusedByName() {
        for (objective, name) in [
            (VAEObjective.hamiltonian(HamiltonianSettings()), "hvae"),
            (.jacobianL1(gamma: 0.1, differenceStep: 1e-3), "jacobian_l1"),
            (.consistency(weight: 1), "consistency"),
        ] {
            do {
                try GradientComputer.checkSupported(objective)
                Issue.record("accepted \(name)")
            } catch {
                #expect("\(error)".contains("'\(name)'"))
            }
        }
        #expect(throws: Never.self) { try GradientComputer.checkSupported(.elbo) }
    }

    @Test func queriesAndSplitsDrawApart() throws {
        let model = try trained.model(at: 10)
        var settings = InfluenceSettings()
        settings.mode = .dense
        settings.samples = 2
        let computer = GradientComputer(
            model: model, config: trained.config, settings: settings, checkpointStep: 10)
        let train = trained.data.train
        let gradient = { (set: ImageDataset) in
            computer.gradients(set, indices: [3, 250]).vectors?.scalars ?? []
        }
        let indexed = gradient(train)
        let queried = gradient(train.withDrawSplit(DrawSplit.train.query))
        let asTest = gradient(train.withDrawSplit(.test))
        #expect(!indexed.isEmpty && indexed == gradient(train))
        #expect(indexed != queried)
        #expect(indexed != asTest)
        #expect(queried != asTest)
    }

    @Test func etaWeighsEachIndexedCheckpointByTheTrainingSinceThePreviousIndexedOne() throws {
        var settings = InfluenceSettings()
        settings.mode = .projected
        settings.samples = 1
        let builder = InfluenceIndexBuilder(
            run: trained.run, settings: settings, communicator: LocalCommunicator())
        builder.log = { _ in }
        builder.showsProgress = false
        builder.checkpointSteps = [30, 20]
        let manifest = try builder.build()
        // lr 0.01 × batch 40 × (20 − 0, then 30 − 20) steps / 400 examples.
        #expect(manifest.checkpoints.map(\.step) == [20, 30])
        #expect(abs(manifest.checkpoints[0].eta - 0.02) < 1e-9)
        #expect(abs(manifest.checkpoints[1].eta - 0.01) < 1e-9)
        builder.checkpointSteps = [20, 20]
        #expect(throws: ConfigError.self) { try builder.build() }
    }

    @Test func indexQueryAndSelfInfluenceThroughFiles() throws {
        var settings = InfluenceSettings()
        settings.mode = .factors
        settings.samples = 2
        let builder = InfluenceIndexBuilder(
            run: trained.run, settings: settings, communicator: LocalCommunicator())
        builder.log = { _ in }
        builder.showsProgress = false
        let manifest = try builder.build()
        #expect(manifest.checkpoints.map(\.step) == [10, 20, 30])
        // η_c = lr × batch × steps since the previous checkpoint / N = 0.01 × 40 × 10 / 400.
        for checkpoint in manifest.checkpoints { #expect(abs(checkpoint.eta - 0.01) < 1e-9) }
        let query = InfluenceQuery(run: trained.run, communicator: LocalCommunicator())
        query.log = { _ in }
        query.showsProgress = false
        let queried = Array(0..<40) + Array(200..<220)
        let results = try query.query(try ExampleSpec("train:0-39,200-219"), top: 3)
        #expect(results.map(\.index) == queried)
        // Self-retrieval with fresh query draws: TracIn's ⟨g, g'⟩ favours high-norm examples, so a
        // training example is not always its own top proponent (that needed the index's own draws),
        // but it ranks far above chance (median rank N/2 = 200).
        let wide = try query.query(try ExampleSpec("train:0-39,200-219"), top: 400)
        let ranks = wide.map { result in result.proponents.firstIndex { $0.index == result.index } ?? 400 }
            .sorted()
        #expect(ranks[ranks.count / 2] < 40, "median self rank \(ranks[ranks.count / 2]) of 400")
        for result in results {
            #expect(result.proponents.count == 3 && result.opponents.count == 3)
            #expect(result.proponents[0].score >= result.proponents[1].score)
            #expect(result.opponents[0].score <= result.opponents[1].score)
        }
        // Self-influence = Σ_c η_c ‖g_c‖², against batch-of-one gradients.
        let values = try query.selfInfluence()
        #expect(values.count == 400)
        for index in [0, 7, 250] {
            var expected: Float = 0
            for checkpoint in manifest.checkpoints {
                let gradient = trained.batchOfOneGradient(
                    try trained.model(at: checkpoint.step), step: checkpoint.step, index: index, samples: 2)
                expected += Float(checkpoint.eta) * (gradient * gradient).sum()
            }
            #expect(abs(values[index] - expected) <= 1e-3 * expected, "example \(index)")
        }
        // A queried training example draws afresh (the query role), so its score with itself in
        // influence.json is Σ_c η_c ⟨g_c(index draws), g_c(query draws)⟩, not its self-influence.
        let first = try #require(wide.first)
        var crossRole: Float = 0
        for checkpoint in manifest.checkpoints {
            let model = try trained.model(at: checkpoint.step)
            let indexed = trained.batchOfOneGradient(model, step: checkpoint.step, index: 0, samples: 2)
            let queried = trained.batchOfOneGradient(
                model, step: checkpoint.step, index: 0, samples: 2, split: DrawSplit.train.query)
            crossRole += Float(checkpoint.eta) * (indexed * queried).sum()
        }
        let selfScore = try #require(first.proponents.first { $0.index == 0 }).score
        #expect(abs(selfScore - crossRole) <= 1e-3 * abs(crossRole), "\(selfScore) vs \(crossRole)")
        #expect(abs(selfScore - values[0]) > 1e-3 * values[0], "the query reused the index's draws")
        // Bad specs are refused by name.
        #expect(throws: ConfigError.self) { try ExampleSpec("validation:1-3") }
        #expect(throws: ConfigError.self) { try query.query(try ExampleSpec("train:400"), top: 3) }
    }
}
