// Per-example gradients of the training loss at one checkpoint, for a set of examples, from
// batched backward passes with per-example capture. Each example's loss is the run's objective
// (the β-ELBO with its annealing at the checkpoint's step, or the supervised VAE's) averaged
// over S reparameterization draws keyed by (seed, influence, checkpoint, split, example), and its
// images are binarized with a key of (split, example), so a gradient never depends on the rank,
// the batch or the position in it. The index computes training examples in the `train` split;
// queries use the query role of their split (`query:test`, `query:train`), so a training example
// explained by a query draws afresh.
// n = examples, L = positions (S per example for Linear layers), a/d = layer inputs/outputs.

import Autodiff
import Datasets
import Models
import NN
import Runs
import TensorCore

/// Per-example gradients of some examples at one checkpoint.
public struct ExampleGradients {
    /// The examples' indices in their dataset.
    public var indices: [Int]
    /// Their labels.
    public var labels: [Int64]
    /// Per-layer factors (`factors` mode): A `[n, L, a]`, Δ `[n, L, d]`.
    public var factors: [GradientFactor]
    /// Projected or dense vectors `[n, D]` (other modes).
    public var vectors: Tensor?

    /// Examples n.
    public var count: Int { indices.count }

    /// ⟨g_i, g'_j⟩ for every example i of `self` and j of `other`: `[n, n']`.
    public func dotProducts(with other: ExampleGradients) -> Tensor {
        if let vectors, let otherVectors = other.vectors {
            return Tensor.matmul(vectors, otherVectors, transposeB: true)
        }
        return perExampleDotProducts(factors, other.factors)
    }

    /// ‖g_i‖² for every example: `[n]`.
    public func squaredNorms() -> [Float] {
        if let vectors {
            return (vectors * vectors).sum(alongAxes: [1]).scalars
        }
        return (0..<count).map { example in
            factors.reduce(Float(0)) { total, factor in
                let one = GradientFactor(
                    layer: factor.layer, inputs: factor.inputs.slice(alongAxis: 0, start: example, length: 1),
                    outputGradients: factor.outputGradients.slice(alongAxis: 0, start: example, length: 1),
                    layout: factor.layout, weightIndex: factor.weightIndex, biasIndex: factor.biasIndex)
                return total + one.dotProducts(with: one).scalar
            }
        }
    }

    /// Concatenates gradients of disjoint example sets (same mode and model).
    public static func concatenate(_ parts: [ExampleGradients]) -> ExampleGradients {
        guard let first = parts.first else {
            return ExampleGradients(indices: [], labels: [], factors: [], vectors: nil)
        }
        let vectors = first.vectors.map { _ in Tensor.concatenate(parts.compactMap(\.vectors), alongAxis: 0) }
        let factors = first.factors.indices.map { layer -> GradientFactor in
            var factor = first.factors[layer]
            factor.inputs = Tensor.concatenate(parts.map { $0.factors[layer].inputs }, alongAxis: 0)
            factor.outputGradients = Tensor.concatenate(
                parts.map { $0.factors[layer].outputGradients }, alongAxis: 0)
            return factor
        }
        return ExampleGradients(
            indices: parts.flatMap(\.indices), labels: parts.flatMap(\.labels), factors: factors,
            vectors: vectors)
    }
}

/// Computes per-example gradients of a model at its current parameters.
public struct GradientComputer {
    /// The model (parameters loaded from the checkpoint).
    public var model: VAE
    /// The run's config (data handling, seed, β).
    public var config: RunConfig
    /// Index settings.
    public var settings: InfluenceSettings
    /// The checkpoint step (keys the draws).
    public var checkpointStep: Int
    /// Adam's preconditioner at the checkpoint, applied as √P to every gradient (nil: none).
    public var preconditioner: AdamPreconditioner? {
        didSet {
            // Each layer's rank-1 scales, computed once per checkpoint rather than per batch.
            layerScales = [:]
            if let preconditioner {
                for template in layerTemplates() {
                    layerScales[template.layer] = preconditioner.scales(template, arena: model.arena)
                }
            }
        }
    }
    private var layerScales: [String: (rows: [Float], columns: [Float])] = [:]

    /// A computer for one checkpoint.
    public init(model: VAE, config: RunConfig, settings: InfluenceSettings, checkpointStep: Int) {
        self.model = model
        self.config = config
        self.settings = settings
        self.checkpointStep = checkpointStep
    }

    /// Refuses, by name, an objective whose per-example loss the batched factor capture cannot
    /// record: it indexes the run's own training loss, β annealing included, for the β-ELBO and
    /// the supervised VAE (each a sum of per-example terms with one pass of every layer).
    public static func checkSupported(_ objective: VAEObjective) throws {
        let reason: String
        switch objective {
        case .elbo, .supervised: return
        case .hamiltonian:
            reason =
                "its loss differentiates through ∇U inside the leapfrog flow, which per-example capture does not record"
        case .jacobianL1: reason = "its penalty runs the decoder 1 + Z times per example (finite differences)"
        case .consistency: reason = "its loss runs the networks twice per example (x and t(x))"
        }
        throw ConfigError.mismatch(
            "influence: objective '\(objective.name)' is not supported (\(reason)); runs trained with elbo or supervised can be indexed"
        )
    }

    /// Gradients of the examples `indices` of `set`, in batches of `settings.batchSize`;
    /// `progress` hears the examples done after each batch.
    public func gradients(
        _ set: ImageDataset, indices: [Int], progress: ((Int) -> Void)? = nil
    ) -> ExampleGradients {
        var parts: [ExampleGradients] = []
        var start = 0
        while start < indices.count {
            let batch = Array(indices[start..<min(start + settings.batchSize, indices.count)])
            parts.append(batchGradients(set, indices: batch))
            start += batch.count
            progress?(start)
        }
        return ExampleGradients.concatenate(parts)
    }

    /// One batched backward pass over `indices` × S draws. The encoder sees each example once
    /// (its S draws share the input): its layers' factors have one row per example, holding the
    /// sum of the S draws' output gradients; the decoder's have S.
    func batchGradients(_ set: ImageDataset, indices: [Int]) -> ExampleGradients {
        let draws = settings.samples
        let latent = model.latentCount
        let replicated = indices.flatMap { Array(repeating: $0, count: draws) }
        // Binarization keyed by the example alone: the S replicas see the same image.
        let input = config.batch(set, indices: indices, step: RunConfig.evaluationStep).input
        let target = config.batch(set, indices: replicated, step: RunConfig.evaluationStep).target
        // Example-major: the S draws of an example are its stream's first S·Z normals.
        let noise = Draws(seed: config.seed, .influence, step: UInt64(checkpointStep), split: set.drawSplit)
            .normal(indices, count: draws * latent).reshaped(to: [replicated.count, latent])
        // The run's own training loss at this checkpoint's step (β annealing included).
        var batch = ObjectiveBatch(input: input, target: target, noise: noise)
        batch.draws = draws
        batch.annealing = config.annealing(step: checkpointStep)
        if case .supervised = model.objective { batch.labels = replicated.map { Int(set.labels[$0]) } }
        let pass = ForwardPass(arena: model.arena, capturePerExample: true)
        let terms = model.objectiveTerms(batch, beta: config.training.beta, pass)
        // Each example's loss is the mean over its S draws.
        let loss = terms.loss.sum() * (1 / Float(draws))
        let rowFactors = pass.captureFactors(of: loss)
        // Decoder rows are example-major: [n·S, L, ·] regroups into [n, S·L, ·] without copying;
        // encoder factors are [n, L, ·] already.
        let factors = rowFactors.map { factor -> GradientFactor in
            guard factor.exampleCount != indices.count else { return factor }
            var grouped = factor
            let (positions, a, d) = (
                factor.positionCount, factor.inputs.shape[2], factor.outputGradients.shape[2]
            )
            grouped.inputs = factor.inputs.reshaped(to: [indices.count, draws * positions, a])
            grouped.outputGradients = factor.outputGradients.reshaped(to: [
                indices.count, draws * positions, d,
            ])
            return grouped
        }
        let labels = indices.map { set.labels[$0] }
        // √P: exact on dense vectors, Adafactor's rank-1 form on factors (and their sketches).
        let scaled =
            preconditioner.map { p in
                factors.map { p.scale($0, scales: layerScales[$0.layer] ?? p.scales($0, arena: model.arena)) }
            } ?? factors
        switch settings.mode {
        case .factors:
            return ExampleGradients(indices: indices, labels: labels, factors: scaled, vectors: nil)
        case .dense:
            let dense = pass.denseGradients(from: factors)
            return ExampleGradients(
                indices: indices, labels: labels, factors: [],
                vectors: preconditioner.map { $0.scale(dense: dense) } ?? dense)
        case .projected:
            let projected = scaled.map {
                TensorSketch(settings: settings, layer: $0.layer, factor: $0, checkpoint: checkpointStep)
                    .sketch($0)
            }
            return ExampleGradients(
                indices: indices, labels: labels, factors: [],
                vectors: Tensor.concatenate(projected, alongAxis: 1))
        }
    }
}
