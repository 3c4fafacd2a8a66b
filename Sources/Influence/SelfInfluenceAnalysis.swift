// The VAE-TracIn paper's readings of self-influence and proponents (Kong & Chaudhuri 2021, §5):
// does self-influence track the training loss (examples the model fits worst are the most
// self-influential), and do proponents have large latent norms ‖μ‖? Per training example, at the
// run's newest checkpoint: the −ELBO (fixed evaluation draws of the `train` split) and ‖μ‖;
// Spearman correlations with self-influence; and the mean ‖μ‖ of the query's top-10 proponents
// against all training examples'.

import Autodiff
import Datasets
import Foundation
import Models
import NN
import Runs
import Storage
import TensorCore

/// `self-influence-analysis.json`.
public struct SelfInfluenceAnalysis: Codable, Sendable, VersionedJSON {
    /// The format this build writes and reads; another is refused by name.
    public static let currentFormat = "vaekit-self-influence-analysis-1"
    /// `currentFormat`.
    public var format = Self.currentFormat
    /// The checkpoint the losses and latents were taken at.
    public var checkpoint: Int
    /// Training examples.
    public var count: Int
    /// Spearman(self-influence, −ELBO) over the training examples.
    public var spearmanLoss: Double
    /// Spearman(self-influence, ‖μ‖).
    public var spearmanLatentNorm: Double
    /// Mean ‖μ‖ over all training examples.
    public var meanLatentNorm: Double
    /// Mean ‖μ‖ of the top-10 proponents of the queries in influence.json (nil without a query).
    public var meanProponentLatentNorm: Double?
    /// The score those proponents were ranked by.
    public var proponentScore: String?
    /// Every training example's −ELBO (nats), by index.
    public var losses: [Float]
    /// Every training example's ‖μ‖, by index.
    public var latentNorms: [Float]
}

extension SelfInfluenceAnalysis {
    /// Analyses `run`'s self-influence.json (and influence.json when present); writes
    /// `self-influence-analysis.json`.
    public static func analyse(_ run: RunDirectory) throws -> SelfInfluenceAnalysis {
        let selfPath = "\(run.path)/self-influence.json"
        guard FileManager.default.fileExists(atPath: selfPath) else {
            throw StorageError.cannotOpen(
                path: selfPath,
                reason: "no self-influence (run `vaekit influence query --run \(run.path) --self`)")
        }
        let report = try AtomicFile.readJSON(SelfInfluenceReport.self, from: selfPath)
        let loaded = try LoadedRun(run)
        let (config, train, model) = (loaded.config, loaded.data.train, try loaded.model)
        guard report.values.count == train.count else {
            throw StorageError.invalid(
                path: selfPath, reason: "\(report.values.count) values for \(train.count) training examples")
        }
        var losses: [Float] = []
        var norms: [Float] = []
        var start = 0
        while start < train.count {
            let indices = Array(start..<min(start + 500, train.count))
            let (input, target) = config.batch(train, indices: indices, step: RunConfig.evaluationStep)
            let noise = config.evaluationDraws(train).normal(indices, count: model.latentCount)
            let pass = ForwardPass(arena: model.arena, trainable: false)
            let terms = model.elbo(input, target: target, noise: noise, pass)
            losses += terms.loss(beta: 1).value.scalars
            let (mean, _) = model.encode(Variable(input), ForwardPass(arena: model.arena, trainable: false))
            norms += mean.value.squared().sum(alongAxes: [1]).scalars.map { $0.squareRoot() }
            start += indices.count
        }
        var proponentNorm: Double?
        var score: String?
        if let influence = try? AtomicFile.readJSON(InfluenceReport.self, from: "\(run.path)/influence.json")
        {
            let indices = influence.tests.flatMap { $0.proponents.prefix(10).map(\.index) }.filter {
                $0 < norms.count
            }
            if !indices.isEmpty {
                proponentNorm = indices.reduce(0.0) { $0 + Double(norms[$1]) } / Double(indices.count)
                score = influence.score ?? "tracin"
            }
        }
        let analysis = SelfInfluenceAnalysis(
            checkpoint: loaded.checkpoint?.step ?? 0, count: train.count,
            spearmanLoss: spearmanCorrelation(report.values, losses),
            spearmanLatentNorm: spearmanCorrelation(report.values, norms),
            meanLatentNorm: norms.reduce(0.0) { $0 + Double($1) } / Double(max(norms.count, 1)),
            meanProponentLatentNorm: proponentNorm, proponentScore: score, losses: losses, latentNorms: norms)
        try AtomicFile.writeJSON(analysis, to: "\(run.path)/self-influence-analysis.json")
        return analysis
    }
}
