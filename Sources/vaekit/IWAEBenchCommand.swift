// `vaekit bench iwae`: the importance-weighted likelihood estimate of a run's model at K samples,
// its decoder's rate in GFLOP/s against the raw sgemm rate measured in the same process on one
// thread, and where the time goes, layer by layer.

import ArgumentParser
import Cluster
import Foundation
import Models
import NN
import OOD
import Runs
import TensorCore

struct IWAEBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "iwae",
        abstract: "IWAE estimates per second on one thread, the decoder's GFLOP/s against sgemm's.")

    @OptionGroup var folder: RunOptions

    @Option(help: "Checkpoint to load (default: the run's newest).")
    var checkpoint: String?

    @Option(help: "Importance samples K per image.")
    var samples = 1000

    @Option(help: "Timed test images.")
    var images = 32

    @Option(help: "Images estimated together (default: Likelihood Regret's batch).")
    var batchSize: Int?

    @Option(help: "Decoder rows per chunk (default: Likelihood Regret's, 200 or 50 for the 256-way decoder).")
    var decodedRows: Int?

    @Flag(help: "Print each layer's forward time before the JSON line.")
    var profile = false

    func run() throws {
        try withRanks(blasThreads: .one) { communicator in
            guard samples >= 1, images >= 1, (decodedRows ?? 1) >= 1, (batchSize ?? 1) >= 1 else {
                throw ValidationError("--samples, --images, --batch-size and --decoded-rows must be ≥ 1")
            }
            guard communicator.size == 1 else { throw ValidationError("bench iwae runs on one rank") }
            let loaded = try LoadedRun(
                folder.directory, checkpoint: checkpoint.map { .file($0) } ?? .newest,
                communicator: communicator)
            let (config, test, model) = (loaded.config, loaded.data.test, try loaded.model)
            let count = min(images, test.count)
            var settings = RegretSettings()
            settings.chunk = min(settings.chunk, samples)
            settings.decodedRowsPerChunk = decodedRows
            let batch = min(count, batchSize ?? settings.batchSize)
            let chunk = settings.samplesPerChunk(batch: batch, likelihood: model.likelihood)
            let draws = config.evaluationDraws(test)
            func estimate(_ indices: [Int], _ pass: ForwardPass?) {
                let (input, target) = config.batch(test, indices: indices, step: RunConfig.evaluationStep)
                _ = model.importanceWeightedLogLikelihood(
                    input, target: target, indices: indices, samples: samples, chunk: chunk, draws: draws,
                    pass: pass)
            }
            estimate([0], nil)  // warm-up: allocator, BLAS buffers
            let layers = TimeProfile()
            let clock = ContinuousClock()
            var timed = Duration.zero
            var start = 0
            while start < count {
                let indices = Array(start..<min(start + batch, count))
                let pass = ForwardPass(arena: model.arena, trainable: false)
                if profile { pass.profile = layers }
                let began = clock.now
                estimate(indices, pass)
                timed += clock.now - began
                start += indices.count
            }
            let seconds = timed / .seconds(1)
            let flops = 2 * Double(model.decoderMultiplyAdds) * Double(samples * count)
            let decoderRate = flops / seconds / 1e9
            let sgemmRate = Self.sgemmRate()
            if profile {
                print("forward time per layer (\(count) images × \(samples) samples, \(chunk) per chunk):")
                for row in layers.rows {
                    print(
                        "  " + row.name.padding(toLength: 40, withPad: " ", startingAt: 0)
                            + String(format: "%8.3f s %6.1f %%", row.seconds, 100 * row.seconds / seconds))
                }
            }
            print(
                String(
                    format:
                        "{\"images_per_second\": %.4f, \"images\": %d, \"samples\": %d, \"chunk\": %d, "
                        + "\"decoder_mflop_per_sample\": %.3f, \"decoder_gflops\": %.2f, "
                        + "\"sgemm_gflops\": %.2f, \"share_of_sgemm\": %.4f, \"wall_seconds\": %.2f, "
                        + "\"peak_resident_mib\": %d}",
                    Double(count) / seconds, count, samples, chunk,
                    2 * Double(model.decoderMultiplyAdds) / 1e6, decoderRate, sgemmRate,
                    decoderRate / sgemmRate, seconds, peakResidentMiB() ?? -1))
        }
    }

    /// Raw sgemm GFLOP/s on one thread: the median of 7 timings of a 512×512×512 product.
    static func sgemmRate() -> Double {
        let n = 512
        let a = TensorStorage(count: n * n, repeating: 0.5)
        let b = TensorStorage(count: n * n, repeating: 0.25)
        let c = TensorStorage(count: n * n, repeating: 0)
        let clock = ContinuousClock()
        var times: [Double] = []
        for trial in 0..<8 {
            let began = clock.now
            for _ in 0..<10 {
                sgemm(
                    transposeA: false, transposeB: false, m: n, n: n, k: n, a: a.pointer, b: b.pointer,
                    c: c.pointer)
            }
            if trial > 0 { times.append((clock.now - began) / .seconds(1)) }
        }
        let median = times.sorted()[times.count / 2]
        return 2 * Double(n * n * n) * 10 / median / 1e9
    }
}
