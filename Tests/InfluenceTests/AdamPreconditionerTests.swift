// TracIn with Adam's preconditioner: dense gradients scaled exactly by √P, factors by the rank-1
// (Adafactor) √P̃ of each layer — checked against dense products with P and P̃ — and end to end
// through an index of an Adam-trained run; an SGD run is refused by name.

import Cluster
import Foundation
import NN
import Runs
import Storage
import TensorCore
import Testing
import VAEKitTestSupport

@testable import Influence

@Suite(.serialized) struct AdamPreconditionerTests {
    /// An Adam-trained tiny run and its preconditioner at the last checkpoint.
    nonisolated(unsafe) static let tiny: (TinyRun, LoadedRun, AdamPreconditioner)? = {
        guard let tiny = try? TinyRun.small("adam-preconditioner", overrides: ["training.epochs=1"]),
            (try? tiny.trainer().train(resume: false)) != nil,
            let loaded = try? LoadedRun(tiny.directory(), checkpoint: .none),
            let step = tiny.directory().checkpointSteps().last,
            let preconditioner = try? loaded.preconditioner(.adam, step: step)
        else { return nil }
        return (tiny, loaded, preconditioner)
    }()

    func gradients(_ mode: GradientMode, _ preconditioner: AdamPreconditioner?) throws -> ExampleGradients {
        let (_, loaded, _) = try #require(Self.tiny)
        var settings = InfluenceSettings()
        settings.mode = mode
        settings.samples = 2
        var computer = GradientComputer(
            model: try loaded.model, config: loaded.config, settings: settings,
            checkpointStep: loaded.checkpoint?.step ?? 0)
        computer.preconditioner = preconditioner
        return computer.gradients(loaded.data.train, indices: [0, 3, 7, 100])
    }

    @Test func denseIsScaledExactly() throws {
        let (_, _, preconditioner) = try #require(Self.tiny)
        let plain = try #require(try gradients(.dense, nil).vectors)
        let scaled = try #require(try gradients(.dense, preconditioner).vectors)
        let count = plain.shape[1]
        let p = (0..<count).map {
            1 / (preconditioner.secondMoment[$0].squareRoot() + preconditioner.epsilon)
        }
        let weighted = plain * Tensor(shape: [1, count], scalars: p)
        let expected = Tensor.matmul(weighted, plain, transposeB: true)
        let found = Tensor.matmul(scaled, scaled, transposeB: true)
        for index in 0..<expected.count {
            #expect(
                abs(found[flat: index] - expected[flat: index]) <= 1e-3
                    * max(1e-6, abs(expected[flat: index])))
        }
    }

    @Test func factorsUseTheRankOneFormOfEachLayer() throws {
        let (_, loaded, preconditioner) = try #require(Self.tiny)
        let arena = try loaded.model.arena
        let plain = try gradients(.factors, nil)
        let scaled = try gradients(.factors, preconditioner)
        // P̃ per parameter from each layer's row and column scales: P̃_rc = (row_r · column_c)².
        var approximate = [Float](repeating: 0, count: arena.count)
        for factor in plain.factors {
            let (rows, columns) = preconditioner.scales(factor, arena: arena)
            let weightColumns = factor.biasIndex == nil ? columns.count : columns.count - 1
            for r in rows.indices {
                for c in 0..<weightColumns {
                    let value = rows[r] * columns[c]
                    if let weight = factor.weightIndex {
                        approximate[arena.entries[weight].offset + r * weightColumns + c] = value * value
                    }
                }
                if let bias = factor.biasIndex {
                    let value = rows[r] * columns[columns.count - 1]
                    approximate[arena.entries[bias].offset + r] = value * value
                }
            }
        }
        let dense = try #require(try gradients(.dense, nil).vectors)
        let weighted = dense * Tensor(shape: [1, arena.count], scalars: approximate)
        let expected = Tensor.matmul(weighted, dense, transposeB: true)
        let found = scaled.dotProducts(with: scaled)
        for index in 0..<expected.count {
            #expect(
                abs(found[flat: index] - expected[flat: index]) <= 2e-3
                    * max(1e-6, abs(expected[flat: index])))
        }
        // The rank-1 form keeps the exact preconditioned ranking close: correlated products.
        let exact = Tensor.matmul(
            dense
                * Tensor(
                    shape: [1, arena.count],
                    scalars: (0..<arena.count).map {
                        1 / (preconditioner.secondMoment[$0].squareRoot() + 1e-8)
                    }),
            dense, transposeB: true)
        #expect(spearmanCorrelation(found.scalars, exact.scalars) > 0.5)
        #expect(plain.dotProducts(with: plain).scalars != found.scalars)
    }

    @Test func anAdamIndexEndToEndAndSGDRefused() throws {
        let (tiny, _, _) = try #require(Self.tiny)
        var settings = InfluenceSettings()
        settings.samples = 2
        settings.projectionDimension = 16
        settings.preconditioner = .adam
        let builder = InfluenceIndexBuilder(
            run: tiny.directory(), settings: settings, communicator: LocalCommunicator())
        builder.log = { _ in }
        builder.showsProgress = false
        let manifest = try builder.build()
        #expect(manifest.preconditioner == "adam")
        let query = InfluenceQuery(run: tiny.directory(), communicator: LocalCommunicator())
        query.log = { _ in }
        query.showsProgress = false
        let results = try query.query(try ExampleSpec("train:0-3"), top: 3)
        #expect(results.count == 4 && results.allSatisfy { $0.proponents.count == 3 })
        // A query that expects another preconditioner than the index's is refused.
        query.preconditioner = InfluencePreconditioner.none
        do {
            _ = try query.query(try ExampleSpec("train:0"), top: 3)
            Issue.record("queried an adam index as unpreconditioned")
        } catch {
            #expect("\(error)".contains("built with adam"))
        }
        // An SGD-trained run has no second moments to precondition with.
        let sgd = try TinyRun.small(
            "sgd-preconditioner", overrides: ["training.epochs=1", "training.optimizer=sgd"])
        try sgd.trainer().train(resume: false)
        let refused = InfluenceIndexBuilder(
            run: sgd.directory(), settings: settings, communicator: LocalCommunicator())
        refused.log = { _ in }
        refused.showsProgress = false
        do {
            try refused.build()
            Issue.record("indexed an SGD run with Adam's preconditioner")
        } catch {
            #expect("\(error)".contains("trained with sgd, not adam"))
        }
    }
}
