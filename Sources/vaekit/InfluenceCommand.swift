// `vaekit influence index|query`: the sharded VAE-TracIn index of a run and queries against it.

import ArgumentParser

struct InfluenceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "influence", abstract: "VAE-TracIn: per-example gradient index and influence queries.",
        subcommands: [IndexCommand.self, QueryCommand.self])
}
