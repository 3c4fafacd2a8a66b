// `vaekit experiment self-influence`: the VAE-TracIn paper's readings of a run's self-influence
// (against the training loss and the latent norm) and of its proponents' latent norms.

import ArgumentParser
import Foundation
import Influence

struct SelfInfluenceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "self-influence",
        abstract: "Self-influence against training loss and latent norm; proponents' latent norms.")

    @OptionGroup var folder: RunOptions

    func run() throws {
        try withRanks(blasThreads: .byCommand, record: folder.directory) { communicator in
            guard communicator.isCoordinator else { return }
            let analysis = try SelfInfluenceAnalysis.analyse(folder.directory)
            print(
                String(
                    format: "%d training examples at checkpoint %d: Spearman(self-influence, −ELBO) %.3f, "
                        + "Spearman(self-influence, ‖μ‖) %.3f; mean ‖μ‖ %.3f",
                    analysis.count, analysis.checkpoint, analysis.spearmanLoss, analysis.spearmanLatentNorm,
                    analysis.meanLatentNorm))
            if let norm = analysis.meanProponentLatentNorm, let score = analysis.proponentScore {
                print(String(format: "mean ‖μ‖ of the top-10 proponents (%@): %.3f", score, norm))
            }
            print("wrote \(folder.directory.path)/self-influence-analysis.json")
        }
    }
}
