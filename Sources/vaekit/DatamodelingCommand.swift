// `vaekit experiment lds`: the linear datamodeling score of every influence score, exact and
// projected, by retraining on random subsets of a small training set (retrainings spread over
// the ranks under mpirun).

import ArgumentParser
import Experiments
import Foundation
import Runs
import Storage

struct DatamodelingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lds",
        abstract: "Linear datamodeling score of the influence scores, by retraining on random subsets.")

    @Option(help: "The run config (YAML): data, model and schedule of every training.")
    var config: String

    @Option(name: .customLong("set"), help: "Override a config key (repeatable).")
    var overrides: [String] = []

    @Option(help: "Training examples (the first ones).")
    var train = 2000

    @Option(help: "Test examples whose losses are predicted (the first ones).")
    var tests = 50

    @Option(help: "Random subsets, each retrained.")
    var subsets = 64

    @Option(help: "Each subset's share of the training examples.")
    var fraction = 0.5

    @Option(help: "Reparameterization draws S of the influence gradients.")
    var samples = 1

    @Option(help: "Importance samples K of the test losses.")
    var iwaeSamples = 100

    @Option(help: "Folder for the full run and the subsets' data.")
    var folder = "runs/lds"

    @Option(help: "Write the results as JSON here.")
    var json: String?

    func run() throws {
        guard train >= 2, tests >= 1, subsets >= 3, fraction > 0, fraction < 1, samples >= 1, iwaeSamples >= 1
        else {
            throw ValidationError(
                "--train ≥ 2, --tests ≥ 1, --subsets ≥ 3, 0 < --fraction < 1, --samples and --iwae-samples ≥ 1"
            )
        }
        try withRanks(blasThreads: .one) { communicator in
            var base = try RunConfig.load(config, overrides: overrides)
            // Several ranks on one machine: one worker thread each.
            if communicator.size > 1 { base.training.workers = 1 }
            var settings = DatamodelingSettings()
            settings.trainCount = train
            settings.testCount = tests
            settings.subsets = subsets
            settings.fraction = fraction
            settings.samples = samples
            settings.importanceSamples = iwaeSamples
            settings.folder = folder
            var experiment = DatamodelingExperiment(
                config: base, settings: settings, communicator: communicator)
            experiment.log = { communicator.isCoordinator ? print($0) : () }
            let results = try experiment.run()
            guard communicator.isCoordinator else { return }
            print(
                "linear datamodeling score: \(train) training × \(tests) test examples, \(subsets) subsets of "
                    + "\(Int((fraction * 100).rounded())) %, S = \(samples), mean ± 95 % CI over test examples"
            )
            for result in results {
                print(
                    String(
                        format: "  %@ %@ %@ LDS %.3f ± %.3f", result.score.padding(8),
                        result.mode.padding(10),
                        ("precondition " + result.preconditioner).padding(18), result.lds, result.interval))
            }
            if let json { try AtomicFile.writeJSON(results, to: json) }
        }
    }
}
