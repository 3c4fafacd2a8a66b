// `vaekit experiment …`: multi-seed studies of the variants and the papers' synthetic experiments.

import ArgumentParser

struct ExperimentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "experiment",
        abstract: "Studies over settings and seeds, and the seed papers' synthetic experiments.",
        subcommands: [
            StudyCommand.self, JacobianL1StudyCommand.self, ConsistencyStudyCommand.self,
            HamiltonianStudyCommand.self, SupervisedStudyCommand.self, HVAEGaussianCommand.self,
            DatamodelingCommand.self, SelfInfluenceCommand.self,
        ])
}
