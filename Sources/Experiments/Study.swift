// A study: one config trained under several settings (each a list of config overrides) and
// several seeds, every run measured the same way, and each measured quantity summarized per
// setting (mean, 95 % interval over seeds) and tested against the first setting, the baseline
// (Welch's t with its degrees of freedom). Runs train on all ranks like `vaekit train`; a study
// that was interrupted continues where it stopped: measured runs are read back, an unfinished
// run resumes from its newest checkpoint.
//
// Folder layout: <folder>/<setting>/seed-<s>/ is a run folder (config.yaml, checkpoints,
// metrics.jsonl) with its measurements in study-run.json; <folder>/study.json and study.txt hold
// the summary.

import Cluster
import Datasets
import Foundation
import Models
import Runs
import Storage
import Training

/// One arm of a study.
public struct StudySetting: Codable, Sendable, Equatable {
    /// Folder-safe name, e.g. `gamma-0.1`.
    public var name: String
    /// Config overrides (`key=value`) that make this setting.
    public var overrides: [String]

    /// A setting named `name` made by `overrides`.
    public init(_ name: String, _ overrides: [String]) {
        self.name = name
        self.overrides = overrides
    }
}

/// What is measured on each trained run.
public enum StudyMeasure: String, Codable, Sendable, CaseIterable {
    /// Test −ELBO and IWAE NLL (`nll`, `neg_elbo`).
    case likelihood
    /// Active units, I(x; z) with its ceiling, linear-probe accuracy.
    case representation
    /// The supervised VAE's label preservation, its control, z_n's active units and diversity.
    case invariances
    /// Local MIG and local modularity on three-dots, at each locality.
    case disentanglement
    /// Σ|J|, sparsity and per-latent pixel spread of the decoder Jacobian.
    case jacobian
}

/// How much of the test set each measure uses.
public struct StudyMeasureSettings: Codable, Sendable {
    /// IWAE samples K for the NLL.
    public var importanceSamples = 1000
    /// Test images for the NLL and −ELBO.
    public var likelihoodCount = 1000
    /// Test images for the representation metrics.
    public var representationCount = 2000
    /// Training images the linear probe is fitted on.
    public var probeTrainCount = 10_000
    /// Test images for the invariance rates.
    public var invarianceCount = 2000
    /// z_n draws per image for the invariance rates.
    public var invarianceDraws = 8
    /// Local-disentanglement centroids.
    public var clusters = 20
    /// Factor vectors drawn around each centroid.
    public var clusterSamples = 10_000
    /// Localities (fractions of each factor's range) of the local metrics.
    public var localities: [Double] = [0.1, 1.0]
    /// Test images whose decoder Jacobian is measured.
    public var jacobianCount = 100

    /// The defaults above.
    public init() {}
}

/// One trained and measured run of a study (`study-run.json` in its folder).
struct StudyRun: Codable, Sendable, VersionedJSON {
    static let currentFormat = "vaekit-study-run-2"
    var format = Self.currentFormat
    var setting: String
    var seed: Int
    /// The config overrides the run was trained with: the study's, the setting's, the seed.
    var overrides: [String]
    /// Measured values by name (`nll`, `linear_probe_accuracy`, `train_jacobian_l1`, …).
    var values: [String: Double]
    /// Wall-clock seconds of training and of measuring.
    var trainingSeconds: Double
    var measuringSeconds: Double
}

/// A study's design and where it writes.
public struct Study {
    /// The study's name (the results' title).
    public var name: String
    /// The config every run starts from and overrides applied to every run.
    public var configFile: String
    /// Overrides (`key=value`) applied to every run before its setting's.
    public var overrides: [String] = []
    /// The arms; the first is the baseline the others are tested against.
    public var settings: [StudySetting]
    /// The config `seed` of each run of a setting.
    public var seeds: [Int]
    /// What is measured on every run.
    public var measures: [StudyMeasure]
    /// How much data each measure uses.
    public var measureSettings = StudyMeasureSettings()
    /// The study's folder.
    public var folder: String
    /// The command line that ran it (recorded in the results).
    public var command = ""
    /// Show each run's training progress.
    public var showsProgress = true
    /// One line per event (rank 0 only), written at once so that a job's log file shows progress.
    public var log: (String) -> Void = { printNow($0) }

    /// A study of `settings` × `seeds` writing into `folder`.
    public init(
        name: String, configFile: String, settings: [StudySetting], seeds: [Int], measures: [StudyMeasure],
        folder: String
    ) {
        self.name = name
        self.configFile = configFile
        self.settings = settings
        self.seeds = seeds
        self.measures = measures
        self.folder = folder
    }

    /// The run folder of one setting and seed.
    public func runFolder(_ setting: StudySetting, seed: Int) -> RunDirectory {
        RunDirectory("\(folder)/\(setting.name)/seed-\(seed)")
    }

    /// Trains and measures every (setting, seed) not measured yet, then summarizes all of them;
    /// rank 0 writes the summary and returns it whole (the other ranks' summaries lack the runs
    /// measured before, whose files only rank 0 reads).
    @discardableResult
    public func run(communicator: any Communicator = LocalCommunicator()) throws -> StudyResult {
        try validate()
        let total = settings.count * seeds.count
        var records: [StudyRun] = []
        var spent: [Double] = []
        let started = ContinuousClock.now
        for setting in settings {
            for seed in seeds {
                let number = records.count + 1
                let record = try runOne(
                    setting, seed: seed, number: number, of: total, communicator: communicator)
                records.append(record.run)
                if !record.reused { spent.append(record.run.trainingSeconds + record.run.measuringSeconds) }
                if communicator.isCoordinator {
                    let remaining = total - number
                    let eta =
                        spent.isEmpty || remaining == 0
                        ? ""
                        : ", about \(durationText(spent.reduce(0, +) / Double(spent.count) * Double(remaining))) left"
                    log(
                        "[\(number)/\(total)] \(setting.name) seed \(seed)\(record.reused ? " (measured before)" : ""): "
                            + summaryLine(record.run.values) + eta)
                }
            }
        }
        let result = StudyResult(study: self, records: records)
        if communicator.isCoordinator {
            try AtomicFile.writeJSON(result, to: "\(folder)/study.json")
            try AtomicFile.write(result.table(), to: "\(folder)/study.txt")
            log(
                "study \(name): \(total) runs in \(durationText((ContinuousClock.now - started) / .seconds(1))); "
                    + "\(folder)/study.txt")
        }
        return result
    }

    /// Refuses a design that cannot run: no settings or seeds, repeated or unsafe names.
    func validate() throws {
        guard !settings.isEmpty, !seeds.isEmpty, !measures.isEmpty else {
            throw ConfigError.mismatch("study \(name): needs at least one setting, one seed and one measure")
        }
        for setting in settings where !RunConfig.isRunName(setting.name) {
            throw ConfigError.mismatch("study \(name): setting name '\(setting.name)' is not a folder name")
        }
        guard Set(settings.map(\.name)).count == settings.count, Set(seeds).count == seeds.count else {
            throw ConfigError.mismatch("study \(name): settings and seeds must not repeat")
        }
    }

    private func runOne(
        _ setting: StudySetting, seed: Int, number: Int, of total: Int, communicator: any Communicator
    ) throws -> (run: StudyRun, reused: Bool) {
        let directory = runFolder(setting, seed: seed)
        let recordPath = "\(directory.path)/study-run.json"
        // Rank 0 decides from its files: 0 = measured before, 1 = resume, 2 = fresh.
        var decision = [0]
        if communicator.isCoordinator {
            decision[0] =
                FileManager.default.fileExists(atPath: recordPath)
                ? 0 : directory.latestCheckpoint != nil ? 1 : 2
        }
        try communicator.broadcast(&decision, root: 0)
        let design = overrides + setting.overrides + ["seed=\(seed)"]
        if decision[0] == 0 {
            var run = StudyRun(
                setting: setting.name, seed: seed, overrides: design, values: [:], trainingSeconds: 0,
                measuringSeconds: 0)
            if communicator.isCoordinator {
                run = try AtomicFile.readJSON(StudyRun.self, from: recordPath)
                // A folder reused with other settings would mix two designs in one summary.
                guard run.overrides == design else {
                    throw ConfigError.mismatch(
                        "\(recordPath): measured with \(run.overrides.joined(separator: " ")), but this study asks for "
                            + "\(design.joined(separator: " ")); choose another --folder, or remove this one to start again"
                    )
                }
            }
            return (run, true)
        }
        let resume = decision[0] == 1
        let config = try RunConfig.load(configFile, overrides: design)
        let trainer = try Trainer(config: config, run: directory, communicator: communicator)
        trainer.showsProgress = showsProgress
        trainer.log = { _ in }
        if communicator.isCoordinator {
            log(
                "[\(number)/\(total)] \(setting.name) seed \(seed): \(resume ? "resuming" : "training") "
                    + "\(trainer.totalSteps) steps")
            try trainer.checkFolder(resume: resume)
            try directory.create()
        }
        let trainingStarted = ContinuousClock.now
        try trainer.train(resume: resume)
        let trainingSeconds = (ContinuousClock.now - trainingStarted) / .seconds(1)
        let measuringStarted = ContinuousClock.now
        var values = try measure(trainer.model, trainer.loaded, communicator: communicator)
        if communicator.isCoordinator { values.merge(lastEpoch(directory)) { current, _ in current } }
        let run = StudyRun(
            setting: setting.name, seed: seed, overrides: design, values: values,
            trainingSeconds: trainingSeconds,
            measuringSeconds: (ContinuousClock.now - measuringStarted) / .seconds(1))
        if communicator.isCoordinator { try AtomicFile.writeJSON(run, to: recordPath) }
        return (run, false)
    }

    /// The training log's last epoch: its `train_*` means and throughput.
    private func lastEpoch(_ directory: RunDirectory) -> [String: Double] {
        guard let text = try? String(contentsOfFile: directory.metricsPath, encoding: .utf8),
            let line = text.split(separator: "\n").last,
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        else { return [:] }
        var values: [String: Double] = [:]
        for (key, value) in object where key.hasPrefix("train_") && key != "train_steps" {
            if let number = value as? NSNumber { values[key] = number.doubleValue }
        }
        return values
    }

    /// One line of a run's headline values.
    private func summaryLine(_ values: [String: Double]) -> String {
        values.keys.sorted().filter { !$0.hasPrefix("train_") }.prefix(6)
            .map { "\($0) \(String(format: "%.4g", values[$0] ?? .nan))" }.joined(separator: ", ")
    }
}
