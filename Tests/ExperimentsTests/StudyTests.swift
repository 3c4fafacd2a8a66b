// Studies end to end on tiny data: every (setting, seed) trained and measured, the summary's
// cells and tests, a second call reusing measured runs, an unfinished run resumed, bad designs
// refused; and the Jacobian measure on Jacobians whose structure is known.

import Datasets
import Foundation
import Runs
import Storage
import TensorCore
import Testing
import VAEKitTestSupport

@testable import Experiments

@Suite struct StudyTests {
    /// A folder with 8×8 training and test sets and a config file over them.
    func makeStudy(_ name: String = #function) throws -> Study {
        let folder = makeTestFolder(name)
        try SyntheticImages.noise(count: 128, channels: 1, height: 8, width: 8, seed: 1).write(
            to: "\(folder)/train.h5")
        try SyntheticImages.constant(count: 48, channels: 1, height: 8, width: 8, seed: 2).write(
            to: "\(folder)/test.h5")
        try """
        name: tiny-study
        seed: 1
        data:
          train: train.h5
          test: test.h5
          binarization: dynamic
        model:
          latent: 3
          hidden: [12]
        training:
          epochs: 2
          batch_size: 32
          evaluation_count: 16
          blas_threads: 1
        """.write(toFile: "\(folder)/config.yaml", atomically: true, encoding: .utf8)
        var study = Study(
            name: "tiny", configFile: "\(folder)/config.yaml",
            settings: [
                StudySetting("beta-1", ["training.beta=1"]), StudySetting("beta-3", ["training.beta=3"]),
            ],
            seeds: [1, 2], measures: [.likelihood, .representation, .jacobian], folder: "\(folder)/study")
        study.measureSettings.importanceSamples = 5
        study.measureSettings.likelihoodCount = 16
        study.measureSettings.representationCount = 16
        study.measureSettings.probeTrainCount = 32
        study.measureSettings.jacobianCount = 4
        study.showsProgress = false
        study.log = { _ in }
        study.command = "vaekit experiment study (test)"
        return study
    }

    @Test func trainsMeasuresAndSummarizesEveryRun() throws {
        let study = try makeStudy()
        let result = try study.run()
        for setting in study.settings {
            for seed in study.seeds {
                let run = study.runFolder(setting, seed: seed)
                #expect(run.latestCheckpoint != nil)
                let record = try AtomicFile.readJSON(StudyRun.self, from: "\(run.path)/study-run.json")
                #expect(record.setting == setting.name && record.seed == seed)
                for key in ["nll", "neg_elbo", "active_units", "jacobian_l1", "train_loss"] {
                    #expect(record.values[key]?.isFinite == true, "\(key) in \(run.path)")
                }
                // The noise images have no labels: the probe's accuracy is recorded as NaN.
                #expect(record.values["linear_probe_accuracy"]?.isNaN == true)
            }
        }
        // The summary as written equals the one returned; cells hold every seed's value in order.
        let written = try AtomicFile.readJSON(StudyResult.self, from: "\(study.folder)/study.json")
        #expect(written.quantities.map(\.name) == result.quantities.map(\.name))
        let baseline = try #require(result.cell("nll", "beta-1"))
        let other = try #require(result.cell("nll", "beta-3"))
        #expect(baseline.values.count == 2 && other.values.count == 2)
        #expect(baseline.welch == nil)
        let welch = try #require(other.welch)
        #expect(abs(welch.difference - (other.summary.mean - baseline.summary.mean)) < 1e-9)
        let first = try AtomicFile.readJSON(
            StudyRun.self, from: "\(study.runFolder(study.settings[1], seed: 1).path)/study-run.json")
        #expect(other.values[0] == first.values["nll"])
        // Different seeds train different models.
        #expect(baseline.values[0] != baseline.values[1])
        let table = try String(contentsOfFile: "\(study.folder)/study.txt", encoding: .utf8)
        #expect(table.hasPrefix("vaekit experiment study (test)\n"))
        #expect(table.contains("nll") && table.contains("beta-3"))
        #expect(table.contains("per seed (1, 2):"))
    }

    @Test func aSecondCallReusesMeasuredRunsAndResumesUnfinishedOnes() throws {
        let study = try makeStudy()
        let first = try study.run()
        let run = study.runFolder(study.settings[0], seed: 2)
        let checkpoint = try #require(run.latestCheckpoint)
        let modified =
            try FileManager.default.attributesOfItem(atPath: checkpoint)[.modificationDate] as? Date
        // Measured runs are read back, not retrained.
        let second = try study.run()
        #expect(
            try FileManager.default.attributesOfItem(atPath: checkpoint)[.modificationDate] as? Date
                == modified)
        #expect(second.cell("nll", "beta-1")?.values == first.cell("nll", "beta-1")?.values)
        // A run whose measurements are missing resumes from its checkpoint (nothing left to train)
        // and measures the same values again.
        try FileManager.default.removeItem(atPath: "\(run.path)/study-run.json")
        let third = try study.run()
        #expect(third.cell("nll", "beta-1")?.values == first.cell("nll", "beta-1")?.values)
        #expect(third.cell("jacobian_l1", "beta-1")?.values == first.cell("jacobian_l1", "beta-1")?.values)
        // The same folder asked for another design: refused, not mixed into one summary.
        var changed = study
        changed.overrides = ["training.epochs=1"]
        #expect(throws: ConfigError.self) { try changed.run() }
    }

    @Test func badDesignsAreRefused() throws {
        var study = try makeStudy()
        study.settings = [StudySetting("same", []), StudySetting("same", ["training.beta=2"])]
        #expect(throws: ConfigError.self) { try study.run() }
        study.settings = [StudySetting("../escape", [])]
        #expect(throws: ConfigError.self) { try study.run() }
        study.settings = [StudySetting("ok", [])]
        study.seeds = []
        #expect(throws: ConfigError.self) { try study.run() }
        study.seeds = [1]
        study.measures = [.invariances]
        // The invariances need a supervised VAE: refused by name after training.
        #expect(throws: ConfigError.self) { try study.run() }
    }

    @Test func jacobianStructureOfKnownJacobians() {
        // Z = 2, B = 1, a 4×4 image: latent 0 moves one pixel by 2, latent 1 every pixel by 0.5.
        var values = [Float](repeating: 0, count: 32)
        values[5] = -2
        for p in 16..<32 { values[p] = 0.5 }
        let structure = JacobianStructure(
            jacobian: Tensor(shape: [2, 1, 16], scalars: values), height: 4, width: 4)
        #expect(abs(structure.l1 - 10) < 1e-12)
        // 90 % of 10 is 2 plus 14 of the 0.5 entries: 15 of 32 entries.
        #expect(abs(structure.massFraction90 - 15.0 / 32) < 1e-12)
        // Latent 0: spread 0; latent 1: √(2 · Var{0, ¼, ½, ¾}) = √(2 · 0.078125); weighted by mass 2 : 8.
        #expect(abs(structure.pixelSpread - 0.8 * (2 * 0.078125).squareRoot()) < 1e-12)
        let combined = JacobianStructure(combining: [
            structure, JacobianStructure(l1: 0, massFraction90: 0, pixelSpread: 0, count: 3),
        ])
        #expect(combined.count == 4 && abs(combined.l1 - 2.5) < 1e-12)
    }
}
