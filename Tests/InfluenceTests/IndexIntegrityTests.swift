// The index is a database: every way a shard or the manifest can disagree is refused with the
// shard and the mismatch named, a rebuild never destroys the previous index, and an interrupted
// build resumes from its next checkpoint to the same index as an uninterrupted one.

import Cluster
import Foundation
import Influence
import Runs
import Storage
import Testing
import VAEKitTestSupport

@Suite(.serialized) struct IndexIntegrityTests {
    let trained = TrainedRun.shared

    /// A copy of the trained run (config and checkpoints) in a fresh folder.
    func copyOfTheRun(_ name: String = #function) throws -> RunDirectory {
        let folder = makeTestFolder(name)
        let copy = RunDirectory("\(folder)/run")
        try copy.create()
        try FileManager.default.copyItem(atPath: trained.run.configPath, toPath: copy.configPath)
        for step in trained.run.checkpointSteps() {
            try FileManager.default.copyItem(
                atPath: trained.run.checkpointPath(step: step), toPath: copy.checkpointPath(step: step))
        }
        return copy
    }

    func build(_ run: RunDirectory, resume: Bool = false, memory: Int = 2 << 30) throws -> IndexManifest {
        var settings = InfluenceSettings()
        settings.mode = .projected
        settings.samples = 2
        settings.projectionDimension = 16
        let builder = InfluenceIndexBuilder(run: run, settings: settings, communicator: LocalCommunicator())
        builder.resume = resume
        builder.maxMemoryBytes = memory
        builder.log = { _ in }
        builder.showsProgress = false
        return try builder.build()
    }

    func query(_ run: RunDirectory) throws -> [TestInfluence] {
        let query = InfluenceQuery(run: run, communicator: LocalCommunicator())
        query.log = { _ in }
        query.showsProgress = false
        return try query.query(try ExampleSpec("test:0-4"), top: 5)
    }

    func editManifest(_ run: RunDirectory, _ edit: (inout [String: Any]) -> Void) throws {
        let path = IndexManifest.path(run)
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        var object = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
        edit(&object)
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: path))
    }

    /// The query fails, and its error names `expected`.
    func expectRefusal(_ run: RunDirectory, naming expected: [String], _ comment: Comment) {
        do {
            _ = try query(run)
            Issue.record("the query accepted: \(comment)")
        } catch {
            for text in expected { #expect("\(error)".contains(text), "\(comment): \(error)") }
        }
    }

    @Test func manifestClaimsAreChecked() throws {
        let run = try copyOfTheRun()
        _ = try build(run)
        try editManifest(run) { $0["mode"] = "bogus" }
        expectRefusal(run, naming: ["bogus", "factors, projected, dense"], "mode bogus")
        let shard = try build(run).checkpoints[0].shards[0].file
        // A duplicated shard, and shards out of order, do not partition the training set.
        try editManifest(run) { object in
            var checkpoints = object["checkpoints"] as? [[String: Any]] ?? []
            var shards = checkpoints[0]["shards"] as? [[String: Any]] ?? []
            shards.append(shards[0])
            checkpoints[0]["shards"] = shards
            object["checkpoints"] = checkpoints
        }
        expectRefusal(run, naming: ["partition", shard], "a duplicated shard")
        _ = try build(run)
        try editManifest(run) { object in
            var checkpoints = object["checkpoints"] as? [[String: Any]] ?? []
            checkpoints.swapAt(0, 1)
            object["checkpoints"] = checkpoints
        }
        expectRefusal(run, naming: ["ascending"], "checkpoints out of order")
        _ = try build(run)
        try editManifest(run) { object in
            var checkpoints = object["checkpoints"] as? [[String: Any]] ?? []
            var shards = checkpoints[1]["shards"] as? [[String: Any]] ?? []
            shards[0]["file"] = "../../elsewhere.h5"
            checkpoints[1]["shards"] = shards
            object["checkpoints"] = checkpoints
        }
        expectRefusal(run, naming: ["not inside gradients/"], "a shard outside the index")
    }

    @Test func shardsAreCheckedAgainstTheManifest() throws {
        let run = try copyOfTheRun()
        let manifest = try build(run)
        let first = "\(run.path)/\(manifest.checkpoints[0].shards[0].file)"
        let second = "\(run.path)/\(manifest.checkpoints[1].shards[0].file)"
        let saved = "\(first).saved"
        try FileManager.default.copyItem(atPath: first, toPath: saved)
        // A stale shard: another checkpoint's file in this checkpoint's place.
        try FileManager.default.removeItem(atPath: first)
        try FileManager.default.copyItem(atPath: second, toPath: first)
        expectRefusal(run, naming: [first, "checkpoint_step", "another checkpoint"], "a stale shard")
        // A dropped shard.
        try FileManager.default.removeItem(atPath: first)
        expectRefusal(run, naming: [first], "a missing shard")
        try FileManager.default.copyItem(atPath: saved, toPath: first)
        #expect(try query(run).count == 5)
        // Another projection size than the manifest says.
        try editManifest(run) { $0["projection_dimension"] = 32 }
        expectRefusal(run, naming: ["projection", "32", "16"], "another projection")
    }

    @Test func shardExamplesMustBeExactlyTheirRange() throws {
        let run = try copyOfTheRun()
        let manifest = try build(run)
        let checkpoint = manifest.checkpoints[0]
        let shard = checkpoint.shards[0]
        var expectation = ShardExpectation(
            settings: manifest.settings, checkpointStep: checkpoint.step, eta: checkpoint.eta,
            examples: shard.first..<shard.end)
        let path = "\(run.path)/\(shard.file)"
        #expect(try GradientShard.read(path, expecting: expectation).count == 400)
        expectation.examples = 0..<399
        do {
            _ = try GradientShard.read(path, expecting: expectation)
            Issue.record("accepted a shard with an example the manifest does not list")
        } catch {
            #expect("\(error)".contains(path) && "\(error)".contains("0..<399"))
        }
        expectation.examples = 0..<400
        expectation.eta *= 2
        #expect(throws: StorageError.self) { try GradientShard.read(path, expecting: expectation) }
    }

    @Test func aFailedRebuildLeavesTheIndexAndResumeFinishesIt() throws {
        let run = try copyOfTheRun()
        _ = try build(run)
        let before = try query(run)
        // Rebuild with the last checkpoint unreadable: the build fails after two checkpoints.
        let last = run.checkpointPath(step: 30)
        let saved = "\(last).saved"
        try FileManager.default.moveItem(atPath: last, toPath: saved)
        try Data("not HDF5".utf8).write(to: URL(fileURLWithPath: last))
        #expect(throws: (any Error).self) { try build(run) }
        try FileManager.default.removeItem(atPath: last)
        try FileManager.default.moveItem(atPath: saved, toPath: last)
        // The previous index is still whole and answers the same.
        #expect(try query(run) == before)
        // Resume the unfinished build: it computes the last checkpoint only.
        let resumed = try build(run, resume: true)
        #expect(resumed.checkpoints.map(\.step) == [10, 20, 30])
        #expect(resumed.checkpoints.allSatisfy { $0.shards[0].file.hasPrefix("gradients/gen-2/") })
        let folders = try FileManager.default.contentsOfDirectory(atPath: "\(run.path)/gradients").sorted()
        #expect(folders == ["gen-2", "manifest.json"])
        // The same scores as an uninterrupted build.
        #expect(try query(run) == before)
        // Resuming with nothing unfinished builds anew.
        #expect(
            try build(run, resume: true).checkpoints.first?.shards.first?.file.hasPrefix("gradients/gen-3/")
                == true)
    }

    @Test(arguments: [GradientMode.projected, .factors])
    func boundedMemoryWritesAndReadsInChunksToTheSameScores(_ mode: GradientMode) throws {
        var settings = InfluenceSettings()
        settings.mode = mode
        settings.samples = 2
        settings.projectionDimension = 16
        func index(_ run: RunDirectory, memory: Int) throws -> [TestInfluence] {
            let builder = InfluenceIndexBuilder(
                run: run, settings: settings, communicator: LocalCommunicator())
            builder.log = { _ in }
            builder.showsProgress = false
            builder.maxMemoryBytes = memory
            try builder.build()
            let query = InfluenceQuery(run: run, communicator: LocalCommunicator())
            query.log = { _ in }
            query.showsProgress = false
            query.maxMemoryBytes = memory
            return try query.query(try ExampleSpec("test:0-4"), top: 5)
        }
        let whole = try index(try copyOfTheRun("whole-\(mode)"), memory: 2 << 30)
        // A budget of a few examples' gradients: the shard is written and read ~30 rows at a time.
        let floats = mode == .projected ? 2 * 16 * 4 : 2 * (36 + 12 + 12 + 3 + 3 + 12 + 12 + 36) * 2
        let chunked = try index(try copyOfTheRun("chunked-\(mode)"), memory: 90 * floats * 4)
        for (a, b) in zip(whole, chunked) {
            #expect(a.proponents.map(\.index) == b.proponents.map(\.index))
            for (x, y) in zip(a.proponents, b.proponents) {
                #expect(abs(x.score - y.score) <= 1e-5 * max(1, abs(x.score)))
            }
        }
        #expect(throws: ConfigError.self) { try index(try copyOfTheRun("tiny-\(mode)"), memory: 16) }
    }

    @Test func float16StorageHalvesTheVectorsAndKeepsTheScores() throws {
        var settings = InfluenceSettings()
        settings.samples = 2
        settings.projectionDimension = 64
        func index(_ storage: GradientStorage) throws -> (RunDirectory, [TestInfluence]) {
            let run = try copyOfTheRun("storage-\(storage)")
            settings.storage = storage
            let builder = InfluenceIndexBuilder(
                run: run, settings: settings, communicator: LocalCommunicator())
            builder.log = { _ in }
            builder.showsProgress = false
            try builder.build()
            return (run, try query(run))
        }
        let (single, full) = try index(.float32)
        let (half, rounded) = try index(.float16)
        let path = { (run: RunDirectory) in
            "\(run.path)/\(try IndexManifest.load(run).checkpoints[0].shards[0].file)"
        }
        let shard = try HDF5File.open(try path(half))
        #expect(try shard.describe("/projected").type == .float16)
        #expect(try shard.stringAttribute("storage") == "float16")
        let bytes = { (file: String) in
            ((try? FileManager.default.attributesOfItem(atPath: file))?[.size] as? Int) ?? 0
        }
        #expect(bytes(try path(half)) < bytes(try path(single)) * 3 / 4)
        for (a, b) in zip(full, rounded) {
            for (x, y) in zip(a.proponents, b.proponents) where x.index == y.index {
                #expect(abs(x.score - y.score) <= 2e-3 * max(abs(x.score), 1e-6))
            }
        }
        // A manifest that claims float32 for float16 shards is refused by the shard check.
        try editManifest(half) { $0["storage"] = "float32" }
        expectRefusal(half, naming: ["storage", "float16"], "storage mismatch")
    }

    @Test func selfInfluenceCountsEveryExampleOnce() throws {
        let run = try copyOfTheRun()
        _ = try build(run)
        let query = InfluenceQuery(run: run, communicator: LocalCommunicator())
        query.log = { _ in }
        query.showsProgress = false
        #expect(try query.selfInfluence().count == 400)
    }
}

@Suite struct ExampleSpecTests {
    @Test func specsParseListsAndRanges() throws {
        #expect(try ExampleSpec("test:0-3,7").indices == [0, 1, 2, 3, 7])
        #expect(try ExampleSpec("train:5").split == "train")
    }

    /// Negative numbers, open ranges, empty items, huge bounds and huge counts are refused by
    /// name instead of being read as something else, trapping or allocating gigabytes.
    @Test func malformedOrHugeSpecsAreRefused() {
        for text in [
            "test:-5", "test:3-", "test:-", "test:1,,2", "test:", "test:5-3", "test:0-9223372036854775807",
            "test:0-4000000000", "test:0-999999999", "test:+3", "test:٣", "val:3", "test:1-2-3",
        ] {
            #expect(throws: ConfigError.self, "\(text)") { try ExampleSpec(text) }
        }
    }
}
