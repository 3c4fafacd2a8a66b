// Likelihood Regret: the batched refit of independent encoder copies equals the one-at-a-time
// loop, and regret separates uniform noise from Fashion-MNIST on a briefly trained model.

import Datasets
import Foundation
import Models
import Runs
import TensorCore
import Testing
import Training
import VAEKitTestSupport

@testable import OOD

/// A briefly trained MLP VAE on 2,000 Fashion-MNIST images (Debian's dataset-fashion-mnist).
final class FashionRun: @unchecked Sendable {
    static let shared = FashionRun()
    let config: RunConfig
    let model: VAE
    let test: ImageDataset

    init() {
        let text = """
            name: regret
            seed: 5
            model:
              latent: 8
              hidden: [128]
            training:
              epochs: 10
              batch_size: 50
              learning_rate: 0.003
              evaluate_every: 0
            """
        do {
            let (train, test) = try TinyRun.fashionMNIST(train: 2000, test: 40)
            let tiny = try TinyRun("regret", train: train, test: test, yaml: text)
            let trainer = try tiny.trainer()
            try trainer.train(resume: false)
            (config, model, self.test) = (tiny.config, trainer.model, trainer.data.test)
        } catch {
            fatalError("the Fashion-MNIST fixture failed: \(error)")
        }
    }
}

@Suite(.serialized) struct LikelihoodRegretTests {
    @Test func batchedRefitEqualsOneAtATimeLoop() throws {
        let run = FashionRun.shared
        let model = run.model
        let test = run.test
        var settings = RegretSettings()
        settings.steps = 20
        settings.importanceSamples = 30
        settings.chunk = 10
        settings.batchSize = 3  // 5 examples: one batch of 3 and one of 2
        let regret = LikelihoodRegret(model: model, config: run.config, settings: settings)
        let indices = [0, 7, 13, 21, 39]
        let batched = regret.scores(test, indices: indices)
        let loop = try regret.scoresOneAtATime(test, indices: indices)
        #expect(batched.map(\.index) == indices)
        for (a, b) in zip(batched, loop) {
            #expect(
                abs(a.negativeLogLikelihoodBefore - b.negativeLogLikelihoodBefore) <= 1e-4
                    * b.negativeLogLikelihoodBefore)
            #expect(
                abs(a.negativeLogLikelihoodAfter - b.negativeLogLikelihoodAfter) <= 1e-4
                    * b.negativeLogLikelihoodAfter)
        }
    }

    @Test func refitDrawsDifferBetweenSplits() throws {
        let run = FashionRun.shared
        let model = run.model
        let test = run.test
        var settings = RegretSettings()
        settings.steps = 5
        settings.importanceSamples = 10
        settings.chunk = 10
        let regret = LikelihoodRegret(model: model, config: run.config, settings: settings)
        // The same images as another split (an OOD set named by the runner, a training set).
        let other = test.withDrawSplit(DrawSplit("ood:copy"))
        #expect(regret.noise(test, [0, 1], step: 2).scalars != regret.noise(other, [0, 1], step: 2).scalars)
        #expect(regret.noise(test, [0, 1], step: 2).scalars == regret.noise(test, [0, 1], step: 2).scalars)
        let a = regret.scores(test, indices: [0, 1])
        let b = regret.scores(other, indices: [0, 1])
        #expect(a.map(\.negativeLogLikelihoodBefore) != b.map(\.negativeLogLikelihoodBefore))
        #expect(a.map(\.regret) != b.map(\.regret))
    }

    @Test func regretSeparatesNoiseFromFashionMNIST() throws {
        let run = FashionRun.shared
        let model = run.model
        let test = run.test
        var settings = RegretSettings()
        settings.importanceSamples = 50
        settings.chunk = 25
        settings.batchSize = 20
        let regret = LikelihoodRegret(model: model, config: run.config, settings: settings)
        let noise = SyntheticImages.noise(count: 20, channels: 1, height: 28, width: 28, seed: 11)
        let inScores = regret.scores(test, indices: Array(0..<20)).map(\.regret)
        let outScores = regret.scores(noise, indices: Array(0..<20)).map(\.regret)
        let metrics = try DetectionMetrics(inDistribution: inScores, outOfDistribution: outScores)
        #expect(metrics.auroc >= 0.99, "AUROC \(metrics.auroc)")
    }
}
