// `vaekit invariances`: the supervised VAE's label accuracy and invariance to resampled z_n.

import ArgumentParser
import Experiments
import Foundation
import Models
import Runs
import Storage
import TensorCore

struct InvariancesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "invariances",
        abstract: "Supervised VAE: keep z_s, resample z_n; label preservation, test accuracy, image grid.")

    @Option(help: "Checkpoint of a supervised VAE.")
    var checkpoint: String

    @Option(help: "Test examples scored.")
    var count = 1000

    @Option(help: "z_n draws per example.")
    var draws = 8

    @Option(help: "Examples shown in the grid (one row each: reconstruction, then the draws).")
    var rows = 8

    @Option(help: "Output PNG grid.")
    var output = "invariances.png"

    @Option(help: "Write the metrics as JSON to this file.")
    var json: String?

    func run() throws {
        let loaded = try LoadedRun(checkpointFile: checkpoint)
        let (config, data, model) = (loaded.config, loaded.data, try loaded.model)
        guard model.supervisedLatentCount != nil else {
            throw ValidationError("\(checkpoint): not a supervised VAE (objective \(model.objective.name))")
        }
        guard count >= 1, draws >= 1, rows >= 1 else {
            throw ValidationError("--count, --draws, --rows must be ≥ 1")
        }
        let evaluator = Evaluator(model: model, config: config)
        let (metrics, images) = evaluator.invariances(data.test, count: count, draws: draws, gridCount: rows)
        let (c, h, w) = (model.imageShape[0], model.imageShape[1], model.imageShape[2])
        let grid = imageGrid(
            images.scalars, count: images.shape[0], channels: c, height: h, width: w, columns: draws + 1)
        try grid.write(to: output)
        print(
            String(
                format:
                    "test accuracy %.4f (%d examples); label kept by the classifier in %.4f of %d resampled z_n "
                    + "(control, z_s resampled instead: %.4f; re-encoded %@); z_n active units %d of %d, "
                    + "pixel s.d. across z_n draws %.4f; grid %@",
                metrics.testAccuracy, metrics.testCount, metrics.labelPreservation,
                metrics.testCount * metrics.draws,
                metrics.controlPreservation, metrics.reencodedBinarized ? "binarized" : "as intensities",
                metrics.nuisanceActiveUnits, metrics.nuisanceLatents, metrics.nuisancePixelDiversity, output))
        if let json {
            try AtomicFile.writeJSON(metrics, to: json)
        }
    }
}
