// From a run config to the objective's model settings and to the batches it trains on: the
// HVAE's momentum draws, consistency regularization's augmented view, the supervised VAE's
// labels, and the β/γ annealing ramp. Every draw is keyed by (seed, purpose, step, split,
// example).

import Datasets
import Models
import TensorCore

extension RunConfig {
    /// The model's objective.
    public var vaeObjective: VAEObjective {
        switch objective.kind {
        case .elbo: return .elbo
        case .hvae: return .hamiltonian(objective.hamiltonian)
        case .jacobianL1:
            return .jacobianL1(gamma: objective.jacobianGamma, differenceStep: objective.differenceStep)
        case .consistency: return .consistency(weight: objective.consistencyWeight)
        case .supervised: return .supervised(objective.supervised, weight: objective.classifierWeight)
        }
    }

    /// The annealing factor min(1, step / anneal_steps) (1 without a ramp).
    public func annealing(step: Int) -> Float {
        objective.annealSteps > 0 ? min(1, Float(step) / Float(objective.annealSteps)) : 1
    }

    /// The augmentation ranges of consistency regularization.
    public var affineRanges: AffineRanges {
        AffineRanges(
            degrees: objective.rotationDegrees, translation: objective.translation,
            scale: objective.scaleMinimum...objective.scaleMaximum)
    }

    /// Everything the objective needs for training step `step` on the examples `indices`.
    public func objectiveBatch(model: VAE, set: ImageDataset, indices: [Int], step: Int) -> ObjectiveBatch {
        let (input, target) = trainingBatch(set, indices: indices, step: UInt64(step))
        let draws = { (purpose: RandomPurpose) in
            Draws(seed: seed, purpose, step: UInt64(step), split: set.drawSplit)
                .normal(indices, count: model.latentCount)
        }
        let noise = draws(.reparameterize)
        var batch = ObjectiveBatch(input: input, target: target, noise: noise)
        batch.annealing = annealing(step: step)
        switch model.objective {
        case .hamiltonian:
            batch.momentumNoise = draws(.momentum)
        case .consistency:
            // t(x): the affine transformation acts on intensities, then the view is binarized when
            // the data are (interpolation creates gray levels).
            var view = set.affineAugmented(indices, ranges: affineRanges, seed: seed, step: UInt64(step))
            if data.binarization == .dynamic {
                view = set.binarizeAugmented(view, indices: indices, seed: seed, step: UInt64(step))
            }
            batch.augmented = (view, LikelihoodTarget(values: view), draws(.augmentedReparameterize))
        case .supervised:
            batch.labels = indices.map { Int(set.labels[$0]) }
        default: break
        }
        return batch
    }
}
