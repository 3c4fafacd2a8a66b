// The `vaekit` command line: one binary, the same flags on 1 or R ranks.

import ArgumentParser

@main
struct VAEKitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vaekit",
        abstract: "Train variational auto-encoders data-parallel and explain them.",
        subcommands: [BenchCommand.self])
}
