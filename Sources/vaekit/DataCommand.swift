// `vaekit data prepare|import`: datasets into VAEKit's HDF5 layout.

import ArgumentParser

struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Prepare or import datasets (HDF5: /images uint8 N×C×H×W, /labels int64).",
        subcommands: [PrepareCommand.self, ImportCommand.self])
}
