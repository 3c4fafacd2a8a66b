// One folder per run: config.yaml (resolved), checkpoints/, metrics.jsonl, images/. Later
// commands (evaluate, influence, ood, report) take it as --run DIR.

import Foundation
import Storage

/// A run's folder and the files in it.
public struct RunDirectory: Sendable {
    /// The folder.
    public var path: String

    /// The run folder at `path`.
    public init(_ path: String) { self.path = path }

    /// The resolved config.
    public var configPath: String { "\(path)/config.yaml" }
    /// Checkpoints folder.
    public var checkpointsPath: String { "\(path)/checkpoints" }
    /// JSON-lines metrics log.
    public var metricsPath: String { "\(path)/metrics.jsonl" }
    /// Image grids.
    public var imagesPath: String { "\(path)/images" }

    /// The path of the checkpoint after `step` steps.
    public func checkpointPath(step: Int) -> String { "\(checkpointsPath)/checkpoint-\(step).h5" }

    /// What VAEKit itself writes into a run folder.
    static let ownEntries: Set<String> = [
        "config.yaml", "commands.txt", "metrics.jsonl", "training.json", "checkpoints", "images", "gradients",
        "ood.json", "influence.json", "self-influence.json", "self-influence-analysis.json", "report.json",
        "report.html",
    ]

    /// The entries of an existing folder that is not a VAEKit run: it has no config.yaml and holds
    /// something VAEKit does not write. Nil for a run folder, an empty folder or no folder.
    /// Training never writes into such a folder.
    public func foreignEntries() -> [String]? {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: path),
            !fileExists(configPath)
        else { return nil }
        let foreign = entries.filter { !RunDirectory.ownEntries.contains($0) }.sorted()
        return foreign.isEmpty ? nil : foreign
    }

    /// Creates the folders.
    public func create() throws {
        try makeDirectories(checkpointsPath)
        try makeDirectories(imagesPath)
    }

    /// Steps of the checkpoints present, ascending (temporary files ignored).
    public func checkpointSteps() -> [Int] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: checkpointsPath)) ?? []
        return names.compactMap { name -> Int? in
            guard name.hasPrefix("checkpoint-"), name.hasSuffix(".h5") else { return nil }
            return Int(name.dropFirst("checkpoint-".count).dropLast(3))
        }.sorted()
    }

    /// The newest checkpoint, if any.
    public var latestCheckpoint: String? { checkpointSteps().last.map { checkpointPath(step: $0) } }

    /// Loads the run's resolved config, adjusted by `overrides`. Its data paths are absolute;
    /// a relative one was written by a VAEKit before config-relative paths and meant the working
    /// directory, so it is read from there, as it was written.
    public func loadConfig(overrides: [String] = []) throws -> RunConfig {
        try RunConfig.load(
            configPath, overrides: overrides,
            relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
    }
}
