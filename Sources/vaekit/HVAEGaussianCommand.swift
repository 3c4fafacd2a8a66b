// `vaekit experiment hvae-gaussian`: the HVAE paper's Gaussian experiment (Caterini et al. 2018,
// §4.1), over dimensions, repetitions and methods.

import ArgumentParser
import Datasets
import Experiments
import Foundation
import Models
import Runs
import Storage
import Synchronization
import TensorCore

struct HVAEGaussianCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hvae-gaussian",
        abstract: "HVAE (tempered and not, K = 1 and 10) against mean-field VB on the paper's Gaussian model."
    )

    @Option(help: "Comma-separated latent dimensions d.")
    var dimensions = "1,2,5,11,25,51"

    @Option(help: "Datasets (repetitions) per dimension.")
    var repetitions = 3

    @Option(help: "RMSProp iterations per fit (the paper: 30000).")
    var iterations = 30_000

    @Option(help: "RMSProp learning rate (the paper: 0.001).")
    var learningRate: Float = 1e-3

    @Option(
        help:
            "Comma-separated methods: vb, hvae-1, hvae-1-tempered, hvae-10, hvae-10-tempered (default: all).")
    var methods = "vb,hvae-1,hvae-1-tempered,hvae-10,hvae-10-tempered"

    @Option(help: "Worker threads (fits run in parallel).")
    var workers = 2

    @Option(help: "Seed.")
    var seed: UInt64 = 12345

    @Option(help: "Write every run's errors here as JSON.")
    var json: String?

    func run() throws {
        let dims = try dimensions.split(separator: ",").map { text -> Int in
            guard let value = Int(text.trimmingCharacters(in: .whitespaces)), value >= 1 else {
                throw ValidationError("--dimensions \(dimensions): expected positive integers")
            }
            return value
        }
        guard repetitions >= 1, iterations >= 1, workers >= 1 else {
            throw ValidationError("--repetitions, --iterations and --workers must be ≥ 1")
        }
        setBLASThreadCount(1)
        elementwiseThreadCount = 1
        let named: [String: GaussianMethod] = [
            "vb": .variationalBayes, "hvae-1": .hamiltonian(steps: 1, tempered: false),
            "hvae-1-tempered": .hamiltonian(steps: 1, tempered: true),
            "hvae-10": .hamiltonian(steps: 10, tempered: false),
            "hvae-10-tempered": .hamiltonian(steps: 10, tempered: true),
        ]
        let methods = try self.methods.split(separator: ",").map { word -> GaussianMethod in
            guard let method = named[word.trimmingCharacters(in: .whitespaces)] else {
                throw ValidationError(
                    "--methods \(self.methods): '\(word)' is not one of \(named.keys.sorted().joined(separator: ", "))"
                )
            }
            return method
        }
        struct Job: Sendable {
            var dimension: Int
            var repetition: Int
            var method: GaussianMethod
        }
        let jobs = dims.flatMap { d in
            (0..<repetitions).flatMap { r in methods.map { Job(dimension: d, repetition: r, method: $0) } }
        }
        var results = [GaussianRunResult?](repeating: nil, count: jobs.count)
        let settings = UncheckedBox((iterations, learningRate, seed))
        let started = Date()
        results.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            let output = SharedPointer(base)
            let next = Counter()
            runWorkers(workers) { _ in
                while let index = next.take(below: jobs.count) {
                    let job = jobs[index]
                    let data = HamiltonianGaussianExperiment(
                        dimension: job.dimension, seed: settings.value.2, repetition: job.repetition)
                    output.base[index] = data.fit(
                        job.method, iterations: settings.value.0, learningRate: settings.value.1,
                        seed: settings.value.2 &+ UInt64(index))
                }
            }
        }
        print(
            "HVAE Gaussian experiment: N = 10000, \(iterations) RMSProp iterations (lr \(learningRate)), "
                + "\(repetitions) dataset(s) per d, \(String(format: "%.0f", Date().timeIntervalSince(started))) s"
        )
        print(
            "‖Δ̂ − Δ‖² + ‖σ̂ − σ‖² (mean ± sd over datasets; ‖σ̂ − σ‖² alone in brackets; diverged runs excluded)"
        )
        print(
            "method".padding(toLength: 22, withPad: " ", startingAt: 0)
                + dims.map { "d = \($0)".padding(toLength: 30, withPad: " ", startingAt: 0) }.joined())
        var records: [[String: String]] = []
        for method in methods {
            var line = method.description.padding(toLength: 22, withPad: " ", startingAt: 0)
            for d in dims {
                let runs = zip(jobs, results).filter { $0.0.dimension == d && $0.0.method == method }
                    .compactMap(\.1)
                let good = runs.filter { !$0.diverged }
                let total = SampleSummary(good.map { $0.deltaError + $0.sigmaError })
                let sigmaOnly = SampleSummary(good.map(\.sigmaError))
                var cell = String(
                    format: "%.3g ± %.2g [%.2g]", total.mean, total.standardDeviation, sigmaOnly.mean)
                if good.count < runs.count { cell += " (\(runs.count - good.count) NaN)" }
                line += cell.padding(toLength: 30, withPad: " ", startingAt: 0)
                for run in runs {
                    records.append([
                        "method": method.description, "dimension": "\(d)", "delta_error": "\(run.deltaError)",
                        "sigma_error": "\(run.sigmaError)",
                    ])
                }
            }
            print(line)
        }
        if let json {
            try AtomicFile.writeJSON(records, to: json)
        }
    }
}

/// A shared work counter for worker threads.
final class Counter: Sendable {
    private let value = Mutex(0)

    /// The next index below `limit`, or nil when all are taken.
    func take(below limit: Int) -> Int? {
        value.withLock { next in
            guard next < limit else { return nil }
            next += 1
            return next - 1
        }
    }
}
