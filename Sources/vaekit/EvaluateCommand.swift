// `vaekit evaluate` and `vaekit sample`: a checkpoint's test likelihood and pictures.

import ArgumentParser
import Foundation
import Models
import Runs
import Storage
import TensorCore

/// Opens the run of a checkpoint with the config stored inside it.
func loadCheckpoint(_ path: String) throws -> (RunConfig, RunData, Models.VAE) {
    let run = try LoadedRun(checkpointFile: path)
    return (run.config, run.data, try run.model)
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

    @Flag(help: "Also: active units, I(x; z) and a linear probe's accuracy on the posterior means.")
    var representation = false

    @Option(help: "Training examples the linear probe is fitted on (with --representation).")
    var probeTrainCount = 10_000

    func run() throws {
        let (config, data, model) = try loadCheckpoint(checkpoint)
        setBLASThreadCount(config.training.blasThreads)
        let evaluator = Evaluator(model: model, config: config)
        var representationJSON = ""
        if representation {
            let testCount = (count ?? config.evaluation.count) > 0 ? (count ?? config.evaluation.count) : 2000
            let metrics = evaluator.representation(
                train: data.train, test: data.test, trainCount: probeTrainCount,
                testCount: min(testCount, 2000))
            print(
                String(
                    format:
                        "representation (%d test, probe on %d train): active units %d of %d, I(x;z) %.3f nats, "
                        + "linear-probe accuracy %.4f", metrics.testCount, metrics.probeTrainCount,
                    metrics.activeUnits, model.latentCount, metrics.mutualInformation,
                    metrics.linearProbeAccuracy))
            representationJSON = String(
                format:
                    ", \"active_units\": %d, \"mutual_information\": %.6f, \"linear_probe_accuracy\": %.6f",
                metrics.activeUnits, metrics.mutualInformation, metrics.linearProbeAccuracy)
        }
        let samples = samples ?? config.evaluation.iwaeSamples
        let started = ContinuousClock.now
        let result = evaluator.evaluate(
            data.test, count: count ?? config.evaluation.count, samples: samples,
            chunk: config.evaluation.iwaeChunk)
        let seconds = (ContinuousClock.now - started) / .seconds(1)
        let nll = result.negativeLogLikelihood ?? .nan
        print(
            String(
                format:
                    "test examples %d: −ELBO %.3f nats, IWAE (K=%d) NLL %.3f nats = %.4f bits/dim (%.0f s)",
                result.count, result.negativeELBO, samples, nll, result.bitsPerDimension ?? .nan, seconds))
        if let json {
            let text = String(
                format:
                    "{\"count\": %d, \"neg_elbo\": %.6f, \"iwae_samples\": %d, \"nll\": %.6f, \"bits_per_dim\": %.6f%@}\n",
                result.count, result.negativeELBO, samples, nll, result.bitsPerDimension ?? .nan,
                representationJSON)
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

struct InvariancesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "invariances",
        abstract: "Supervised VAE: keep z_s, resample z_n; label preservation, test accuracy, image grid.")

    @Option(help: "Checkpoint of a supervised VAE.")
    var checkpoint: String

    @Option(help: "Test examples scored.")
    var count = 1000

    @Option(help: "z_n draws per example.")
    var draws = 8

    @Option(help: "Examples shown in the grid (one row each: reconstruction, then the draws).")
    var rows = 8

    @Option(help: "Output PNG grid.")
    var output = "invariances.png"

    @Option(help: "Write the metrics as JSON to this file.")
    var json: String?

    func run() throws {
        let (config, data, model) = try loadCheckpoint(checkpoint)
        guard model.supervisedLatentCount != nil else {
            throw ValidationError("\(checkpoint): not a supervised VAE (objective \(model.objective.name))")
        }
        guard count >= 1, draws >= 1, rows >= 1 else {
            throw ValidationError("--count, --draws, --rows must be ≥ 1")
        }
        let evaluator = Evaluator(model: model, config: config)
        let (metrics, images) = evaluator.invariances(data.test, count: count, draws: draws, gridCount: rows)
        let (c, h, w) = (model.imageShape[0], model.imageShape[1], model.imageShape[2])
        let grid = imageGrid(
            images.scalars, count: images.shape[0], channels: c, height: h, width: w, columns: draws + 1)
        try grid.write(to: output)
        print(
            String(
                format:
                    "test accuracy %.4f (%d examples); label kept by the classifier in %.4f of %d resampled z_n; "
                    + "grid %@", metrics.testAccuracy, metrics.testCount, metrics.labelPreservation,
                metrics.testCount * metrics.draws, output))
        if let json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try AtomicFile.write(Array(try encoder.encode(metrics)), to: json)
        }
    }
}
