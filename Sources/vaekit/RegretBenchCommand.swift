// `vaekit bench regret`: Likelihood Regret throughput of a run's model (test images per second,
// both IWAE estimates and the refit included), with the time split between them. Under mpirun
// the images are sharded over ranks; rank 0 prints one JSON line.

import ArgumentParser
import Cluster
import Foundation
import OOD
import Runs
import Storage
import TensorCore

struct RegretBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "regret",
        abstract: "Likelihood Regret images per second, split into IWAE and refit time.")

    @OptionGroup var folder: RunOptions

    @Option(help: "Timed test images (all ranks together).")
    var images = 32

    @OptionGroup var regret: RegretOptions

    func run() throws {
        try withRanks(blasThreads: .one) { communicator in
            guard images >= 1 else { throw ValidationError("--images must be ≥ 1") }
            let loaded = try LoadedRun(folder.directory, communicator: communicator)
            let (config, data, model) = (loaded.config, loaded.data, try loaded.model)
            let settings = try regret.settings(ranks: communicator.size)
            var regret = LikelihoodRegret(model: model, config: config, settings: settings)
            let count = min(images, data.test.count)
            let mine = Array(communicator.share(of: count))
            // Warm-up: one image, untimed (allocator, BLAS buffers).
            var warm = settings
            warm.steps = min(settings.steps, 2)
            _ = LikelihoodRegret(model: model, config: config, settings: warm).scores(data.test, indices: [0])
            try communicator.barrier()
            let timing = RegretTiming()
            regret.timing = timing
            let clock = ContinuousClock()
            let started = clock.now
            let scores = regret.scores(data.test, indices: mine)
            try communicator.barrier()
            let elapsed = clock.now - started
            let seconds = elapsed / .seconds(1)
            var sums = [
                timing.importanceWeightedSeconds, timing.refitSeconds, scores.map(\.regret).reduce(0, +),
            ]
            try communicator.allReduceSum(&sums)
            guard communicator.isCoordinator else { return }
            // Thread-seconds of each part, scaled to wall seconds per image.
            let perImage = { (value: Double) in
                value / max(sums[0] + sums[1], 1e-12) * seconds / Double(count)
            }
            print(
                String(
                    format:
                        "{\"images_per_second\": %.4f, \"images\": %d, \"ranks\": %d, \"iwae_samples\": %d, "
                        + "\"steps\": %d, \"batch_size\": %d, \"workers\": %d, \"seconds_iwae_per_image\": %.4f, "
                        + "\"seconds_refit_per_image\": %.4f, \"mean_regret\": %.4f, \"wall_seconds\": %.2f}",
                    Double(count) / seconds, count, communicator.size, settings.importanceSamples,
                    settings.steps, settings.batchSize,
                    settings.workers,
                    perImage(sums[0]), perImage(sums[1]), sums[2] / Double(count), seconds))
        }
    }
}
