// The per-example training loss of each objective, from one batch: the plain β-ELBO, HVAE,
// Jacobian-L1, consistency regularization and the supervised VAE. Every loss is `[B]` with one
// independent term per example, so batches split over workers and ranks sum exactly.

import Autodiff
import NN
import TensorCore

/// What an objective needs of one batch besides the images.
public struct ObjectiveBatch {
    /// Inputs `[B, C, H, W]`.
    public var input: Tensor
    /// Likelihood targets.
    public var target: LikelihoodTarget
    /// ε `[B, Z]` of the reparameterization.
    public var noise: Tensor
    /// HVAE: γ `[B, Z]`, the initial momentum's standard-normal draw.
    public var momentumNoise: Tensor?
    /// Consistency regularization: t(x), its targets and its ε.
    public var augmented: (input: Tensor, target: LikelihoodTarget, noise: Tensor)?
    /// Supervised VAE: class labels.
    public var labels: [Int]?
    /// The annealing factor of β (and Jacobian-L1's γ) at this step, in [0, 1].
    public var annealing: Float = 1
    /// Draws S per example (the ELBO and the supervised VAE): `input` holds B examples, every
    /// other row-indexed field B·S rows, example-major; the encoder runs once per example.
    public var draws = 1

    /// A batch of the plain ELBO.
    public init(input: Tensor, target: LikelihoodTarget, noise: Tensor) {
        self.input = input
        self.target = target
        self.noise = noise
    }
}

/// The per-example loss of an objective and its parts, `[B]` each.
public struct ObjectiveTerms {
    /// The loss minimized.
    public var loss: Variable
    /// −log p(x|z) (summed over both views for consistency regularization).
    public var reconstruction: Variable
    /// The KL term(s), or for HVAE the rest of the negative ELBO.
    public var kl: Variable
    /// The objective's own term (Jacobian L1, consistency KL, classifier cross-entropy), unweighted.
    public var extra: Variable?
}

/// Parameters objectives add to a VAE's arena.
struct ObjectiveParameters {
    /// HVAE: r with ε = ε_max·σ(r), `[Z]` (one step size per latent dimension, shared by the K steps).
    var stepLogits: ParameterID?
    /// HVAE `fixed`: t with T₀ = 1 + exp(t), `[1]`.
    var temperature: ParameterID?
    /// HVAE `free`: a with α_k = σ(a_k), `[K]`.
    var alphaLogits: ParameterID?
    /// Supervised VAE: the classifier on z_s.
    var classifier: Sequential?

    init(_ objective: VAEObjective, latentCount: Int, in builder: inout ParameterArenaBuilder) {
        func logit(_ p: Float) -> Float { Float.logOf(p / (1 - p)) }
        switch objective {
        case .hamiltonian(let settings):
            stepLogits = builder.register(
                "flow.step_logits",
                Tensor(
                    shape: [latentCount],
                    repeating: logit(settings.initialStepSize / settings.maximumStepSize)))
            switch settings.tempering {
            case .fixed:
                temperature = builder.register(
                    "flow.temperature",
                    Tensor(shape: [1], repeating: Float.logOf(settings.initialTemperature - 1)))
            case .free:
                alphaLogits = builder.register(
                    "flow.alpha_logits",
                    Tensor(shape: [settings.leapfrogSteps], repeating: logit(settings.initialAlpha)))
            case .none: break
            }
        case .supervised(let settings, _):
            classifier = Sequential([
                Linear(
                    "classifier.fc1", inputCount: settings.supervisedLatents,
                    outputCount: settings.classifierHidden,
                    in: &builder),
                Activation.relu,
                Linear(
                    "classifier.fc2", inputCount: settings.classifierHidden, outputCount: settings.classes,
                    in: &builder),
            ])
        default: break
        }
    }
}

extension VAE {
    /// The objective's per-example terms on `batch`, with KL weight `beta` (times the annealing).
    public func objectiveTerms(_ batch: ObjectiveBatch, beta: Float, _ pass: ForwardPass) -> ObjectiveTerms {
        let annealedBeta = beta * batch.annealing
        switch objective {
        case .elbo, .supervised: break
        default: precondition(batch.draws == 1, "several draws per example: ELBO and supervised VAE only")
        }
        switch objective {
        case .elbo:
            let terms = elbo(batch.input, target: batch.target, noise: batch.noise, draws: batch.draws, pass)
            return ObjectiveTerms(
                loss: terms.loss(beta: annealedBeta), reconstruction: terms.reconstruction, kl: terms.kl)
        case .hamiltonian:
            let terms = hamiltonianTerms(batch, pass)
            return ObjectiveTerms(
                loss: terms.reconstruction + terms.rest * beta, reconstruction: terms.reconstruction,
                kl: terms.rest)
        case .jacobianL1(let gamma, let step):
            let terms = elbo(batch.input, target: batch.target, noise: batch.noise, pass)
            let penalty = jacobianL1(at: terms.latents.value, differenceStep: step, pass)
            return ObjectiveTerms(
                loss: terms.loss(beta: annealedBeta) + penalty * (gamma * batch.annealing),
                reconstruction: terms.reconstruction, kl: terms.kl, extra: penalty)
        case .consistency(let weight):
            guard let augmented = batch.augmented else {
                preconditionFailure("consistency regularization needs the augmented view t(x)")
            }
            let original = elbo(batch.input, target: batch.target, noise: batch.noise, pass)
            let transformed = elbo(augmented.input, target: augmented.target, noise: augmented.noise, pass)
            let consistency = gaussianKL(transformed.posterior, from: original.posterior)
            return ObjectiveTerms(
                loss: original.loss(beta: annealedBeta) + transformed.loss(beta: annealedBeta) + consistency
                    * weight,
                reconstruction: original.reconstruction + transformed.reconstruction,
                kl: original.kl + transformed.kl, extra: consistency)
        case .supervised(let settings, let weight):
            guard let labels = batch.labels, let classifier = objectiveParameters.classifier else {
                preconditionFailure("the supervised VAE needs labels")
            }
            let terms = elbo(batch.input, target: batch.target, noise: batch.noise, draws: batch.draws, pass)
            let supervised = terms.latents.slice(alongAxis: 1, start: 0, length: settings.supervisedLatents)
            let crossEntropy = crossEntropy(
                logits: classifier(supervised, pass), labels: labels, alongAxis: 1)
            return ObjectiveTerms(
                loss: terms.loss(beta: annealedBeta) + crossEntropy * weight,
                reconstruction: terms.reconstruction,
                kl: terms.kl, extra: crossEntropy)
        }
    }

    /// KL(N(μ_a, σ_a²) ‖ N(μ_b, σ_b²)) per example, diagonal Gaussians given as (μ, log σ²):
    /// ½ Σ_d [log σ_b² − log σ_a² − 1 + (σ_a² + (μ_a − μ_b)²)/σ_b²]   (Sinha & Dieng, Eq. 3).
    public func gaussianKL(
        _ a: (mean: Variable, logVariance: Variable), from b: (mean: Variable, logVariance: Variable)
    ) -> Variable {
        let ratio = (a.logVariance.exp() + (a.mean - b.mean).squared()) * (-b.logVariance).exp()
        return (b.logVariance - a.logVariance - 1 + ratio).sum(alongAxes: [1]) * 0.5
    }

    /// The decoder's mean image per example, `[B, D]`, as a differentiable function of its
    /// output (σ(logits) for Bernoulli, the mean for Gaussians).
    func decoderMean(_ output: Variable) -> Variable {
        let rows = output.shape[0]
        switch likelihood {
        case .bernoulli: return output.reshaped(to: [rows, pixelCount]).sigmoid()
        case .gaussianFixed, .gaussianLearned: return output.reshaped(to: [rows, pixelCount])
        case .categorical256:
            preconditionFailure("Jacobian-L1 is defined for Bernoulli and Gaussian decoders")
        }
    }

    /// Jacobian-L1 (Rhodes & Lee 2021, as the official code): at the detached latents `z: [B, Z]`,
    /// Σ_{j,pixels} |J| per example, `[B]`, J the forward-difference Jacobian of the decoder mean
    /// (`decoderJacobian`). Its gradient reaches the decoder only (z is a constant here).
    public func jacobianL1(at z: Tensor, differenceStep: Float, _ pass: ForwardPass) -> Variable {
        decoderJacobian(at: z, differenceStep: differenceStep, pass).abs().sum(alongAxes: [0, 2])
    }

    /// The decoder mean's Jacobian at `z: [B, Z]` without gradients, `[Z, B, D]` (studies of its
    /// sparsity and locality).
    public func decoderJacobian(at z: Tensor, differenceStep: Float) -> Tensor {
        decoderJacobian(at: z, differenceStep: differenceStep, ForwardPass(arena: arena, trainable: false))
            .value
    }

    /// J_j = (g(z + h e_j) − g(z)) / h of the decoder mean g, `[Z, B, D]`: one decoder pass over
    /// the (Z+1)·B stacked latents.
    func decoderJacobian(at z: Tensor, differenceStep: Float, _ pass: ForwardPass) -> Variable {
        let (batch, latent) = (z.shape[0], z.shape[1])
        // Rows j·B + b hold z_b + h e_j for j < Z; rows Z·B + b hold z_b.
        let stacked = Tensor(shape: [(latent + 1) * batch, latent]) { out in
            z.withUnsafeBufferPointer { source in
                for j in 0...latent {
                    for b in 0..<batch {
                        let row = (j * batch + b) * latent
                        for d in 0..<latent { out[row + d] = source[b * latent + d] }
                        if j < latent { out[row + j] += differenceStep }
                    }
                }
            }
        }
        let means = decoderMean(decode(Variable(stacked), pass))  // [(Z+1)·B, D]
        let shifted = means.slice(alongAxis: 0, start: 0, length: latent * batch)
            .reshaped(to: [latent, batch, pixelCount])
        let center = means.slice(alongAxis: 0, start: latent * batch, length: batch)
            .reshaped(to: [1, batch, pixelCount])
        return (shifted - center) * (1 / differenceStep)
    }
}

extension VAE {
    /// The supervised VAE's classifier logits for `z_s: [B, d_s]`: `[B, classes]`.
    public func classify(_ supervisedLatents: Variable, _ pass: ForwardPass) -> Variable {
        guard let classifier = objectiveParameters.classifier else {
            preconditionFailure("not a supervised VAE: objective \(objective.name)")
        }
        return classifier(supervisedLatents, pass)
    }

    /// d_s of a supervised VAE, nil otherwise.
    public var supervisedLatentCount: Int? {
        if case .supervised(let settings, _) = objective { return settings.supervisedLatents }
        return nil
    }
}
