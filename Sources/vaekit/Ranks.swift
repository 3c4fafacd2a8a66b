// The multi-rank set-up every command shares: the communicator (MPI under mpirun or srun, a
// local one otherwise), the rule for BLAS threads, an error on any rank ending the whole job at
// once (MPI_Abort) instead of leaving the other ranks waiting in a collective, and the command
// line recorded in the run folder by rank 0 when the command succeeded.

import ArgumentParser
import Cluster
import Foundation
import Runs
import TensorCore

/// How a command sets OpenBLAS's threads.
enum BLASThreads {
    /// One thread per rank whenever several ranks share the machine's cores; the default (all
    /// cores) on one rank — for commands whose parallelism is inside BLAS.
    case onePerRankWhenShared
    /// One thread always — for commands that run their own worker threads.
    case one
    /// As the command itself sets them (training: `training.blas_threads`).
    case byCommand
}

/// Runs `body` on every rank with the shared set-up; `record` names the run folder whose
/// `commands.txt` gets this command line (with `mpirun -np R` when it ran on R ranks).
func withRanks(
    blasThreads: BLASThreads, record run: RunDirectory? = nil, _ body: (any Communicator) throws -> Void
) throws {
    let communicator = try makeCommunicator()
    switch blasThreads {
    case .onePerRankWhenShared: if communicator.size > 1 { setBLASThreadCount(1) }
    case .one: setBLASThreadCount(1)
    case .byCommand: break
    }
    if communicator.isCoordinator, run != nil {
        // The header line: which command, on how many ranks, with which OpenBLAS kernels.
        let words = CommandLine.arguments.dropFirst().prefix { !$0.hasPrefix("-") }
        print(
            "vaekit \(words.joined(separator: " ")) on \(communicator.size) rank(s), OpenBLAS \(blasCoreName)"
        )
    }
    do {
        try body(communicator)
        if communicator.isCoordinator, let run {
            try run.recordCommand(CommandLine.arguments, ranks: communicator.size)
        }
    } catch let error as CleanExit {
        throw error
    } catch {
        if communicator.size > 1 { communicator.abort(code: 1, message: "Error: \(error)") }
        throw error
    }
    (communicator as? MPICommunicator)?.finalize()
}

/// `--run DIR`: the run folder a command works on.
struct RunOptions: ParsableArguments {
    @Option(name: .customLong("run"), help: "The run folder.")
    var runFolder: String

    /// The folder.
    var directory: RunDirectory { RunDirectory(runFolder) }
}

/// `--max-memory SIZE`: the memory a rank may hold in gradients at once.
struct MemoryOptions: ParsableArguments {
    @Option(help: "Memory per rank for gradients: 2G, 512M, or MiB (default 2G); work is chunked to fit.")
    var maxMemory = "2G"

    /// The budget in bytes.
    func bytes() throws -> Int {
        let text = maxMemory.trimmingCharacters(in: .whitespaces).uppercased()
        let units: [Character: Int] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30]
        let (digits, unit) =
            text.last.flatMap { units[$0] }.map { (String(text.dropLast()), $0) } ?? (text, 1 << 20)
        guard let value = Double(digits), value > 0, value * Double(unit) < 1e15 else {
            throw ValidationError("--max-memory \(maxMemory): expected a size such as 2G, 512M or 1024 (MiB)")
        }
        return Int(value * Double(unit))
    }
}
