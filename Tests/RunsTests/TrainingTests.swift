// Training on small generated data: checkpoints in the documented layout, resume that continues
// exactly as the uninterrupted run, and refusal of checkpoints from another config.

import Datasets
import Foundation
import Models
import NN
import Runs
import Storage
import TensorCore
import Testing
import Training

/// A config over 256 generated 8×8 images, written to `folder`.
func smallRun(_ folder: String, overrides: [String] = []) throws -> RunConfig {
    let train = SyntheticImages.noise(count: 256, channels: 1, height: 8, width: 8, seed: 1)
    let test = SyntheticImages.constant(count: 64, channels: 1, height: 8, width: 8, seed: 2)
    try train.write(to: "\(folder)/train.h5")
    try test.write(to: "\(folder)/test.h5")
    let text = """
        name: small
        seed: 7
        data:
          train: \(folder)/train.h5
          test: \(folder)/test.h5
          binarization: dynamic
        model:
          latent: 4
          hidden: [16]
        training:
          epochs: 2
          batch_size: 32
          evaluation_count: 64
          blas_threads: 1
        evaluation:
          iwae_samples: 20
          iwae_chunk: 7
        """
    return try RunConfig.parse(text, path: "small.yaml", overrides: overrides)
}

@Suite(.serialized) struct TrainingTests {
    @Test func resumeContinuesExactlyAsTheUninterruptedRun() throws {
        let folder = makeTestFolder()
        let config = try smallRun(folder, overrides: ["training.checkpoint_every=5"])
        let straight = try Trainer(config: config, run: RunDirectory("\(folder)/straight"))
        straight.showsProgress = false
        straight.log = { _ in }
        try straight.train(resume: false)

        let interrupted = try Trainer(config: config, run: RunDirectory("\(folder)/resumed"))
        interrupted.showsProgress = false
        interrupted.log = { _ in }
        interrupted.stopAfterStep = 7
        try interrupted.train(resume: false)
        #expect(RunDirectory("\(folder)/resumed").checkpointSteps() == [5, 7])
        let resumed = try Trainer(config: config, run: RunDirectory("\(folder)/resumed"))
        resumed.showsProgress = false
        resumed.log = { _ in }
        try resumed.train(resume: true)

        #expect(straight.model.arena.flatValues().scalars == resumed.model.arena.flatValues().scalars)
        #expect(straight.totalSteps == 16)
        // The metrics log holds one line per epoch.
        let lines = try String(contentsOfFile: "\(folder)/straight/metrics.jsonl", encoding: .utf8)
            .split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines[1].contains("\"test_neg_elbo\""))
        #expect(FileManager.default.fileExists(atPath: "\(folder)/straight/images/samples-epoch-2.png"))
    }

    @Test func refusesToOverwriteAnExistingRun() throws {
        let folder = makeTestFolder()
        let config = try smallRun(folder, overrides: ["training.epochs=1"])
        let trainer = try Trainer(config: config, run: RunDirectory("\(folder)/run"))
        trainer.showsProgress = false
        trainer.log = { _ in }
        try trainer.train(resume: false)
        let again = try Trainer(config: config, run: RunDirectory("\(folder)/run"))
        #expect(throws: ConfigError.self) { try again.train(resume: false) }
    }

    @Test func checkpointLayoutAndRefusalOfAnotherConfig() throws {
        let folder = makeTestFolder()
        let config = try smallRun(folder, overrides: ["training.epochs=1"])
        let trainer = try Trainer(config: config, run: RunDirectory("\(folder)/run"))
        trainer.showsProgress = false
        trainer.log = { _ in }
        let summary = try trainer.train(resume: false)
        let file = try HDF5File.open(summary.checkpoint)
        #expect(try file.members(of: "/params").contains("encoder.fc1.weight"))
        #expect(try file.members(of: "/optimizer/decoder.fc2.bias").sorted() == ["exp_avg", "exp_avg_sq"])
        #expect(try file.stringAttribute("format") == Checkpoint.format)
        #expect(try file.intAttribute("step") == 8)
        #expect(try file.intAttribute("world_size") == 1)
        #expect(try RunConfig.parse(try file.stringAttribute("config"), path: "stored") == config)

        // Same model loads; another latent size is refused with a message naming the mismatch.
        let same = try config.makeModel(imageShape: [1, 8, 8])
        try Checkpoint.load(summary.checkpoint, into: same.arena)
        #expect(same.arena.flatValues().scalars == trainer.model.arena.flatValues().scalars)
        var other = config
        other.model.latent = 5
        let different = try other.makeModel(imageShape: [1, 8, 8])
        #expect(throws: StorageError.self) { try Checkpoint.load(summary.checkpoint, into: different.arena) }

        // A truncated checkpoint is refused, not half-loaded.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: summary.checkpoint))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: "\(folder)/truncated.h5"))
        #expect(throws: StorageError.self) { try Checkpoint.load("\(folder)/truncated.h5", into: same.arena) }
    }

    @Test func dcganNeedsThirtyTwoPixelImages() throws {
        let folder = makeTestFolder()
        let config = try smallRun(folder, overrides: ["model.architecture=dcgan"])
        do {
            _ = try Trainer(config: config, run: RunDirectory("\(folder)/run"))
            Issue.record("accepted 8×8 images for the dcgan model")
        } catch {
            #expect("\(error)".contains("32×32"))
        }
    }
}
