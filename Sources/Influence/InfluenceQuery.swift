// `vaekit influence query`: test gradients are computed once on rank 0 and broadcast; every rank
// scores the shards it owns against every test example (GEMMs, or factored dot products), sums
// over checkpoints with η_c, keeps its local top-K proponents and opponents; rank 0 merges them
// and writes influence.json. `--self` computes every training example's self-influence.

import Autodiff
import Cluster
import Datasets
import Foundation
import Models
import NN
import Runs
import Storage
import TensorCore

/// Which examples to query: `test:0-99`, `train:5,17,40-49`.
public struct ExampleSpec: Equatable, Sendable {
    /// `test` or `train`.
    public var split: String
    /// Indices in that split.
    public var indices: [Int]

    /// The largest index + 1 a spec may name.
    static let indexLimit = 1_000_000_000
    /// The most indices one spec may list.
    static let countLimit = 1_000_000

    /// Parses `split:list` where list items are `a` or `a-b` (inclusive).
    public init(_ text: String) throws {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2, ["test", "train"].contains(parts[0]) else {
            throw ConfigError.badValue(
                path: "--test", key: "split", value: text, expected: "test:LIST or train:LIST, e.g. test:0-99"
            )
        }
        split = parts[0]
        var indices: [Int] = []
        let expected =
            "a or a-b with 0 ≤ a ≤ b < \(ExampleSpec.indexLimit), at most \(ExampleSpec.countLimit) indices in all"
        for item in parts[1].split(separator: ",", omittingEmptySubsequences: false) {
            // Digits only: "-5" and "3-" are not indices, and no bound exceeds the limit.
            let bounds = item.split(separator: "-", omittingEmptySubsequences: false).map { text -> Int? in
                guard (1...10).contains(text.count), text.allSatisfy({ $0.isASCII && $0.isNumber }),
                    let value = Int(text), value < ExampleSpec.indexLimit
                else { return nil }
                return value
            }
            if bounds.count == 1, let value = bounds[0], indices.count < ExampleSpec.countLimit {
                indices.append(value)
            } else if bounds.count == 2, let low = bounds[0], let high = bounds[1], low <= high,
                indices.count + (high - low + 1) <= ExampleSpec.countLimit
            {
                indices.append(contentsOf: low...high)
            } else {
                throw ConfigError.badValue(
                    path: "--test", key: "indices", value: String(item), expected: expected)
            }
        }
        guard !indices.isEmpty else {
            throw ConfigError.badValue(
                path: "--test", key: "indices", value: text, expected: "at least one index")
        }
        self.indices = indices
    }
}

/// One scored training example.
public struct Influence: Codable, Equatable, Sendable {
    /// Training example index.
    public var index: Int
    /// Its label.
    public var label: Int64
    /// The query's score (TracIn Σ_c η_c ⟨g_c(train), g_c(test)⟩, or a normalized one).
    public var score: Float
}

/// The result for one test example.
public struct TestInfluence: Codable, Equatable, Sendable {
    /// `test` or `train`.
    public var split: String
    /// Index in its split.
    public var index: Int
    /// Its label.
    public var label: Int64
    /// Highest scores first.
    public var proponents: [Influence]
    /// Lowest (most negative) scores first.
    public var opponents: [Influence]
}

/// Runs queries against a run's index.
public final class InfluenceQuery {
    let run: RunDirectory
    let communicator: any Communicator
    /// Messages from rank 0.
    public var log: (String) -> Void = { print($0) }
    /// Show progress with ETA on stderr (rank 0, over its own shards).
    public var showsProgress = true
    /// The memory a rank may hold in training gradients at once (bytes); shards are read in
    /// blocks of rows that fit.
    public var maxMemoryBytes = 2 << 30
    /// The preconditioner the caller expects; the index applies its own, and a different one is
    /// refused (nil: the index's).
    public var preconditioner: InfluencePreconditioner?

    /// Row blocks of a shard that fit a third of the memory budget (the rows, their products and
    /// the running sums).
    func chunks(_ reader: GradientShardReader) -> [Range<Int>] {
        let rows = max(1, maxMemoryBytes / 3 / max(reader.floatsPerExample * MemoryLayout<Float>.stride, 1))
        return stride(from: 0, to: reader.count, by: rows).map { $0..<min($0 + rows, reader.count) }
    }

    /// A query runner for `run`.
    public init(run: RunDirectory, communicator: any Communicator) {
        self.run = run
        self.communicator = communicator
    }

    /// The shards this rank scores: shard s goes to rank s mod R, whatever R built the index.
    private func myShards(_ checkpoint: IndexManifest.Checkpoint) -> [IndexManifest.Shard] {
        checkpoint.shards.enumerated().filter { $0.offset % communicator.size == communicator.rank }.map(
            \.element)
    }

    /// Top-`top` proponents and opponents of each example of `spec` under `score`; written to
    /// `influence.json` by rank 0, returned on rank 0 (empty elsewhere). Scores are summed by
    /// training example index over checkpoints, from shards checked against the manifest.
    @discardableResult
    public func query(_ spec: ExampleSpec, top: Int, score: InfluenceScore = .tracin) throws
        -> [TestInfluence]
    {
        let manifest = try IndexManifest.load(run)
        let loaded = try LoadedRun(run, checkpoint: .none, communicator: communicator)
        let (config, data, model) = (loaded.config, loaded.data, try loaded.model)
        try GradientComputer.checkSupported(model.objective)
        // The query role: a training example explained here draws afresh, not the index's draws.
        let split = spec.split == "test" ? data.test : data.train
        let set = split.withDrawSplit(split.drawSplit.query)
        for index in spec.indices where index < 0 || index >= set.count {
            throw ConfigError.badValue(
                path: "--test", key: spec.split, value: "\(index)", expected: "an index in 0..<\(set.count)")
        }
        guard manifest.trainCount == data.train.count else {
            throw StorageError.invalid(
                path: IndexManifest.path(run),
                reason:
                    "the index holds \(manifest.trainCount) training examples, the run has \(data.train.count)"
            )
        }
        let settings = manifest.settings
        if let preconditioner, preconditioner != settings.preconditioner {
            throw ConfigError.mismatch(
                "--preconditioner \(preconditioner.rawValue): the index of \(run.path) was built with "
                    + "\(settings.preconditioner.rawValue); rebuild it with `vaekit influence index --run \(run.path) "
                    + "--preconditioner \(preconditioner.rawValue)`")
        }
        let tests = spec.indices.count
        let clock = ContinuousClock()
        let started = clock.now
        var scores = ScoreTable(tests: tests)
        var testSelf = [Float](repeating: 0, count: tests)
        var pairs = 0
        let shardsPerCheckpoint = myShards(manifest.checkpoints[0]).count
        let display = ProgressDisplay(
            total: manifest.checkpoints.count * shardsPerCheckpoint, label: "query", unit: "shards",
            enabled: showsProgress && communicator.isCoordinator)
        for (position, checkpoint) in manifest.checkpoints.enumerated() {
            let preconditioner = try loaded.preconditioner(settings.preconditioner, step: checkpoint.step)
            let test = try broadcastTestGradients(
                model: model, config: config, settings: settings, step: checkpoint.step, set: set,
                indices: spec.indices, preconditioner: preconditioner)
            let eta = Float(checkpoint.eta)
            for (t, norm) in test.squaredNorms().enumerated() { testSelf[t] += eta * norm }
            for (number, shard) in myShards(checkpoint).enumerated() {
                display.update(
                    done: position * shardsPerCheckpoint + number, message: "checkpoint \(checkpoint.step)")
                let path = "\(run.path)/\(shard.file)"
                let reader = try GradientShardReader(path, expecting: manifest.expectation(checkpoint, shard))
                for rows in chunks(reader) {
                    let train = try reader.gradients(rows)
                    try InfluenceQuery.checkCompatible(train, test, path: path)
                    scores.add(train.dotProducts(with: test) * eta, rows: train.indices, labels: train.labels)
                    if score != .tracin {
                        scores.addSelf(train.squaredNorms().map { $0 * eta }, rows: train.indices)
                    }
                }
                pairs += reader.count * tests
            }
        }
        display.update(done: manifest.checkpoints.count * shardsPerCheckpoint)
        // Local top-K per test example under the chosen score, gathered and merged at rank 0.
        let local = (0..<tests).map { t in
            InfluenceQuery.extremes(scores.influences(test: t, score: score, testSelf: testSelf[t]), top: top)
        }
        let gathered = try communicator.gatherBytes(Array(try JSONEncoder().encode(local)), root: 0)
        var totalPairs = [Double(pairs)]
        try communicator.allReduceSum(&totalPairs)
        guard let gathered else { return [] }
        var merged: [[Influence]] = Array(repeating: [], count: tests)
        for part in gathered {
            let lists = try JSONDecoder().decode([[Influence]].self, from: Data(part))
            for (t, list) in lists.enumerated() { merged[t] += list }
        }
        let results = spec.indices.enumerated().map { t, index -> TestInfluence in
            let sorted = merged[t].sorted { ($0.score, -$0.index) > ($1.score, -$1.index) }
            return TestInfluence(
                split: spec.split, index: index, label: set.labels[index],
                proponents: Array(sorted.prefix(top)),
                opponents: Array(sorted.reversed().prefix(top)))
        }
        let hubs = InfluenceQuery.hubs(results)
        let seconds = (clock.now - started) / .seconds(1)
        try AtomicFile.writeJSON(
            InfluenceReport(
                format: InfluenceReport.currentFormat, mode: manifest.mode,
                checkpoints: manifest.checkpoints.map(\.step),
                etas: manifest.checkpoints.map(\.eta), top: top, tests: results,
                pairsPerSecond: totalPairs[0] / max(seconds, 1e-9), score: score.rawValue, hubs: hubs),
            to: "\(run.path)/influence.json")
        log(
            String(
                format:
                    "scored %d test × %d train examples over %d checkpoint(s) by %@ in %.1f s (%.3g pairs/s, %@ on rank 0); wrote %@",
                tests, manifest.trainCount, manifest.checkpoints.count, score.rawValue, seconds,
                totalPairs[0] / max(seconds, 1e-9), peakMemoryText(), "\(run.path)/influence.json"))
        for hub in hubs {
            log(
                String(
                    format: "warning: train #%d is a top-%d proponent of %d of %d test examples (%.0f %%)",
                    hub.index,
                    top, hub.lists, tests, 100 * Double(hub.lists) / Double(max(tests, 1))))
        }
        return results
    }

    /// Σ_c η_c ‖g_c(x_i)‖² for every training example, gathered at rank 0 into
    /// `self-influence.json` (every value, plus the extremes).
    @discardableResult
    public func selfInfluence(extremes count: Int = 20) throws -> [Float] {
        let manifest = try IndexManifest.load(run)
        var values: [Int: Float] = [:]
        var labels: [Int: Int64] = [:]
        for checkpoint in manifest.checkpoints {
            for shard in myShards(checkpoint) {
                let reader = try GradientShardReader(
                    "\(run.path)/\(shard.file)", expecting: manifest.expectation(checkpoint, shard))
                for rows in chunks(reader) {
                    let train = try reader.gradients(rows)
                    for (row, norm) in train.squaredNorms().enumerated() {
                        values[train.indices[row], default: 0] += Float(checkpoint.eta) * norm
                        labels[train.indices[row]] = train.labels[row]
                    }
                }
            }
        }
        let mine = values.keys.sorted().map {
            Influence(index: $0, label: labels[$0] ?? -1, score: values[$0] ?? 0)
        }
        guard let gathered = try communicator.gatherBytes(Array(try JSONEncoder().encode(mine)), root: 0)
        else { return [] }
        var all: [Influence] = []
        for part in gathered { all += try JSONDecoder().decode([Influence].self, from: Data(part)) }
        all.sort { $0.index < $1.index }
        guard all.map(\.index) == Array(0..<manifest.trainCount) else {
            throw StorageError.invalid(
                path: IndexManifest.path(run),
                reason: "self-influence covers \(all.count) examples, the index \(manifest.trainCount)")
        }
        let ranked = all.sorted { ($0.score, -$0.index) > ($1.score, -$1.index) }
        try AtomicFile.writeJSON(
            SelfInfluenceReport(
                format: SelfInfluenceReport.currentFormat, mode: manifest.mode,
                checkpoints: manifest.checkpoints.map(\.step),
                highest: Array(ranked.prefix(count)), lowest: Array(ranked.reversed().prefix(count)),
                values: all.map(\.score)),
            to: "\(run.path)/self-influence.json")
        log("self-influence of \(all.count) training examples; wrote \(run.path)/self-influence.json")
        return all.map(\.score)
    }

    /// Training and test gradients must come from the same layers (factors) or the same sketch
    /// width (projected, dense).
    static func checkCompatible(_ train: ExampleGradients, _ test: ExampleGradients, path: String) throws {
        let trainWidth = train.vectors?.shape[1] ?? train.factors.count
        let testWidth = test.vectors?.shape[1] ?? test.factors.count
        guard trainWidth == testWidth, (train.vectors == nil) == (test.vectors == nil) else {
            throw StorageError.invalid(
                path: path,
                reason:
                    "its gradients have width \(trainWidth), the model's query gradients \(testWidth) (an index of another model?)"
            )
        }
    }

    /// Training examples that are top proponents in more than 5 % of the lists (at least 2).
    static func hubs(_ results: [TestInfluence]) -> [InfluenceHub] {
        var counts: [Int: Int] = [:]
        for result in results {
            for proponent in result.proponents { counts[proponent.index, default: 0] += 1 }
        }
        let threshold = max(1, Int((0.05 * Double(results.count)).rounded(.down)))
        return counts.filter { $0.value > threshold }
            .map { InfluenceHub(index: $0.key, lists: $0.value) }
            .sorted { ($0.lists, -$0.index) > ($1.lists, -$1.index) }
    }

    /// The `top` highest and `top` lowest of a list.
    static func extremes(_ list: [Influence], top: Int) -> [Influence] {
        guard list.count > 2 * top else { return list }
        let sorted = list.sorted { ($0.score, -$0.index) > ($1.score, -$1.index) }
        return Array(sorted.prefix(top)) + Array(sorted.suffix(top))
    }

    /// Rank 0 computes the test gradients; every rank receives them.
    private func broadcastTestGradients(
        model: VAE, config: RunConfig, settings: InfluenceSettings, step: Int, set: ImageDataset,
        indices: [Int], preconditioner: AdamPreconditioner?
    ) throws -> ExampleGradients {
        var gradients = ExampleGradients(
            indices: indices, labels: indices.map { set.labels[$0] }, factors: [], vectors: nil)
        var computer = GradientComputer(
            model: model, config: config, settings: settings, checkpointStep: step)
        computer.preconditioner = preconditioner
        var local: ExampleGradients?
        if communicator.isCoordinator { local = computer.gradients(set, indices: indices) }
        if communicator.size == 1, let local { return local }
        // Shapes first (rank 0's), then the values.
        var tensors: [Tensor] =
            local.map { l in l.vectors.map { [$0] } ?? l.factors.flatMap { [$0.inputs, $0.outputGradients] } }
            ?? []
        var header =
            [Int64(tensors.count)] + tensors.flatMap { [Int64($0.rank)] + $0.shape.map { Int64($0) } }
        var length = [Int64(header.count)]
        try communicator.broadcast(&length, root: 0)
        if !communicator.isCoordinator { header = [Int64](repeating: 0, count: Int(length[0])) }
        try communicator.broadcast(&header, root: 0)
        if !communicator.isCoordinator {
            var cursor = 1
            tensors = (0..<Int(header[0])).map { _ in
                let rank = Int(header[cursor])
                let shape = header[(cursor + 1)...(cursor + rank)].map { Int($0) }
                cursor += rank + 1
                return Tensor.zeros(shape)
            }
        }
        for index in tensors.indices {
            try tensors[index].withUnsafeMutableBufferPointer { buffer in
                try communicator.broadcast(UnsafeMutableRawBufferPointer(buffer), root: 0)
            }
        }
        if settings.mode == .factors {
            let template = computer.layerTemplates()
            gradients.factors = template.enumerated().map { position, factor in
                var copy = factor
                copy.inputs = tensors[2 * position]
                copy.outputGradients = tensors[2 * position + 1]
                return copy
            }
        } else {
            gradients.vectors = tensors.first
        }
        return gradients
    }

}

/// `influence.json`.
public struct InfluenceReport: Codable, Sendable, VersionedJSON {
    /// The format this build writes and reads; another is refused by name.
    public static let currentFormat = "vaekit-influence-2"
    /// Format tag.
    public var format: String
    /// Gradient mode of the index.
    public var mode: String
    /// Checkpoint steps summed over.
    public var checkpoints: [Int]
    /// η_c of each checkpoint.
    public var etas: [Double]
    /// Proponents and opponents kept per test example.
    public var top: Int
    /// Per test example.
    public var tests: [TestInfluence]
    /// Train × test pairs scored per second.
    public var pairsPerSecond: Double
    /// The score ranked by (`tracin` when absent: files written before scores were chosen).
    public var score: String?
    /// Training examples among the proponents of more than 5 % of the test examples.
    public var hubs: [InfluenceHub]?
}

/// A training example that is a top proponent of many test examples.
public struct InfluenceHub: Codable, Equatable, Sendable {
    /// Training example index.
    public var index: Int
    /// In how many of the proponent lists it appears.
    public var lists: Int
}

/// `self-influence.json`.
public struct SelfInfluenceReport: Codable, Sendable, VersionedJSON {
    /// The format this build writes and reads; another is refused by name.
    public static let currentFormat = "vaekit-self-influence-2"
    /// Format tag.
    public var format: String
    /// Gradient mode of the index.
    public var mode: String
    /// Checkpoint steps summed over.
    public var checkpoints: [Int]
    /// The most self-influential training examples.
    public var highest: [Influence]
    /// The least.
    public var lowest: [Influence]
    /// Every training example's self-influence, by index.
    public var values: [Float]
}

extension GradientComputer {
    /// The capturing layers' factor metadata (names, layouts, parameter indices), from a
    /// one-example pass.
    func layerTemplates() -> [GradientFactor] {
        let probe = Tensor.zeros([1] + model.imageShape)
        var settingsOne = settings
        settingsOne.samples = 1
        let pass = ForwardPass(arena: model.arena, capturePerExample: true)
        let terms = model.elbo(
            probe,
            target: LikelihoodTarget(values: probe, classes: [Int](repeating: 0, count: model.pixelCount)),
            noise: Tensor.zeros([1, model.latentCount]), pass)
        return pass.captureFactors(of: terms.loss(beta: 1).sum())
    }
}
