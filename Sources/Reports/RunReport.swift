// `report.json`: what rank 0 gathers from a run folder — the run and its training, the OOD
// scores and metrics (ood.json), the influence results (influence.json, self-influence.json)
// and the commands that made them. `report.html` is rendered from this value plus the images.

import Datasets
import Foundation
import Influence
import OOD
import Runs
import Storage

/// The run's facts.
public struct RunFacts: Codable, Sendable {
    /// Run name from the config.
    public var name: String
    /// The run folder.
    public var path: String
    /// The resolved config (YAML).
    public var config: String
    /// Architecture, likelihood, latent size.
    public var architecture: String
    /// Decoder likelihood.
    public var likelihood: String
    /// Latent dimensions.
    public var latentCount: Int
    /// Trainable parameters.
    public var parameterCount: Int
    /// Training and test files and counts.
    public var trainData: String
    /// Test data file.
    public var testData: String
    /// Training examples.
    public var trainCount: Int
    /// Test examples.
    public var testCount: Int
    /// `[C, H, W]` as the model sees it.
    public var imageShape: [Int]
    /// Ranks of the last training invocation.
    public var ranks: Int?
    /// Workers per rank.
    public var workersPerRank: Int?
    /// Wall seconds over all training invocations.
    public var trainingWallSeconds: Double?
    /// Steps trained.
    public var steps: Int
    /// Checkpoint steps present.
    public var checkpoints: [Int]
    /// Examples per second of the last invocation.
    public var examplesPerSecond: Double?
    /// Final mean training loss (−ELBO per example).
    public var finalTrainLoss: Double?
    /// Final test −ELBO.
    public var finalTestNegativeELBO: Double?
    /// Every training invocation.
    public var sessions: [TrainingSession]
}

/// One point of the training curves (one per logged epoch).
public struct CurvePoint: Codable, Sendable {
    /// Epoch.
    public var epoch: Double
    /// Step.
    public var step: Double
    /// Mean training −ELBO over the epoch.
    public var trainLoss: Double?
    /// Test −ELBO at the epoch's end.
    public var testNegativeELBO: Double?
    /// Mean KL term.
    public var trainKL: Double?
}

/// The OOD section.
public struct OODSection: Codable, Sendable {
    /// ood.json as written by `vaekit ood`.
    public var scores: OODReport
    /// Methods present, in display order.
    public var methods: [OODMethod]
    /// In-distribution test examples with the highest Likelihood Regret: (index, regret).
    public var mostOODLooking: [RankedExample]
    /// The lowest.
    public var leastOODLooking: [RankedExample]
}

/// An example with a score.
public struct RankedExample: Codable, Sendable {
    /// Index in its set.
    public var index: Int
    /// The score.
    public var score: Double
}

/// The influence section.
public struct InfluenceSection: Codable, Sendable {
    /// influence.json, when a query ran.
    public var query: InfluenceReport?
    /// self-influence.json without the full value list: its extremes and summary.
    public var selfInfluence: SelfInfluenceSummary?
    /// The index's manifest.
    public var index: IndexManifest?
}

/// Self-influence against training loss and latent norm (self-influence-analysis.json), with at
/// most 2,000 evenly spaced training examples kept for the scatter plot.
public struct SelfInfluenceAnalysisSummary: Codable, Sendable {
    /// Spearman(self-influence, −ELBO).
    public var spearmanLoss: Double
    /// Spearman(self-influence, ‖μ‖).
    public var spearmanLatentNorm: Double
    /// Mean ‖μ‖ of all training examples.
    public var meanLatentNorm: Double
    /// Mean ‖μ‖ of the queries' top-10 proponents.
    public var meanProponentLatentNorm: Double?
    /// The score of those proponents.
    public var proponentScore: String?
    /// (−ELBO, self-influence) of the plotted examples.
    public var points: [[Double]]
}

/// The extremes and summary statistics of self-influence.
public struct SelfInfluenceSummary: Codable, Sendable {
    /// Gradient mode.
    public var mode: String
    /// Checkpoints summed.
    public var checkpoints: [Int]
    /// Training examples scored.
    public var count: Int
    /// Median self-influence.
    public var median: Double
    /// Most self-influential.
    public var highest: [Influence]
    /// Least.
    public var lowest: [Influence]
    /// Against training loss and latent norm, when `vaekit experiment self-influence` ran.
    public var analysis: SelfInfluenceAnalysisSummary?
}

/// `report.json`.
public struct RunReport: Codable, Sendable {
    /// Format tag.
    public var format = "vaekit-report-2"
    /// When the report was generated (UTC).
    public var generated: String
    /// The run.
    public var run: RunFacts
    /// Training curves.
    public var curves: [CurvePoint]
    /// Image grid files (relative to the run folder): newest reconstructions and samples.
    public var reconstructionsImage: String?
    /// Newest samples grid.
    public var samplesImage: String?
    /// OOD results, when `vaekit ood` ran.
    public var ood: OODSection?
    /// Influence results, when `vaekit influence` ran.
    public var influence: InfluenceSection?
    /// The commands that produced the run's results, oldest first.
    public var commands: [String]
    /// What those commands depend on that was written elsewhere, each once: the commands that
    /// wrote the training and test files (their `command` attribute) and the background run's
    /// commands (its commands.txt) when the likelihood ratio used one.
    public var prerequisites: [String]
}

extension RunReport {
    /// Gathers a report from the files of `run`; missing results leave their section empty.
    /// Files that exist but cannot be read are errors naming the file.
    public static func assemble(_ loaded: LoadedRun) throws -> RunReport {
        let (run, config, data) = (loaded.directory, loaded.config, loaded.data)
        let history = try run.loadTrainingHistory()
        let curves = try loadCurves(run.metricsPath)
        let last = history.sessions.last { $0.lastStep > $0.firstStep }
        let steps = run.checkpointSteps()
        let facts = RunFacts(
            name: config.name, path: run.path, config: config.yaml,
            architecture: config.model.architecture.rawValue,
            likelihood: config.model.likelihood.rawValue, latentCount: config.model.latent,
            parameterCount: loaded.parameterCount, trainData: config.data.train, testData: config.data.test,
            trainCount: data.train.count, testCount: data.test.count, imageShape: data.imageShape,
            ranks: last?.ranks, workersPerRank: last?.workersPerRank,
            trainingWallSeconds: history.sessions.isEmpty
                ? nil : history.sessions.map(\.wallSeconds).reduce(0, +),
            steps: steps.last ?? 0, checkpoints: steps, examplesPerSecond: last?.examplesPerSecond,
            finalTrainLoss: curves.last(where: { $0.trainLoss != nil })?.trainLoss ?? last?.finalTrainLoss,
            finalTestNegativeELBO: curves.last(where: { $0.testNegativeELBO != nil })?.testNegativeELBO
                ?? last?.testNegativeELBO,
            sessions: history.sessions)
        let ood = try loadOOD(run)
        var prerequisites: [String] = []
        let background = ood?.scores.background.map { RunDirectory($0).recordedCommands() } ?? []
        for command in [data.train.command, data.test.command] + background
        where !command.isEmpty && !prerequisites.contains(command) {
            prerequisites.append(command)
        }
        return RunReport(
            generated: timestampNow(), run: facts, curves: curves,
            reconstructionsImage: newestImage(run, prefix: "reconstructions-epoch-"),
            samplesImage: newestImage(run, prefix: "samples-epoch-"),
            ood: ood,
            influence: try loadInfluence(run, trainCount: data.train.count, testCount: data.test.count),
            commands: run.recordedCommands(), prerequisites: prerequisites)
    }

    /// metrics.jsonl → curve points (lines that are not JSON objects are errors).
    static func loadCurves(_ path: String) throws -> [CurvePoint] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        return try text.split(separator: "\n").enumerated().compactMap { number, line in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty else { return nil }
            guard let object = try? JSONSerialization.jsonObject(with: Data(trimmed.utf8)) as? [String: Any]
            else {
                throw StorageError.cannotOpen(
                    path: path, reason: "line \(number + 1) is not a JSON object of metrics")
            }
            let value = { (key: String) in (object[key] as? NSNumber)?.doubleValue }
            return CurvePoint(
                epoch: value("epoch") ?? Double(number + 1), step: value("step") ?? 0,
                trainLoss: value("train_loss"), testNegativeELBO: value("test_neg_elbo"),
                trainKL: value("train_kl"))
        }
    }

    /// The images/ file with `prefix` and the highest epoch number, relative to the run.
    static func newestImage(_ run: RunDirectory, prefix: String) -> String? {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: run.imagesPath)) ?? []
        let numbered = names.compactMap { name -> (Int, String)? in
            guard name.hasPrefix(prefix), name.hasSuffix(".png"),
                let number = Int(name.dropFirst(prefix.count).dropLast(4))
            else { return nil }
            return (number, name)
        }
        return numbered.max { $0.0 < $1.0 }.map { "images/\($0.1)" }
    }

    static func decode<T: Decodable>(_ type: T.Type, _ path: String) throws -> T? {
        guard fileExists(path) else { return nil }
        return try AtomicFile.readJSON(T.self, from: path)
    }

    static func loadOOD(_ run: RunDirectory) throws -> OODSection? {
        guard let scores = try decode(OODReport.self, "\(run.path)/ood.json") else { return nil }
        let methods = scores.methods
        let ranked = (scores.scores[scores.inDistribution] ?? []).map {
            RankedExample(index: $0.index, score: $0.regret)
        }.filter { $0.score.isFinite }.sorted { $0.score > $1.score }
        let shown = min(8, ranked.count / 2)
        return OODSection(
            scores: scores, methods: methods, mostOODLooking: Array(ranked.prefix(shown)),
            leastOODLooking: Array(ranked.suffix(shown).reversed()))
    }

    /// The influence files of `run`; an example index outside the run's data (a file from
    /// another run, or edited) is refused by file and index rather than shown as a caption.
    static func loadInfluence(_ run: RunDirectory, trainCount: Int, testCount: Int) throws
        -> InfluenceSection?
    {
        let query = try decode(InfluenceReport.self, "\(run.path)/influence.json")
        let selfReport = try decode(SelfInfluenceReport.self, "\(run.path)/self-influence.json")
        func check(_ index: Int, in split: String, _ file: String) throws {
            let count = split == "test" ? testCount : trainCount
            guard (0..<count).contains(index) else {
                throw StorageError.invalid(
                    path: "\(run.path)/\(file)",
                    reason: "\(split) #\(index) does not exist: the run's \(split) set has \(count) "
                        + "examples (the file is from another run's data, or was edited)")
            }
        }
        for test in query?.tests ?? [] {
            guard test.split == "test" || test.split == "train" else {
                throw StorageError.invalid(
                    path: "\(run.path)/influence.json",
                    reason: "split '\(test.split)', expected test or train")
            }
            try check(test.index, in: test.split, "influence.json")
            for example in test.proponents + test.opponents {
                try check(example.index, in: "train", "influence.json")
            }
        }
        for hub in query?.hubs ?? [] { try check(hub.index, in: "train", "influence.json") }
        if let selfReport {
            guard selfReport.values.count == trainCount else {
                throw StorageError.invalid(
                    path: "\(run.path)/self-influence.json",
                    reason:
                        "\(selfReport.values.count) values, expected one per training example (\(trainCount))"
                )
            }
            for example in selfReport.highest + selfReport.lowest {
                try check(example.index, in: "train", "self-influence.json")
            }
        }
        let manifest = try decode(IndexManifest.self, IndexManifest.path(run))
        guard query != nil || selfReport != nil || manifest != nil else { return nil }
        let analysis = try decode(SelfInfluenceAnalysis.self, "\(run.path)/self-influence-analysis.json")
        let summary = selfReport.map { report in
            let sorted = report.values.map(Double.init).sorted()
            var summary = SelfInfluenceSummary(
                mode: report.mode, checkpoints: report.checkpoints, count: report.values.count,
                median: sorted.isEmpty ? .nan : sorted[sorted.count / 2], highest: report.highest,
                lowest: report.lowest)
            if let analysis, analysis.losses.count == report.values.count {
                let stride = max(1, report.values.count / 2000)
                summary.analysis = SelfInfluenceAnalysisSummary(
                    spearmanLoss: analysis.spearmanLoss, spearmanLatentNorm: analysis.spearmanLatentNorm,
                    meanLatentNorm: analysis.meanLatentNorm,
                    meanProponentLatentNorm: analysis.meanProponentLatentNorm,
                    proponentScore: analysis.proponentScore,
                    points: Swift.stride(from: 0, to: report.values.count, by: stride).map {
                        [Double(analysis.losses[$0]), Double(report.values[$0])]
                    })
            }
            return summary
        }
        return InfluenceSection(query: query, selfInfluence: summary, index: manifest)
    }
}
