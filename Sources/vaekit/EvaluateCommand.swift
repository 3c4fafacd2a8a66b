// `vaekit evaluate` and `vaekit sample`: a checkpoint's test likelihood and pictures.

import ArgumentParser
import Foundation
import Models
import Runs
import Storage
import TensorCore

/// Loads a checkpoint with the config stored inside it.
func loadCheckpoint(_ path: String, overrides: [String] = []) throws -> (RunConfig, RunData, Models.VAE) {
    let info = try Checkpoint.info(path)
    let config = try RunConfig.parse(info.config, path: "\(path) (stored config)", overrides: overrides)
    let data = try RunData.load(config)
    let model = try config.makeModel(imageShape: data.imageShape)
    try Checkpoint.load(path, into: model.arena)
    return (config, data, model)
}

struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Test negative ELBO and IWAE negative log-likelihood of a checkpoint.")

    @Option(help: "Checkpoint file.")
    var checkpoint: String

    @Option(help: "Importance samples K (default: the config's evaluation.iwae_samples).")
    var samples: Int?

    @Option(help: "Test examples (0 = all; default: the config's evaluation.count).")
    var count: Int?

    @Option(help: "Write the result as JSON to this file.")
    var json: String?

    func run() throws {
        let (config, data, model) = try loadCheckpoint(checkpoint)
        setBLASThreadCount(config.training.blasThreads)
        let evaluator = Evaluator(model: model, config: config)
        let samples = samples ?? config.evaluation.iwaeSamples
        let started = ContinuousClock.now
        let result = evaluator.evaluate(
            data.test, count: count ?? config.evaluation.count, samples: samples,
            chunk: config.evaluation.iwaeChunk)
        let seconds = Double((ContinuousClock.now - started).components.seconds)
        let nll = result.negativeLogLikelihood ?? .nan
        print(
            String(
                format:
                    "test examples %d: −ELBO %.3f nats, IWAE (K=%d) NLL %.3f nats = %.4f bits/dim (%.0f s)",
                result.count, result.negativeELBO, samples, nll, result.bitsPerDimension ?? .nan, seconds))
        if let json {
            let text = String(
                format:
                    "{\"count\": %d, \"neg_elbo\": %.6f, \"iwae_samples\": %d, \"nll\": %.6f, \"bits_per_dim\": %.6f}\n",
                result.count, result.negativeELBO, samples, nll, result.bitsPerDimension ?? .nan)
            try AtomicFile.write(text, to: json)
        }
    }
}

struct SampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample", abstract: "Decode draws from the prior into a PNG grid.")

    @Option(help: "Checkpoint file.")
    var checkpoint: String

    @Option(help: "Number of samples.")
    var count = 64

    @Option(help: "Seed of the prior draws.")
    var seed: UInt64 = 1

    @Option(help: "Output PNG.")
    var output = "samples.png"

    func run() throws {
        let (config, _, model) = try loadCheckpoint(checkpoint)
        try ImageGrids(model: model, config: config).samples(count: count, seed: seed).write(to: output)
        print("wrote \(output)")
    }
}
