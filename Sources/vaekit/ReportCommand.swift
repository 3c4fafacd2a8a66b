// `vaekit report`: rank 0 gathers the run's results into report.json and a self-contained
// report.html (other ranks, if any, do nothing).

import ArgumentParser
import Cluster
import Reports
import Runs

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write report.json and a self-contained report.html for a run (training, OOD, influence).")

    @OptionGroup var folder: RunOptions

    @Option(help: "Test examples shown with their proponents and opponents.")
    var influenceTests = 6

    func run() throws {
        try withRanks(blasThreads: .byCommand) { communicator in
            guard influenceTests >= 0 else { throw ValidationError("--influence-tests must be ≥ 0") }
            guard communicator.isCoordinator else { return }
            let paths = try RunReport.write(folder.directory, influenceTests: influenceTests)
            print("wrote \(paths.json)")
            print("report: \(paths.html)")
        }
    }
}
