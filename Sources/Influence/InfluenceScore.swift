// The scores a query ranks training examples by, from the same sums over checkpoints:
//     tracin(x, z)  = Σ_c η_c ⟨g_c(x), g_c(z)⟩                       (Pruthi et al. 2020)
//     relatif(x, z) = tracin(x, z) / √self(x)                        (RelatIF, Barshan et al. 2020,
//                                                                     with the identity for H)
//     cosine(x, z)  = tracin(x, z) / (√self(x) √self(z))             (TracIn's normalized variant)
// where self(x) = Σ_c η_c ‖g_c(x)‖², i.e. the cosine of the concatenated vectors √η_c g_c.
// TracIn favours training examples with large gradients (they out-score everything, "hubs");
// the two normalized scores remove the training example's norm. For one test example relatif
// and cosine rank identically (they differ by the test example's constant norm); cosine is
// bounded in [−1, 1], so its values compare across test examples.

import TensorCore

/// How a query scores a training example x against a test example z.
public enum InfluenceScore: String, Sendable, CaseIterable, Codable {
    /// Σ_c η_c ⟨g_c(x), g_c(z)⟩.
    case tracin
    /// TracIn over √self(x) √self(z): the cosine of the concatenated √η_c g_c.
    case cosine
    /// TracIn over √self(x): the training example's gradient norm removed.
    case relatif
}

/// A rank's running sums for a query: TracIn of every owned training example against every test
/// example, and the owned examples' self-influence, keyed by training example index.
struct ScoreTable {
    let tests: Int
    private(set) var indices: [Int] = []
    private(set) var labels: [Int64] = []
    private var rows: [Int: Int] = [:]
    /// `[rows, tests]`, row-major.
    private var sums: [Float] = []
    private var selfInfluence: [Float] = []

    init(tests: Int) { self.tests = tests }

    private mutating func row(_ index: Int, label: Int64) -> Int {
        if let row = rows[index] { return row }
        rows[index] = indices.count
        indices.append(index)
        labels.append(label)
        sums.append(contentsOf: repeatElement(0, count: tests))
        selfInfluence.append(0)
        return indices.count - 1
    }

    /// Adds `dots: [n, tests]` to the rows of the training examples `rows`.
    mutating func add(_ dots: Tensor, rows examples: [Int], labels exampleLabels: [Int64]) {
        dots.withUnsafeBufferPointer { values in
            for (position, example) in examples.enumerated() {
                let target = row(example, label: exampleLabels[position]) * tests
                for t in 0..<tests { sums[target + t] += values[position * tests + t] }
            }
        }
    }

    /// Adds η_c ‖g_c‖² of the training examples `rows`.
    mutating func addSelf(_ values: [Float], rows examples: [Int]) {
        for (position, example) in examples.enumerated() {
            if let row = rows[example] { selfInfluence[row] += values[position] }
        }
    }

    /// Every owned training example's score against test example `t`.
    func influences(test t: Int, score: InfluenceScore, testSelf: Float) -> [Influence] {
        indices.indices.map { row in
            let tracin = sums[row * tests + t]
            let value: Float
            switch score {
            case .tracin: value = tracin
            case .relatif: value = tracin / max(selfInfluence[row].squareRoot(), .leastNormalMagnitude)
            case .cosine:
                value = tracin / max((selfInfluence[row] * testSelf).squareRoot(), .leastNormalMagnitude)
            }
            return Influence(index: indices[row], label: labels[row], score: value)
        }
    }
}
