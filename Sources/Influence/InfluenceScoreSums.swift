// Dense score sums for experiments and benches that hold every (test, training) pair in memory:
// Σ_c η_c ⟨g_c(x), g_c(z)⟩ and both sides' self-influence, and the rank statistics that compare
// score lists (Spearman's correlation, top-k overlap).

import TensorCore

/// Σ_c η_c ⟨g_train, g_test⟩ `[tests, train]` and both sides' self-influence, for one mode.
public struct InfluenceScoreSums: Sendable {
    /// Test examples.
    public let tests: Int
    /// Training examples.
    public let train: Int
    /// `[tests, train]`, row-major.
    public private(set) var dots: [Float]
    /// self(x) of each training example.
    public private(set) var trainSelf: [Float]
    /// self(z) of each test example.
    public private(set) var testSelf: [Float]

    /// Zero sums.
    public init(tests: Int, train: Int) {
        self.tests = tests
        self.train = train
        dots = [Float](repeating: 0, count: tests * train)
        trainSelf = [Float](repeating: 0, count: train)
        testSelf = [Float](repeating: 0, count: tests)
    }

    /// Adds η_c ‖g_c(z)‖² of every test example.
    public mutating func addTest(_ norms: [Float], eta: Float) {
        for (t, norm) in norms.enumerated() { testSelf[t] += eta * norm }
    }

    /// `chunk: [n, tests]` of the training examples `first ..< first + n`.
    public mutating func addTrain(_ chunk: Tensor, norms: [Float], first: Int, eta: Float) {
        let n = norms.count
        for row in 0..<n {
            trainSelf[first + row] += eta * norms[row]
            for t in 0..<tests { dots[t * train + first + row] += eta * chunk[flat: row * tests + t] }
        }
    }

    /// Test example `t`'s scores of every training example.
    public func scores(test t: Int, _ score: InfluenceScore) -> [Float] {
        (0..<train).map { i in
            let tracin = dots[t * train + i]
            switch score {
            case .tracin: return tracin
            case .relatif: return tracin / max(trainSelf[i].squareRoot(), .leastNormalMagnitude)
            case .cosine:
                return tracin / max((trainSelf[i] * testSelf[t]).squareRoot(), .leastNormalMagnitude)
            }
        }
    }
}

/// |top-`count` of a ∩ top-`count` of b| / count.
public func topOverlap(_ a: [Float], _ b: [Float], count: Int) -> Double {
    let top = { (values: [Float]) in Set(values.indices.sorted { values[$0] > values[$1] }.prefix(count)) }
    return Double(top(a).intersection(top(b)).count) / Double(max(min(count, a.count), 1))
}

/// Spearman's rank correlation (average ranks for ties).
public func spearmanCorrelation(_ a: [Float], _ b: [Float]) -> Double {
    func ranks(_ values: [Float]) -> [Double] {
        let order = values.indices.sorted { values[$0] < values[$1] }
        var result = [Double](repeating: 0, count: values.count)
        var start = 0
        while start < order.count {
            var end = start
            while end + 1 < order.count && values[order[end + 1]] == values[order[start]] { end += 1 }
            for position in start...end { result[order[position]] = Double(start + end) / 2 }
            start = end + 1
        }
        return result
    }
    let (x, y) = (ranks(a), ranks(b))
    let n = Double(x.count)
    let (mx, my) = (x.reduce(0, +) / n, y.reduce(0, +) / n)
    var (sxy, sxx, syy) = (0.0, 0.0, 0.0)
    for i in x.indices {
        sxy += (x[i] - mx) * (y[i] - my)
        sxx += (x[i] - mx) * (x[i] - mx)
        syy += (y[i] - my) * (y[i] - my)
    }
    return sxy / max((sxx * syy).squareRoot(), 1e-300)
}
