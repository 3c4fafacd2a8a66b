// The registry of random purposes: distinct keys give distinct streams, rows are keyed by the
// example and never by the batch, and splits and roles never share draws.

import Testing

@testable import TensorCore

@Suite struct RandomDrawsTests {
    static let splits: [DrawSplit] = [
        .none, .train, .test, DrawSplit.train.query, DrawSplit.test.query, DrawSplit("ood:noise"),
    ]

    @Test func everyKeyHasItsOwnStream() {
        var streams = Set<UInt64>()
        var keys = 0
        for purpose in RandomPurpose.allCases {
            for step: UInt64 in [0, 1, 2, 937, UInt64.max] {
                for split in Self.splits {
                    for example: UInt64 in 0..<40 {
                        streams.insert(Draws(seed: 1, purpose, step: step, split: split).stream(example))
                        keys += 1
                    }
                }
            }
        }
        #expect(streams.count == keys, "\(keys - streams.count) colliding keys")
    }

    @Test func purposesAreNumberedOnce() {
        let values = RandomPurpose.allCases.map(\.rawValue)
        #expect(Set(values).count == values.count)
        #expect(!values.contains(0))
        let names = Self.splits.map(\.name)
        #expect(Set(Self.splits.map(\.key)).count == names.count)
        #expect(DrawSplit.none.key == 0 && DrawSplit.train.key != 0)
    }

    @Test func trainAndTestExampleDrawDifferently() {
        for purpose in RandomPurpose.allCases {
            let train = Draws(seed: 5, purpose, step: 3, split: .train)
            let test = Draws(seed: 5, purpose, step: 3, split: .test)
            let query = Draws(seed: 5, purpose, step: 3, split: DrawSplit.train.query)
            for example in [0, 1, 17] {
                let a = train.generator(example).normal([8]).scalars
                #expect(a != test.generator(example).normal([8]).scalars, "\(purpose) example \(example)")
                #expect(a != query.generator(example).normal([8]).scalars, "\(purpose) query \(example)")
            }
        }
    }

    @Test func rowsDependOnTheExampleOnly() {
        let draws = Draws(seed: 9, .reparameterize, step: 4, split: .train)
        let batch = draws.normal([7, 3, 11], count: 5)
        let reordered = draws.normal([11, 7], count: 5)
        #expect(batch.shape == [3, 5])
        #expect(
            batch.slice(alongAxis: 0, start: 0, length: 1).scalars
                == reordered.slice(alongAxis: 0, start: 1, length: 1).scalars)
        #expect(
            batch.slice(alongAxis: 0, start: 2, length: 1).scalars == draws.generator(11).normal([5]).scalars)
        let uniform = draws.uniform([7], count: 4).scalars
        #expect(uniform == draws.generator(7).uniform([4]).scalars)
        #expect(uniform.allSatisfy { $0 > 0 && $0 < 1 })
    }

    @Test func namedGeneratorsAreStableAndDistinct() {
        let draws = Draws(seed: 1, .initialization)
        #expect(draws.generator(named: "encoder.fc1.weight") == draws.generator(named: "encoder.fc1.weight"))
        #expect(draws.generator(named: "encoder.fc1.weight") != draws.generator(named: "encoder.fc1.bias"))
        // FNV-1a of "a" (a published test vector), so names key the same streams in every process.
        #expect(stableHash("a") == 0xAF63_DC4C_8601_EC8C)
    }
}
