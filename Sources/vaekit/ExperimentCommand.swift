// `vaekit experiment …`: research experiments that are not a run of the training system.

import ArgumentParser

struct ExperimentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "experiment", abstract: "The seed papers' synthetic experiments.",
        subcommands: [HVAEGaussianCommand.self, DatamodelingCommand.self, SelfInfluenceCommand.self])
}
