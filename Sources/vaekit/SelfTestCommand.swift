// `vaekit selftest …`: checks of this installation.

import ArgumentParser

struct SelfTestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "selftest", abstract: "Check this installation.", subcommands: [CollectivesTest.self])
}
