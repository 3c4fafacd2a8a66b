// The `vaekit` command line: one binary, the same flags on 1 or R ranks.

import ArgumentParser
import Runs
import TensorCore

@main
struct VAEKitCommand: ParsableCommand {
    /// Process-wide settings, then the subcommand.
    static func main() {
        useFastBLASCore()
        configureProcessForTensors()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            exit(withError: error)
        }
    }

    static let configuration = CommandConfiguration(
        commandName: "vaekit",
        abstract: "Train variational auto-encoders data-parallel and explain them.",
        version: vaekitVersion,
        subcommands: [
            DataCommand.self, TrainCommand.self, EvaluateCommand.self, SampleCommand.self, BenchCommand.self,
            SelfTestCommand.self, InfluenceCommand.self, OODCommand.self, ReportCommand.self,
            ExperimentCommand.self, DisentanglementCommand.self, InvariancesCommand.self,
        ])
}
