// Seeded mutations of every file and text a user can feed VAEKit — byte flips, truncations,
// extensions and header edits — given to the reader that takes it. A reader may accept a
// mutation or refuse it with an error; it must not crash, hang or allocate what a header merely
// claims (a crash ends this test process, so finishing is the check). VAEKIT_FUZZ_CASES sets
// the cases per reader (default 2,000; bench/fuzz.sh runs 100,000).

import CZlib
import Cluster
import Datasets
import Foundation
import Influence
import OOD
import Runs
import Storage
import Testing
import VAEKitTestSupport

/// A small deterministic generator (SplitMix64): the fuzz cases are the same on every run.
struct Mutator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(max(n, 1))) }

    /// One mutation of `bytes`: flips, a truncation, an extension, or header bytes set to
    /// extreme values.
    mutating func mutate(_ bytes: [UInt8]) -> [UInt8] {
        var out = bytes
        switch below(5) {
        case 0:
            for _ in 0..<(1 + below(8)) where !out.isEmpty { out[below(out.count)] ^= UInt8(1 << below(8)) }
        case 1: out = Array(out.prefix(below(out.count + 1)))
        case 2: out += (0..<(1 + below(64))).map { _ in UInt8(truncatingIfNeeded: next()) }
        case 3:
            let extremes: [UInt8] = [0x00, 0xFF, 0x7F, 0x80, 0x01]
            for _ in 0..<(1 + below(6)) where !out.isEmpty {
                out[below(min(out.count, 96))] = extremes[below(extremes.count)]
            }
        default:
            for _ in 0..<(1 + below(3)) where !out.isEmpty {
                out[below(out.count)] = UInt8(truncatingIfNeeded: next())
            }
        }
        return out
    }
}

/// Turns a hang into a failure that names the case: a case that runs for more than 30 s ends
/// the process with its description (a hung reader would otherwise stall the suite until CI's
/// time limit).
final class FuzzWatchdog: @unchecked Sendable {
    static let shared = FuzzWatchdog()
    private let lock = NSLock()
    private var current = ""
    private var started = Date()

    private init() {
        let thread = Thread { [unowned self] in
            while true {
                Thread.sleep(forTimeInterval: 1)
                self.lock.lock()
                let (name, elapsed) = (self.current, Date().timeIntervalSince(self.started))
                self.lock.unlock()
                if !name.isEmpty, elapsed > 30 {
                    FileHandle.standardError.write(Data("fuzz case hung for 30 s: \(name)\n".utf8))
                    exit(70)
                }
            }
        }
        thread.start()
    }

    /// Marks the start of a case (`""` when none is running).
    func begin(_ name: String) {
        lock.lock()
        current = name
        started = Date()
        lock.unlock()
    }
}

@Suite(.serialized) struct ReaderFuzzTests {
    static let cases = Int(ProcessInfo.processInfo.environment["VAEKIT_FUZZ_CASES"] ?? "") ?? 2000

    /// Runs `read` on `cases` mutations of `base` written to a file; returns (accepted, refused).
    static func fuzzFile(_ base: [UInt8], seed: UInt64, suffix: String, read: (String) throws -> Void) -> (
        Int, Int
    ) {
        let folder = makeTestFolder("fuzz-\(seed)")
        var mutator = Mutator(state: seed)
        var counts = (0, 0)
        for index in 0..<cases {
            let path = "\(folder)/case-\(index % 8)\(suffix)"
            FileManager.default.createFile(atPath: path, contents: Data(mutator.mutate(base)))
            if ProcessInfo.processInfo.environment["VAEKIT_FUZZ_TRACE"] != nil {
                FileHandle.standardError.write(Data("fuzz case \(index): \(path)\n".utf8))
            }
            FuzzWatchdog.shared.begin("seed \(seed), case \(index), \(path)")
            defer { FuzzWatchdog.shared.begin("") }
            do {
                try read(path)
                counts.0 += 1
            } catch { counts.1 += 1 }
        }
        return counts
    }

    /// Runs `parse` on `cases` mutations of `base` as text.
    static func fuzzText(_ base: String, seed: UInt64, parse: (String) throws -> Void) -> (Int, Int) {
        var mutator = Mutator(state: seed)
        var counts = (0, 0)
        for index in 0..<cases {
            FuzzWatchdog.shared.begin("seed \(seed), text case \(index)")
            defer { FuzzWatchdog.shared.begin("") }
            do {
                try parse(String(decoding: mutator.mutate(Array(base.utf8)), as: UTF8.self))
                counts.0 += 1
            } catch { counts.1 += 1 }
        }
        return counts
    }

    static func bytes(_ path: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    @Test func idxPlainAndGzip() throws {
        let folder = makeTestFolder()
        var idx: [UInt8] = [0, 0, 8, 3, 0, 0, 0, 4, 0, 0, 0, 6, 0, 0, 0, 5]
        idx += (0..<120).map { UInt8($0 * 2) }
        let plain = ReaderFuzzTests.fuzzFile(idx, seed: 1, suffix: ".idx") { _ = try IDXFile.read($0) }
        let file = gzopen("\(folder)/base.gz", "wb")
        _ = idx.withUnsafeBytes { gzwrite(file, $0.baseAddress, UInt32($0.count)) }
        gzclose(file)
        let gzip = ReaderFuzzTests.fuzzFile(
            try ReaderFuzzTests.bytes("\(folder)/base.gz"), seed: 2, suffix: ".gz"
        ) {
            _ = try IDXFile.read($0)
        }
        #expect(plain.0 + plain.1 == ReaderFuzzTests.cases && gzip.0 + gzip.1 == ReaderFuzzTests.cases)
        #expect(plain.1 > 0 && gzip.1 > 0, "no mutation was refused: the fuzzer is not reaching the checks")
    }

    /// Mutations of a dataset file and a checkpoint. Found by this test (seed 3, case 44): a
    /// global heap object whose size was corrupted crashed libhdf5 in H5HG_read before
    /// `HDF5File.checkGlobalHeaps` refused such files.
    @Test
    func hdf5DatasetsAndCheckpoints() throws {
        let folder = makeTestFolder()
        let set = SyntheticImages.noise(count: 12, channels: 1, height: 4, width: 4, seed: 3)
        try set.write(to: "\(folder)/set.h5")
        let datasets = ReaderFuzzTests.fuzzFile(
            try ReaderFuzzTests.bytes("\(folder)/set.h5"), seed: 3, suffix: ".h5"
        ) {
            _ = try ImageDataset.read($0)
        }
        let tiny = try TinyRun.small(overrides: ["training.epochs=1"])
        try tiny.trainer().train(resume: false)
        let checkpoint = try #require(tiny.directory().latestCheckpoint)
        let checkpoints = ReaderFuzzTests.fuzzFile(
            try ReaderFuzzTests.bytes(checkpoint), seed: 4, suffix: ".h5"
        ) {
            let loaded = try LoadedRun(checkpointFile: $0)
            _ = try loaded.model
        }
        // A foreign file as `data import` reads it: N×H×W×3 floats in [0, 1] and uint8 labels.
        let foreign = "\(folder)/foreign.h5"
        try HDF5File.create(atomicallyAt: foreign) { file in
            try file.write(
                "/images", floats: (0..<(6 * 4 * 4 * 3)).map { Float($0 % 7) / 7 }, shape: [6, 4, 4, 3])
            try file.write("/labels", bytes: [0, 1, 2, 3, 4, 5], shape: [6])
        }
        let imports = ReaderFuzzTests.fuzzFile(try ReaderFuzzTests.bytes(foreign), seed: 12, suffix: ".h5") {
            _ = try ImageDataset.importHDF5($0, layout: .auto, source: "fuzz", split: "fuzz")
        }
        #expect(datasets.1 > 0 && checkpoints.1 > 0 && imports.1 > 0)
    }

    /// Mutations of an index shard under a valid manifest, read by a query (which also checks the
    /// shard's attributes against the manifest), and of `influence.json` as the report reads it.
    @Test func indexShardsAndInfluenceResults() throws {
        let tiny = try TinyRun.small(overrides: ["training.epochs=1"])
        try tiny.trainer().train(resume: false)
        let run = tiny.directory()
        var settings = InfluenceSettings()
        settings.mode = .projected
        settings.samples = 2
        settings.projectionDimension = 16
        let builder = InfluenceIndexBuilder(run: run, settings: settings, communicator: LocalCommunicator())
        builder.log = { _ in }
        builder.showsProgress = false
        let manifest = try builder.build()
        let shard = try #require(manifest.checkpoints.first?.shards.first?.file)
        let shardPath = "\(run.path)/\(shard)"
        let original = try ReaderFuzzTests.bytes(shardPath)
        let query = InfluenceQuery(run: run, communicator: LocalCommunicator())
        query.log = { _ in }
        query.showsProgress = false
        _ = try query.query(try ExampleSpec("test:0-1"), top: 3)
        let results = try String(contentsOfFile: "\(run.path)/influence.json", encoding: .utf8)
        var mutator = Mutator(state: 10)
        var refused = 0
        for index in 0..<ReaderFuzzTests.cases {
            FuzzWatchdog.shared.begin("seed 10, shard case \(index)")
            FileManager.default.createFile(atPath: shardPath, contents: Data(mutator.mutate(original)))
            do { _ = try query.query(try ExampleSpec("test:0-1"), top: 3) } catch { refused += 1 }
        }
        FuzzWatchdog.shared.begin("")
        let decoded = ReaderFuzzTests.fuzzText(results, seed: 11) {
            _ = try AtomicFile.decodeJSON(InfluenceReport.self, from: Data($0.utf8), path: "fuzz.json")
        }
        #expect(refused > 0 && decoded.1 > 0)
    }

    @Test func configTextAndOverrides() throws {
        let text = try String(contentsOfFile: "configs/demo.yaml", encoding: .utf8)
        let configs = ReaderFuzzTests.fuzzText(text, seed: 5) {
            _ = try RunConfig.parse($0, path: "fuzz.yaml")
        }
        let overrides = ReaderFuzzTests.fuzzText("training.epochs=3", seed: 6) {
            _ = try RunConfig.parse("", path: "fuzz.yaml", overrides: [$0])
        }
        #expect(configs.1 > 0 && overrides.1 > 0)
    }

    @Test func jsonFilesOfTheReportAndTheIndex() throws {
        let manifest = """
            {"checkpoints": [{"eta": 0.001, "shards": [{"end": 30, "file": "gradients/gen-1/ckpt-4/rank-0.h5", \
            "first": 0, "rank": 0}], "step": 4}], "code_version": "0.1.0", "format": "vaekit-gradient-index-4", \
            "mode": "projected", "preconditioner": "adam", "projection_dimension": 256, "projection_seed": 31425, \
            "samples": 16, "storage": "float32", "train_count": 30, "world_size": 1}
            """
        let decoded = ReaderFuzzTests.fuzzText(manifest, seed: 7) {
            let value = try AtomicFile.decodeJSON(IndexManifest.self, from: Data($0.utf8), path: "fuzz.json")
            try value.validate(path: "manifest.json")
        }
        // ood.json of a real (tiny) run, as the report reads it.
        let tiny = try TinyRun.small(overrides: ["training.epochs=1"])
        try tiny.trainer().train(resume: false)
        try tiny.oodRunner(count: 4, samples: 2, steps: 1, resamples: 10).score(
            inDistribution: "test", outOfDistribution: ["noise"])
        let ood = try String(contentsOfFile: "\(tiny.directory().path)/ood.json", encoding: .utf8)
        let oodDecoded = ReaderFuzzTests.fuzzText(ood, seed: 8) {
            _ = try AtomicFile.decodeJSON(OODReport.self, from: Data($0.utf8), path: "fuzz.json")
        }
        #expect(decoded.1 > 0 && oodDecoded.1 > 0)
    }

    @Test func exampleSpecs() {
        let specs = ReaderFuzzTests.fuzzText("test:0-99,120,7-9", seed: 9) { _ = try ExampleSpec($0) }
        #expect(specs.0 > 0 && specs.1 > 0)
    }
}
