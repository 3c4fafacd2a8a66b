// `vaekit sample`: prior samples of a checkpoint as a PNG grid.

import ArgumentParser
import Foundation
import Models
import Runs
import Storage
import TensorCore

struct SampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample", abstract: "Decode draws from the prior into a PNG grid.")

    @Option(help: "Checkpoint file.")
    var checkpoint: String

    @Option(help: "Number of samples.")
    var count = 64

    @Option(help: "Seed of the prior draws.")
    var seed: UInt64 = 1

    @Option(help: "Output PNG.")
    var output = "samples.png"

    func run() throws {
        let loaded = try LoadedRun(checkpointFile: checkpoint)
        let (config, model) = (loaded.config, try loaded.model)
        try ImageGrids(model: model, config: config).samples(count: count, seed: seed).write(to: output)
        print("wrote \(output)")
    }
}
