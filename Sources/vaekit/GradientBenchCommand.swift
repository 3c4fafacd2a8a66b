// `vaekit bench gradients`: per-example gradient throughput of a run's model (no files written).

import ArgumentParser
import Foundation
import Influence
import Runs
import Storage
import TensorCore

struct GradientBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gradients",
        abstract: "Examples per second whose per-example gradient is produced (factors, projected or dense).")

    @OptionGroup var folder: RunOptions

    @Option(help: "factors, projected or dense.")
    var mode = "factors"

    @Option(help: "Reparameterization draws per example's loss.")
    var samples = 16

    @Option(help: "Timed examples.")
    var examples = 2048

    @Option(help: "Examples per batched backward pass.")
    var batchSize = 64

    @Option(help: "OpenBLAS threads.")
    var threads = 2

    func run() throws {
        setBLASThreadCount(threads)
        let loaded = try LoadedRun(folder.directory)
        let (config, data, model) = (loaded.config, loaded.data, try loaded.model)
        let step = loaded.checkpoint?.step ?? 0
        var settings = InfluenceSettings()
        guard let gradientMode = GradientMode(rawValue: mode) else { throw ValidationError("--mode \(mode)") }
        settings.mode = gradientMode
        settings.samples = samples
        settings.batchSize = batchSize
        let computer = GradientComputer(
            model: model, config: config, settings: settings, checkpointStep: step)
        let count = min(examples, data.train.count)
        _ = computer.gradients(data.train, indices: Array(0..<min(batchSize, count)))  // warm-up
        // Batch by batch, as the index builder consumes them (each batch's gradients are handed
        // on and freed; concatenating every batch first would time a copy the index never makes).
        let clock = ContinuousClock()
        let started = clock.now
        var floats = 0
        var start = 0
        while start < count {
            let batch = Array(start..<min(start + batchSize, count))
            let gradients = computer.gradients(data.train, indices: batch)
            floats +=
                gradients.vectors.map { $0.count }
                ?? gradients.factors.reduce(0) { $0 + $1.inputs.count + $1.outputGradients.count }
            start += batch.count
        }
        let elapsed = clock.now - started
        let seconds = elapsed / .seconds(1)
        print(
            "{\"mode\": \"\(mode)\", \"examples_per_second\": \(Int(Double(count) / seconds)), \"samples\": \(samples), "
                + "\"examples\": \(count), \"bytes_per_example\": \(floats * 4 / max(count, 1)), "
                + "\"parameters\": \(model.arena.count), \"threads\": \(threads), "
                + "\"peak_resident_mib\": \(peakResidentMiB() ?? -1)}")
    }
}
