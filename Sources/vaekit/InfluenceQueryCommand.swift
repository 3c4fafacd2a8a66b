// `vaekit influence query`: top proponents and opponents of examples, and self-influence.

import ArgumentParser
import Cluster
import Influence
import Runs
import TensorCore

struct QueryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query", abstract: "Top proponents and opponents of test examples; self-influence.")

    @OptionGroup var folder: RunOptions

    @Option(help: "Examples to explain: test:0-99, train:5,17 (ranges inclusive).")
    var test: String?

    @Option(help: "Proponents and opponents kept per example.")
    var top = 10

    @Option(
        help: """
            tracin (Σ_c η_c ⟨g, g'⟩), cosine (TracIn over both examples' gradient norms) or relatif \
            (over the training example's): see docs/influence.md for which to trust.
            """)
    var score = InfluenceScore.cosine

    @Option(
        help: """
            none or adam: checked against the index, which applies it (projections need it at build \
            time: `influence index --preconditioner adam`); default: the index's.
            """)
    var preconditioner: String?

    @Flag(name: .customLong("self"), help: "Also compute the self-influence of every training example.")
    var selfInfluence = false

    @OptionGroup var memory: MemoryOptions

    func run() throws {
        try withRanks(blasThreads: .onePerRankWhenShared, record: folder.directory) { communicator in
            guard test != nil || selfInfluence else {
                throw ValidationError("give --test SPEC, --self, or both")
            }
            guard top >= 1 else { throw ValidationError("--top must be ≥ 1") }
            let query = InfluenceQuery(run: folder.directory, communicator: communicator)
            query.log = { communicator.isCoordinator ? print($0) : () }
            query.maxMemoryBytes = try memory.bytes()
            if let preconditioner {
                guard let wanted = InfluencePreconditioner(rawValue: preconditioner) else {
                    throw ValidationError("--preconditioner \(preconditioner): expected none or adam")
                }
                query.preconditioner = wanted
            }
            if let test { try query.query(try ExampleSpec(test), top: top, score: score) }
            if selfInfluence { try query.selfInfluence() }
        }
    }
}

extension InfluenceScore: ExpressibleByArgument {}
