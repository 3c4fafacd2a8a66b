// `vaekit bench …`: performance figures measured inside one process.

import ArgumentParser

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Measure VAEKit's throughput.",
        subcommands: [
            EngineBenchCommand.self, TrainBenchCommand.self, GradientBenchCommand.self,
            RegretBenchCommand.self, IWAEBenchCommand.self, ProjectionBenchCommand.self,
        ])
}
