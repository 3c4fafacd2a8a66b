// LoadedRun, the one way to open a run: the checkpoint choices, the run of a checkpoint file,
// refusals that name what is missing, and parameter counts from the config alone.

import Datasets
import Foundation
import Models
import Runs
import Storage
import Testing
import VAEKitTestSupport

@Suite struct LoadedRunTests {
    @Test func opensTheChosenCheckpoint() throws {
        let tiny = try TinyRun.small(overrides: ["training.checkpoint_every=3", "training.epochs=1"])
        let trainer = try tiny.trainer()
        try trainer.train(resume: false)
        let directory = tiny.directory()
        #expect(directory.checkpointSteps() == [3, 6, 8])

        let newest = try LoadedRun(directory)
        #expect(newest.checkpoint?.step == 8)
        #expect(try newest.model.arena.flatValues().scalars == trainer.model.arena.flatValues().scalars)
        #expect(newest.data.train.drawSplit == .train && newest.data.test.drawSplit == .test)
        #expect(newest.trainShare == 0..<256)

        let third = try LoadedRun(directory, checkpoint: .step(3))
        #expect(third.checkpoint?.step == 3 && third.checkpoint?.stepsSincePrevious == 3)
        let none = try LoadedRun(directory, checkpoint: .none)
        #expect(none.checkpoint == nil && none.checkpointPath == nil)
        #expect(try none.load(.step(6))?.step == 6)

        // A checkpoint file opens its run with the config stored inside it.
        let file = try LoadedRun(checkpointFile: directory.checkpointPath(step: 6))
        #expect(file.directory.path == directory.path)
        #expect(file.config == tiny.config && file.checkpoint?.step == 6)

        do {
            try none.load(.step(5))
            Issue.record("loaded a checkpoint that does not exist")
        } catch {
            #expect("\(error)".contains("checkpoint-5.h5") && "\(error)".contains("[3, 6, 8]"))
        }
        #expect(throws: ConfigError.self) { try LoadedRun(tiny.directory("empty"), checkpoint: .none) }
    }

    @Test func runWithoutCheckpointsIsRefusedByName() throws {
        let tiny = try TinyRun.small()
        let directory = tiny.directory("fresh")
        try directory.create()
        try AtomicFile.write(tiny.config.yaml, to: directory.configPath)
        #expect(try LoadedRun(directory, checkpoint: .none).checkpoint == nil)
        do {
            _ = try LoadedRun(directory)
            Issue.record("opened the newest checkpoint of a run without checkpoints")
        } catch {
            #expect("\(error)".contains("no checkpoint"))
        }
    }

    @Test(arguments: [
        ["model.hidden=[5, 3]"], ["model.likelihood=gaussian_learned"], ["model.likelihood=categorical256"],
        ["objective.kind=hvae", "objective.tempering=free"],
        ["objective.kind=supervised", "model.latent=4", "objective.supervised_latents=2"],
        ["model.architecture=dcgan", "model.width=4", "model.latent=3"],
    ])
    func parameterCountsComeFromTheConfig(_ overrides: [String]) throws {
        let config = try RunConfig.parse("", path: "count.yaml", overrides: overrides)
        let shape = config.model.architecture == .dcgan ? [1, 32, 32] : [1, 6, 6]
        let model = try config.makeModel(imageShape: shape)
        #expect(config.parameterCount(imageShape: shape) == model.arena.count)
    }

    @Test func checkpointFolders() {
        #expect(RunDirectory.folder(ofCheckpoint: "runs/a/checkpoints/checkpoint-5.h5") == "runs/a")
        #expect(RunDirectory.folder(ofCheckpoint: "/x/checkpoints/checkpoint-5.h5") == "/x")
        #expect(RunDirectory.folder(ofCheckpoint: "checkpoints/checkpoint-5.h5") == ".")
        #expect(RunDirectory.folder(ofCheckpoint: "/data/c.h5") == "/data")
        #expect(RunDirectory.folder(ofCheckpoint: "c.h5") == ".")
    }
}

@Suite struct TrainingHistoryTests {
    static func session(_ started: String, last: Int, completed: Bool) -> TrainingSession {
        TrainingSession(
            started: started, wallSeconds: 1, ranks: 1, workersPerRank: 1, firstStep: 0, lastStep: last,
            examplesPerSecond: 1, finalTrainLoss: nil, testNegativeELBO: nil, host: "h", completed: completed)
    }

    /// An invocation's record is rewritten at each checkpoint (so a killed one keeps its record
    /// to its last checkpoint) and replaced, not duplicated, when it finishes.
    @Test func anInvocationKeepsOneRecordUpdatedAtCheckpoints() throws {
        let directory = RunDirectory(makeTestFolder())
        try directory.create()
        try directory.recordTrainingSession(Self.session("t1", last: 4, completed: false), fresh: true)
        #expect(
            try directory.loadTrainingHistory().sessions == [Self.session("t1", last: 4, completed: false)])
        try directory.recordTrainingSession(Self.session("t1", last: 8, completed: false), fresh: true)
        // Killed here: the record says step 8, not finished. A resumed invocation appends its own.
        try directory.recordTrainingSession(Self.session("t2", last: 12, completed: true), fresh: false)
        #expect(
            try directory.loadTrainingHistory().sessions == [
                Self.session("t1", last: 8, completed: false), Self.session("t2", last: 12, completed: true),
            ])
        // A fresh run starts the history over.
        try directory.recordTrainingSession(Self.session("t3", last: 2, completed: true), fresh: true)
        #expect(
            try directory.loadTrainingHistory().sessions == [Self.session("t3", last: 2, completed: true)])
    }
}
