// `vaekit disentanglement`: local MIG and local modularity of a checkpoint on three-dots.

import ArgumentParser
import Datasets
import Experiments
import Foundation
import Models
import Runs
import Storage
import Synchronization
import TensorCore

struct DisentanglementCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "disentanglement",
        abstract: "Local MIG and local modularity (Rhodes & Lee) of a model trained on three-dots.")

    @Option(help: "Checkpoint of a model trained on three-dots.")
    var checkpoint: String

    @Option(help: "Comma-separated localities (fractions of each factor's range).")
    var localities = "0.1,1.0"

    @Option(help: "Random centroids (the paper: 20).")
    var clusters = 20

    @Option(help: "Factor vectors per centroid (the paper: 10000).")
    var samples = 10_000

    @Option(help: "Seed of the centroids and samples (the same for every model compared).")
    var seed: UInt64 = LocalDisentanglement.defaultSeed

    @Option(help: "Write the scores as JSON.")
    var json: String?

    func run() throws {
        let loaded = try LoadedRun(checkpointFile: checkpoint)
        let (data, model) = (loaded.data, try loaded.model)
        guard data.train.channels == 1, data.train.height == data.train.width else {
            throw ValidationError(
                "\(checkpoint): the model's images are not square one-channel three-dots images")
        }
        let values = try localities.split(separator: ",").map { text -> Double in
            guard let value = Double(text.trimmingCharacters(in: .whitespaces)), value > 0, value <= 1 else {
                throw ValidationError("--localities \(localities): expected numbers in (0, 1]")
            }
            return value
        }
        guard clusters >= 1, samples >= 2 else { throw ValidationError("--clusters ≥ 1 and --samples ≥ 2") }
        var metric = LocalDisentanglement(model: model, dots: ThreeDots(side: data.train.height))
        metric.clusters = clusters
        metric.samples = samples
        var scores: [LocalDisentanglementScore] = []
        for locality in values {
            let score = metric.score(locality: locality, seed: seed)
            scores.append(score)
            print(
                String(
                    format: "locality %.2f: local MIG %.4f, local modularity %.4f", locality, score.mig,
                    score.modularity))
        }
        if let json {
            try AtomicFile.writeJSON(scores, to: json)
        }
    }
}
