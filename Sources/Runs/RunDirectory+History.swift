// What a run folder remembers about how it was made: `training.json` (one record per training
// invocation: ranks, workers, wall time, steps, final losses) and `commands.txt` (every vaekit
// command that wrote into the folder, shell-quoted, so the report can list how to reproduce it).

import Foundation
import Storage

/// One invocation of `vaekit train` on a run.
public struct TrainingSession: Codable, Equatable, Sendable {
    /// Start time, ISO 8601 (UTC).
    public var started: String
    /// Wall-clock seconds of the invocation.
    public var wallSeconds: Double
    /// MPI ranks.
    public var ranks: Int
    /// In-process workers per rank.
    public var workersPerRank: Int
    /// Step the invocation started from (0, or a resumed checkpoint's step).
    public var firstStep: Int
    /// Step it ended at.
    public var lastStep: Int
    /// Training examples per second over the invocation.
    public var examplesPerSecond: Double
    /// Mean training loss of its last epoch (or part of one).
    public var finalTrainLoss: Double?
    /// Its last test −ELBO, when it evaluated.
    public var testNegativeELBO: Double?
    /// The host of rank 0.
    public var host: String
    /// False while the invocation runs (the record is rewritten at every checkpoint, so an
    /// interrupted invocation keeps its record up to its last checkpoint); true once it finished.
    public var completed: Bool?
    /// Rank 0's seconds in its steps' forward and backward passes.
    public var computeSeconds: Double?
    /// Rank 0's seconds in its steps' gradient all-reduces (transfer, and waiting for the
    /// slowest rank).
    public var allReduceSeconds: Double?
    /// The OpenBLAS kernel family rank 0 ran (`SkylakeX`, `Haswell`, …).
    public var blasCore: String?
    /// Rank 0's peak resident memory so far (MiB).
    public var peakResidentMiB: Int?

    /// A session record.
    public init(
        started: String, wallSeconds: Double, ranks: Int, workersPerRank: Int, firstStep: Int, lastStep: Int,
        examplesPerSecond: Double, finalTrainLoss: Double?, testNegativeELBO: Double?, host: String,
        completed: Bool? = nil, computeSeconds: Double? = nil, allReduceSeconds: Double? = nil,
        blasCore: String? = nil, peakResidentMiB: Int? = nil
    ) {
        self.blasCore = blasCore
        self.peakResidentMiB = peakResidentMiB
        self.completed = completed
        self.computeSeconds = computeSeconds
        self.allReduceSeconds = allReduceSeconds
        self.started = started
        self.wallSeconds = wallSeconds
        self.ranks = ranks
        self.workersPerRank = workersPerRank
        self.firstStep = firstStep
        self.lastStep = lastStep
        self.examplesPerSecond = examplesPerSecond
        self.finalTrainLoss = finalTrainLoss
        self.testNegativeELBO = testNegativeELBO
        self.host = host
    }
}

/// `training.json`.
public struct TrainingHistory: Codable, Equatable, Sendable, VersionedJSON {
    /// The format this build writes and reads; another is refused by name.
    public static let currentFormat = "vaekit-training-2"
    /// Format tag.
    public var format = Self.currentFormat
    /// Invocations in order.
    public var sessions: [TrainingSession] = []

    /// An empty history.
    public init() {}
}

extension RunDirectory {
    /// `training.json`.
    public var trainingPath: String { "\(path)/training.json" }
    /// `commands.txt`.
    public var commandsPath: String { "\(path)/commands.txt" }

    /// The training history (empty when the file is missing).
    public func loadTrainingHistory() throws -> TrainingHistory {
        guard fileExists(trainingPath) else { return TrainingHistory() }
        return try AtomicFile.readJSON(TrainingHistory.self, from: trainingPath)
    }

    /// Records `session` in `training.json` (rewritten atomically): it replaces the record of
    /// the same invocation (same start time) written at an earlier checkpoint, else it is
    /// appended; a resumed run keeps the sessions before it, a fresh run (`fresh`) only its own.
    public func recordTrainingSession(_ session: TrainingSession, fresh: Bool) throws {
        var history = (try? loadTrainingHistory()) ?? TrainingHistory()
        if fresh { history.sessions.removeAll { $0.started != session.started } }
        if let last = history.sessions.last, last.started == session.started {
            history.sessions[history.sessions.count - 1] = session
        } else {
            history.sessions.append(session)
        }
        try AtomicFile.writeJSON(history, to: trainingPath)
    }

    /// The commands recorded so far, oldest first.
    public func recordedCommands() -> [String] {
        guard let text = try? String(contentsOfFile: commandsPath, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").map(String.init)
    }

    /// Appends a command line (`arguments` as the process received them, prefixed with
    /// `mpirun -np R` when `ranks` > 1) to `commands.txt`; a repeated line is not added twice.
    public func recordCommand(_ arguments: [String], ranks: Int) throws {
        let line = commandText(arguments, ranks: ranks)
        var lines = recordedCommands()
        guard lines.last != line else { return }
        lines.append(line)
        try AtomicFile.write(lines.joined(separator: "\n") + "\n", to: commandsPath)
    }
}

/// A command line as a shell would take it again: `arguments` as the process received them,
/// shell-quoted, the program written `vaekit` when it is a vaekit binary (`setup.sh` puts one on
/// the PATH), and `mpirun -np R` in front when it ran on `ranks` > 1.
public func commandText(_ arguments: [String], ranks: Int = 1) -> String {
    var words = arguments.map(shellQuoted)
    if let program = arguments.first, program.split(separator: "/").last == "vaekit" { words[0] = "vaekit" }
    if ranks > 1 { words = ["mpirun", "-np", "\(ranks)"] + words }
    return words.joined(separator: " ")
}

/// A path as a reader wants it in a report or a console table: relative to the working directory
/// when it lies inside it, else as it is.
public func displayPath(_ path: String) -> String {
    let here = FileManager.default.currentDirectoryPath + "/"
    return path.hasPrefix(here) ? String(path.dropFirst(here.count)) : path
}

/// `word` quoted for a POSIX shell when it needs it.
public func shellQuoted(_ word: String) -> String {
    let plain = word.allSatisfy { $0.isLetter || $0.isNumber || "-_./=:,+@%".contains($0) }
    if plain && !word.isEmpty { return word }
    return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
}

/// Now, ISO 8601 in UTC.
public func timestampNow() -> String {
    ISO8601DateFormatter().string(from: Date())
}

/// This machine's host name.
public func hostName() -> String { ProcessInfo.processInfo.hostName }
