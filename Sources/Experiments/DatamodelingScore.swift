// Ground truth for influence by retraining: the linear datamodeling score (LDS; Park et al.,
// TRAK, 2023). Train on random subsets S_s of the training set (each a fraction of it, the same
// schedule in epochs), measure each test example's loss L_t(S_s) (IWAE −log p̂ with fixed draws),
// and correlate, across subsets, the loss with the sum of the subset members' influence scores
// from the model trained on all of it: LDS_t = Spearman_s(Σ_{i∈S_s} score(i, t), −L_t(S_s)), and
// the LDS is its mean over test examples. 1 is a perfect linear datamodel, 0 no information.
// Retrainings are spread over the ranks (subset s on rank s mod R).

import Cluster
import Datasets
import Foundation
import Influence
import Runs
import Storage
import TensorCore
import Training

/// Settings of a datamodeling-score experiment.
public struct DatamodelingSettings: Sendable {
    /// Training examples (the first ones of the config's training set).
    public var trainCount = 2000
    /// Test examples scored (the first ones of the test set).
    public var testCount = 50
    /// Random subsets, each retrained.
    public var subsets = 64
    /// Each subset's share of the training examples.
    public var fraction = 0.5
    /// Reparameterization draws S of the influence gradients.
    public var samples = 1
    /// Sketch size D of the projected scores.
    public var projectionDimension = 256
    /// Importance samples K of the test losses.
    public var importanceSamples = 100
    /// Folder for the full run and the subsets' data.
    public var folder = "runs/lds"

    /// Defaults: 2,000 training and 50 test examples, 64 half-subsets.
    public init() {}
}

/// The LDS of one score and gradient mode.
public struct DatamodelingResult: Codable, Sendable {
    /// tracin, cosine or relatif.
    public var score: String
    /// factors (exact) or projected.
    public var mode: String
    /// none, or adam (Adam's preconditioner; rank-1 per layer for factors and projections).
    public var preconditioner: String
    /// Mean over test examples of the per-example Spearman correlation.
    public var lds: Double
    /// Half-width of its 95 % confidence interval (1.96 standard errors over test examples).
    public var interval: Double
    /// The per-test-example correlations.
    public var perTest: [Double]
}

/// Runs the experiment; rank 0 returns the results.
public struct DatamodelingExperiment {
    /// The base config (its data, model and schedule).
    public var config: RunConfig
    /// Sizes.
    public var settings: DatamodelingSettings
    /// The ranks sharing the retrainings.
    public var communicator: any Communicator
    /// Messages from rank 0.
    public var log: (String) -> Void = { print($0) }

    /// An experiment over `config` (train limit and checkpoints are set from `settings`).
    public init(config: RunConfig, settings: DatamodelingSettings, communicator: any Communicator) {
        self.config = config
        self.settings = settings
        self.communicator = communicator
    }

    /// Trains the full model (rank 0), scores, retrains the subsets (all ranks), and correlates.
    public func run() throws -> [DatamodelingResult] {
        var full = config
        full.data.trainLimit = settings.trainCount
        full.training.evaluateEvery = 0
        full.training.checkpointEvery = max(1, settings.trainCount / full.training.batchSize)
        let fullRun = RunDirectory("\(settings.folder)/full")
        if communicator.isCoordinator {
            try makeDirectories(settings.folder)
            if fullRun.latestCheckpoint == nil {
                let trainer = try Trainer(config: full, run: fullRun)
                trainer.showsProgress = false
                trainer.log = { _ in }
                try trainer.train(resume: false)
            }
        }
        try communicator.barrier()
        let loaded = try LoadedRun(fullRun, checkpoint: .none)
        let (train, test) = (loaded.data.train, loaded.data.test)
        let testIndices = Array(0..<min(settings.testCount, test.count))
        let n = train.count
        // Every subset's members, the same on every rank.
        let size = Int((settings.fraction * Double(n)).rounded())
        let members = (0..<settings.subsets).map { subset -> [Int] in
            let draws = Draws(seed: config.seed, .datamodelSubsets, step: UInt64(subset), split: .train)
                .generator(0).uniform([n]).scalars
            return Array(draws.indices.sorted { (draws[$0], $0) < (draws[$1], $1) }.prefix(size)).sorted()
        }
        // Test losses of this rank's retrainings.
        var losses: [[Float]] = []
        for subset in stride(from: communicator.rank, to: settings.subsets, by: communicator.size) {
            losses.append(
                try subsetLosses(
                    full, train: train, members: members[subset], subset: subset, tests: testIndices))
            if communicator.isCoordinator {
                log("subset \(subset + 1) of \(settings.subsets) retrained (rank 0's share)")
            }
        }
        let gathered = try communicator.gatherBytes(Array(try JSONEncoder().encode(losses)), root: 0)
        guard let gathered else { return [] }
        var bySubset = [[Float]](repeating: [], count: settings.subsets)
        for (rank, part) in gathered.enumerated() {
            for (position, values) in try JSONDecoder().decode([[Float]].self, from: Data(part)).enumerated()
            {
                bySubset[rank + position * communicator.size] = values
            }
        }
        // Scores of the full model, exact and projected, without and (Adam-trained runs) with
        // Adam's preconditioner.
        var results: [DatamodelingResult] = []
        let preconditioners: [InfluencePreconditioner] =
            full.training.optimizer == .adam ? [.none, .adam] : [.none]
        for preconditioner in preconditioners {
            for mode in [GradientMode.factors, .projected] {
                let sums = try scoreSums(
                    loaded, mode: mode, preconditioner: preconditioner, tests: testIndices)
                results += correlate(
                    sums, mode: mode, preconditioner: preconditioner, members: members, losses: bySubset)
            }
        }
        return results
    }

    /// Each score's LDS from the score sums and the subsets' test losses.
    private func correlate(
        _ sums: InfluenceScoreSums, mode: GradientMode, preconditioner: InfluencePreconditioner,
        members: [[Int]],
        losses bySubset: [[Float]]
    ) -> [DatamodelingResult] {
        InfluenceScore.allCases.map { score in
            let perTest = (0..<sums.tests).map { t -> Double in
                let scores = sums.scores(test: t, score)
                let predicted = members.map { subset in subset.reduce(Float(0)) { $0 + scores[$1] } }
                return spearmanCorrelation(predicted, bySubset.map { -$0[t] })
            }
            let mean = perTest.reduce(0, +) / Double(perTest.count)
            let variance =
                perTest.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(max(perTest.count - 1, 1))
            return DatamodelingResult(
                score: score.rawValue, mode: mode.rawValue, preconditioner: preconditioner.rawValue,
                lds: mean,
                interval: 1.96 * (variance / Double(perTest.count)).squareRoot(), perTest: perTest)
        }
    }

    /// Trains on the subset's members with the full run's schedule (in epochs) and returns each
    /// test example's IWAE −log p̂.
    private func subsetLosses(
        _ full: RunConfig, train: ImageDataset, members: [Int], subset: Int, tests: [Int]
    ) throws -> [Float] {
        var config = full
        let path = "\(settings.folder)/subset-\(subset).h5"
        let folder = "\(settings.folder)/subset-\(subset)"
        try train.subset(members).write(to: path)
        defer {
            try? FileManager.default.removeItem(atPath: path)
            try? FileManager.default.removeItem(atPath: folder)
        }
        config.data.train = path
        config.data.trainLimit = 0
        config.training.checkpointEvery = 0
        let trainer = try Trainer(config: config, run: RunDirectory(folder))
        trainer.showsProgress = false
        trainer.writesFiles = false
        trainer.log = { _ in }
        try trainer.train(resume: false)
        let evaluator = Evaluator(model: trainer.model, config: config)
        return evaluator.logLikelihoods(
            trainer.data.test, indices: tests, samples: settings.importanceSamples,
            chunk: min(100, settings.importanceSamples)
        ).map { -$0 }
    }

    /// Σ_c η_c ⟨g_c(x), g_c(z)⟩ and self-influence of the full model, over its checkpoints.
    private func scoreSums(
        _ loaded: LoadedRun, mode: GradientMode, preconditioner: InfluencePreconditioner, tests: [Int]
    ) throws -> InfluenceScoreSums {
        var settings = InfluenceSettings()
        settings.mode = mode
        settings.samples = self.settings.samples
        settings.projectionDimension = self.settings.projectionDimension
        let (train, test) = (loaded.data.train, loaded.data.test)
        let queries = test.withDrawSplit(DrawSplit.test.query)
        var sums = InfluenceScoreSums(tests: tests.count, train: train.count)
        var previous = 0
        for step in loaded.directory.checkpointSteps() {
            let adam = try loaded.preconditioner(preconditioner, step: step)
            guard let info = loaded.checkpoint else { continue }
            let eta = info.learningRate * Float(info.batchSize * (step - previous)) / Float(train.count)
            previous = step
            var computer = GradientComputer(
                model: try loaded.model, config: loaded.config, settings: settings, checkpointStep: step)
            computer.preconditioner = adam
            let testGradients = computer.gradients(queries, indices: tests)
            sums.addTest(testGradients.squaredNorms(), eta: eta)
            let gradients = computer.gradients(train, indices: Array(0..<train.count))
            sums.addTrain(
                gradients.dotProducts(with: testGradients), norms: gradients.squaredNorms(), first: 0,
                eta: eta)
        }
        return sums
    }
}
