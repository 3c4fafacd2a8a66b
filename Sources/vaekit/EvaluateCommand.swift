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

    @Option(
        help: ArgumentHelp(
            "Evaluate on this dataset file instead of the run's test set (a VAEKit HDF5 file).",
            valueName: "file"))
    var data: String?

    @Option(
        name: .customLong("set"),
        help: "Override a key of the checkpoint's config, e.g. --set data.test_limit=0 (repeatable).")
    var overrides: [String] = []

    @Flag(help: "Also: active units, I(x; z) and a linear probe's accuracy on the posterior means.")
    var representation = false

    @Option(help: "Training examples the linear probe is fitted on (with --representation).")
    var probeTrainCount = 10_000

    @Flag(help: "No progress display.")
    var quiet = false

    func run() throws {
        let overrides = overrides + (data.map { ["data.test=\($0)"] } ?? [])
        let loaded = try LoadedRun(checkpointFile: checkpoint, overrides: overrides)
        let (config, data, model) = (loaded.config, loaded.data, try loaded.model)
        setBLASThreadCount(config.training.blasThreads)
        print("evaluating \(checkpoint) on \(config.data.test) (OpenBLAS \(blasCoreName))")
        let evaluator = Evaluator(model: model, config: config)
        var record = EvaluationRecord()
        if representation {
            let testCount = (count ?? config.evaluation.count) > 0 ? (count ?? config.evaluation.count) : 2000
            let metrics = evaluator.representation(
                train: data.train, test: data.test, trainCount: probeTrainCount,
                testCount: min(testCount, 2000))
            print(
                String(
                    format:
                        "representation (%d test, probe on %d train): active units %d of %d, I(x;z) %.3f nats "
                        + "(this estimator's ceiling ln n = %.3f), linear-probe accuracy %.4f",
                    metrics.testCount,
                    metrics.probeTrainCount, metrics.activeUnits, model.latentCount,
                    metrics.mutualInformation,
                    metrics.mutualInformationCeiling, metrics.linearProbeAccuracy))
            record.activeUnits = metrics.activeUnits
            record.mutualInformation = metrics.mutualInformation
            record.mutualInformationCeiling = metrics.mutualInformationCeiling
            record.linearProbeAccuracy = metrics.linearProbeAccuracy
        }
        let samples = samples ?? config.evaluation.iwaeSamples
        let started = ContinuousClock.now
        let total = Evaluator.examples(count ?? config.evaluation.count, of: data.test)
        let display = ProgressDisplay(total: total, label: "IWAE K=\(samples)", unit: "img", enabled: !quiet)
        let result = evaluator.evaluate(
            data.test, count: count ?? config.evaluation.count, samples: samples,
            chunk: config.evaluation.iwaeChunk
        ) { done, _ in display.update(done: done) }
        let seconds = (ContinuousClock.now - started) / .seconds(1)
        let nll = result.negativeLogLikelihood ?? .nan
        print(
            String(
                format:
                    "test examples %d: −ELBO %.3f nats, IWAE (K=%d) NLL %.3f nats = %.4f bits/dim (%.0f s, %@)",
                result.count, result.negativeELBO, samples, nll, result.bitsPerDimension ?? .nan, seconds,
                peakMemoryText()))
        if let json {
            (record.count, record.negELBO, record.iwaeSamples) = (result.count, result.negativeELBO, samples)
            (record.nll, record.bitsPerDim) = (nll, result.bitsPerDimension ?? .nan)
            record.data = config.data.test
            record.checkpoint = checkpoint
            try AtomicFile.writeJSON(record, to: json)
        }
    }
}

/// `vaekit evaluate --json`: snake_case keys as every VAEKit JSON file; the representation
/// metrics only with `--representation`.
struct EvaluationRecord: Encodable {
    var checkpoint = ""
    var data = ""
    var count = 0
    var negELBO = 0.0
    var iwaeSamples = 0
    var nll = 0.0
    var bitsPerDim = 0.0
    var activeUnits: Int?
    var mutualInformation: Double?
    var mutualInformationCeiling: Double?
    var linearProbeAccuracy: Double?
}
