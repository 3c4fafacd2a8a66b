// What a study measures on each trained run. The NLL is split over the ranks (each scores its
// share of the test images, the sums are all-reduced); the other measures are cheap next to
// training and deterministic, so every rank computes them and no rank waits on another.

import Cluster
import Datasets
import Foundation
import Models
import Runs

extension Study {
    /// The values of `measures` for a trained `model` of the run `loaded`.
    func measure(_ model: VAE, _ loaded: LoadedRun, communicator: any Communicator) throws -> [String: Double]
    {
        let evaluator = Evaluator(model: model, config: loaded.config)
        let (train, test) = (loaded.data.train, loaded.data.test)
        let m = measureSettings
        var values: [String: Double] = [:]
        for measure in measures {
            switch measure {
            case .likelihood:
                let total = Evaluator.examples(m.likelihoodCount, of: test)
                let mine = communicator.share(of: total)
                let logLikelihoods = evaluator.logLikelihoods(
                    test, indices: Array(mine), samples: m.importanceSamples,
                    chunk: loaded.config.evaluation.iwaeChunk)
                var sum = [logLikelihoods.reduce(0.0) { $0 + Double($1) }]
                try communicator.allReduceSum(&sum)
                values["nll"] = -sum[0] / Double(max(total, 1))
                values["neg_elbo"] = try evaluator.negativeELBO(
                    test, count: total, communicator: communicator)
            case .representation:
                let r = evaluator.representation(
                    train: train, test: test, trainCount: m.probeTrainCount, testCount: m.representationCount)
                values["active_units"] = Double(r.activeUnits)
                values["mutual_information"] = r.mutualInformation
                values["mutual_information_ceiling"] = r.mutualInformationCeiling
                values["linear_probe_accuracy"] = r.linearProbeAccuracy
            case .invariances:
                guard model.supervisedLatentCount != nil else {
                    throw ConfigError.mismatch(
                        "study \(name): invariances need a supervised VAE (objective.kind)")
                }
                let (r, _) = evaluator.invariances(
                    test, count: m.invarianceCount, draws: m.invarianceDraws, gridCount: 0)
                values["test_accuracy"] = r.testAccuracy
                values["label_preservation"] = r.labelPreservation
                values["control_preservation"] = r.controlPreservation
                values["nuisance_active_units"] = Double(r.nuisanceActiveUnits)
                values["nuisance_pixel_diversity"] = r.nuisancePixelDiversity
            case .disentanglement:
                guard train.channels == 1, train.height == train.width else {
                    throw ConfigError.mismatch(
                        "study \(name): disentanglement needs square one-channel three-dots images")
                }
                var metric = LocalDisentanglement(model: model, dots: ThreeDots(side: train.height))
                metric.clusters = m.clusters
                metric.samples = m.clusterSamples
                for locality in m.localities {
                    let score = metric.score(locality: locality, seed: LocalDisentanglement.defaultSeed)
                    values["local_mig_\(locality)"] = score.mig
                    values["local_modularity_\(locality)"] = score.modularity
                }
            case .jacobian:
                guard model.likelihood != .categorical256 else {
                    throw ConfigError.mismatch(
                        "study \(name): the Jacobian measure needs a Bernoulli or Gaussian decoder")
                }
                let j = evaluator.jacobianStructure(test, count: m.jacobianCount)
                values["jacobian_l1"] = j.l1
                values["jacobian_mass_fraction_90"] = j.massFraction90
                values["jacobian_pixel_spread"] = j.pixelSpread
            }
        }
        return values
    }
}
