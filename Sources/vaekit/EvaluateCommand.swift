// `vaekit evaluate`: a checkpoint's test −ELBO and IWAE negative log-likelihood (and, on request,
// representation metrics).

import ArgumentParser
import Experiments
import Foundation
import Models
import Runs
import Storage
import TensorCore

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
        let loaded = try LoadedRun(checkpointFile: checkpoint)
        let (config, data, model) = (loaded.config, loaded.data, try loaded.model)
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
            representationJSON =
                ", \"active_units\": \(metrics.activeUnits), \"mutual_information\": "
                + "\(jsonNumber(metrics.mutualInformation)), \"linear_probe_accuracy\": "
                + jsonNumber(metrics.linearProbeAccuracy)
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
            // JSON has no NaN or infinity: a value that is not finite is written as null.
            let text =
                "{\"count\": \(result.count), \"neg_elbo\": \(jsonNumber(result.negativeELBO)), "
                + "\"iwae_samples\": \(samples), \"nll\": \(jsonNumber(nll)), "
                + "\"bits_per_dim\": \(jsonNumber(result.bitsPerDimension ?? .nan))\(representationJSON)}\n"
            try AtomicFile.write(text, to: json)
        }
    }
}

/// A JSON number with six decimals, or `null` when `value` is NaN or infinite (JSON has neither).
func jsonNumber(_ value: Double) -> String { value.isFinite ? String(format: "%.6f", value) : "null" }
