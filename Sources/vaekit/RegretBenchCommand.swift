// `vaekit bench regret`: Likelihood Regret throughput of a run's model (test images per second,
// both IWAE estimates and the refit included), with the time split between them. Under mpirun
// the images are sharded over ranks; rank 0 prints one JSON line.

import ArgumentParser
import Cluster
import Datasets
import Foundation
import NN
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

    @Option(help: "Checkpoint to score (default: the run's newest).")
    var checkpoint: String?

    @Option(help: "The set scored: test, noise, constant, vflip, invert, digits or an image file.")
    var set = "test"

    @Option(
        help: ArgumentHelp(
            "Writes an HDF5 trace of the refit (1 rank): inputs, targets, every ε, the loss at every "
                + "step and both NLLs, for bench/reference/torch_regret_replay.py.",
            valueName: "file"))
    var trace: String?

    @OptionGroup var regret: RegretOptions

    @Flag(
        help: "Print where the time goes (phases, the refit's layers and backward ops) before the JSON line.")
    var profile = false

    func run() throws {
        try withRanks(blasThreads: .one) { communicator in
            guard images >= 1 else { throw ValidationError("--images must be ≥ 1") }
            let loaded = try LoadedRun(
                folder.directory, checkpoint: checkpoint.map { .file($0) } ?? .newest,
                communicator: communicator)
            let (config, data, model) = (loaded.config, loaded.data, try loaded.model)
            let settings = try regret.settings(ranks: communicator.size)
            var regret = LikelihoodRegret(model: model, config: config, settings: settings)
            let scored = try OODSets.resolve(set, config: config, test: data.test, count: images)
            if trace != nil, communicator.size > 1 { throw ValidationError("--trace runs on one rank") }
            let count = min(images, scored.count)
            let mine = Array(communicator.share(of: count))
            // Warm-up: one image, untimed (allocator, BLAS buffers).
            var warm = settings
            warm.steps = min(settings.steps, 2)
            _ = LikelihoodRegret(model: model, config: config, settings: warm).scores(scored, indices: [0])
            try communicator.barrier()
            let steps = RegretTrace()
            if trace != nil { regret.trace = steps }
            // Phases always (the IWAE/refit split below); layers and ops with --profile.
            let profile = StepProfile(detailed: self.profile)
            regret.profile = profile
            let clock = ContinuousClock()
            let started = clock.now
            let scores = regret.scores(scored, indices: mine)
            try communicator.barrier()
            let elapsed = clock.now - started
            let seconds = elapsed / .seconds(1)
            let phases = profile.phases.rows
            let iwaeSeconds = phases.filter { $0.name == "IWAE estimates" }.reduce(0) { $0 + $1.seconds }
            let refitSeconds = phases.reduce(0) { $0 + $1.seconds } - iwaeSeconds
            var sums = [iwaeSeconds, refitSeconds, scores.map(\.regret).reduce(0, +)]
            try communicator.allReduceSum(&sums)
            if let trace {
                try writeTrace(trace, regret: regret, set: scored, scores: scores, losses: steps)
            }
            guard communicator.isCoordinator else { return }
            if self.profile {
                // Thread-seconds of this rank's workers per example-step of the refit.
                let exampleSteps = Double(mine.count * max(settings.steps, 1))
                let threadSeconds = profile.phases.rows.reduce(0) { $0 + $1.seconds }
                print(
                    "profile of rank 0's \(mine.count) images × \(settings.steps) refit steps, "
                        + "\(settings.workers) worker(s): "
                        + String(
                            format: "%.3f ms per example-step (all phases)",
                            threadSeconds / exampleSteps * 1e3))
                profile.print(
                    unit: "example-step", units: exampleSteps, unitSeconds: threadSeconds / exampleSteps,
                    perWorker: [], workers: 1, other: nil)
            }
            // Thread-seconds of each part, scaled to wall seconds per image.
            let perImage = { (value: Double) in
                value / max(sums[0] + sums[1], 1e-12) * seconds / Double(count)
            }
            print(
                String(
                    format:
                        "{\"images_per_second\": %.4f, \"images\": %d, \"ranks\": %d, \"iwae_samples\": %d, "
                        + "\"steps\": %d, \"batch_size\": %d, \"workers\": %d, \"seconds_iwae_per_image\": %.4f, "
                        + "\"seconds_refit_per_image\": %.4f, \"mean_regret\": %.4f, \"wall_seconds\": %.2f, "
                        + "\"peak_resident_mib\": %d}",
                    Double(count) / seconds, count, communicator.size, settings.importanceSamples,
                    settings.steps, settings.batchSize,
                    settings.workers,
                    perImage(sums[0]), perImage(sums[1]), sums[2] / Double(count), seconds,
                    peakResidentMiB() ?? -1))
        }
    }

    /// The trace file: `/inputs [N, C, H, W]`, `/classes [N, C·H·W]` (categorical), `/refit_noise
    /// [N, steps, Z]`, `/iwae_noise [N, K, Z]` (both estimates), `/refit_loss [N, steps]`,
    /// `/nll_before`, `/nll_after [N]`, and the settings as attributes.
    private func writeTrace(
        _ path: String, regret: LikelihoodRegret, set: ImageDataset, scores: [RegretScore],
        losses: RegretTrace
    ) throws {
        let indices = scores.map(\.index)
        let (config, settings, latent) = (regret.config, regret.settings, regret.model.latentCount)
        let (input, target) = config.batch(set, indices: indices, step: RunConfig.evaluationStep)
        let draws = config.evaluationDraws(set)
        var refitNoise: [Float] = []
        var iwaeNoise: [Float] = []
        for index in indices {
            for step in 0..<settings.steps { refitNoise += regret.noise(set, [index], step: step).scalars }
            iwaeNoise += draws.generator(index).normal([settings.importanceSamples * latent]).scalars
        }
        let count = indices.count
        try HDF5File.create(atomicallyAt: path) { file in
            try file.write("/inputs", tensor: input)
            if !target.classes.isEmpty {
                try file.write(
                    "/classes", int64s: target.classes.map(Int64.init), shape: [count, set.imageSize])
            }
            try file.write("/refit_noise", floats: refitNoise, shape: [count, settings.steps, latent])
            try file.write(
                "/iwae_noise", floats: iwaeNoise, shape: [count, settings.importanceSamples, latent])
            try file.write(
                "/refit_loss", floats: indices.flatMap { losses.losses(of: $0).map(Float.init) },
                shape: [count, settings.steps])
            try file.write(
                "/nll_before", floats: scores.map { Float($0.negativeLogLikelihoodBefore) }, shape: [count])
            try file.write(
                "/nll_after", floats: scores.map { Float($0.negativeLogLikelihoodAfter) }, shape: [count])
            try file.setAttribute("likelihood", config.likelihood.name)
            try file.setAttribute("set", self.set)
            try file.setAttribute("learning_rate", Double(settings.learningRate))
            try file.setAttribute("weight_decay", Double(settings.weightDecay))
        }
    }
}
