// The variational auto-encoder: a Gaussian q(z|x) = N(μ, diag σ²) from the encoder, a standard
// normal prior, and a decoder likelihood p(x|z) (Kingma & Welling 2014).
// B = batch, Z = latent dimensions, D = C·H·W pixels.

import Autodiff
import NN
import TensorCore

/// A VAE whose parameters live in one arena.
public struct VAE {
    /// `[C, H, W]` of the images it models.
    public let imageShape: [Int]
    /// Z.
    public let latentCount: Int
    /// p(x|z).
    public let likelihood: Likelihood
    /// The networks' family.
    public let architecture: Architecture
    /// All parameters.
    public let arena: ParameterArena
    let encoder: any Layer
    let decoder: any Layer
    /// `decoder.log_scale` for `gaussianLearned`.
    let logScale: ParameterID?
    /// The training objective.
    public let objective: VAEObjective
    /// The objective's own parameters (flow step sizes, tempering, classifier).
    let objectiveParameters: ObjectiveParameters

    /// Builds a VAE with parameters initialized from `seed`.
    public init(
        imageShape: [Int], latentCount: Int, likelihood: Likelihood, architecture: Architecture, seed: UInt64,
        objective: VAEObjective = .elbo
    ) {
        precondition(imageShape.count == 3, "image shape must be [C, H, W], got \(imageShape)")
        if case .dcgan = architecture {
            precondition(imageShape[1] == 32 && imageShape[2] == 32, "the DCGAN VAE needs 32×32 images")
        }
        self.imageShape = imageShape
        self.latentCount = latentCount
        self.likelihood = likelihood
        self.architecture = architecture
        var builder = ParameterArenaBuilder(seed: seed)
        let parts = VAE.register(
            imageShape: imageShape, latentCount: latentCount, likelihood: likelihood,
            architecture: architecture,
            objective: objective, in: &builder)
        (encoder, decoder, logScale, objectiveParameters) = parts
        self.objective = objective
        arena = builder.build()
    }

    /// Parameters of the VAE these arguments describe, counted without building it.
    public static func parameterCount(
        imageShape: [Int], latentCount: Int, likelihood: Likelihood, architecture: Architecture,
        objective: VAEObjective = .elbo
    ) -> Int {
        var builder = ParameterArenaBuilder.counting()
        _ = register(
            imageShape: imageShape, latentCount: latentCount, likelihood: likelihood,
            architecture: architecture,
            objective: objective, in: &builder)
        return builder.parameterCount
    }

    /// Registers every parameter of the VAE, in arena order (encoder first).
    private static func register(
        imageShape: [Int], latentCount: Int, likelihood: Likelihood, architecture: Architecture,
        objective: VAEObjective, in builder: inout ParameterArenaBuilder
    ) -> (any Layer, any Layer, ParameterID?, ObjectiveParameters) {
        let networks = NetworkBuilder(
            imageShape: imageShape, latentCount: latentCount, likelihood: likelihood
        )
        .build(architecture, in: &builder)
        let logScale =
            likelihood == .gaussianLearned
            ? builder.register("decoder.log_scale", Tensor.zeros([imageShape.reduce(1, *)])) : nil
        let objectiveParameters = ObjectiveParameters(objective, latentCount: latentCount, in: &builder)
        return (networks.0, networks.1, logScale, objectiveParameters)
    }

    /// Pixels per image, D.
    public var pixelCount: Int { imageShape.reduce(1, *) }

    /// q(z|x): mean and log-variance, `[B, Z]` each.
    public func encode(_ x: Variable, _ pass: ForwardPass) -> (mean: Variable, logVariance: Variable) {
        let statistics = encoder(x, pass)
        return (
            statistics.slice(alongAxis: 1, start: 0, length: latentCount),
            statistics.slice(alongAxis: 1, start: latentCount, length: latentCount)
        )
    }

    /// The decoder's output for latents `z: [B, Z]` (logits or means).
    public func decode(_ z: Variable, _ pass: ForwardPass) -> Variable { decoder(z, pass) }

    /// −log p(x|z) per example, `[B]`.
    public func reconstructionLoss(_ output: Variable, _ target: LikelihoodTarget, _ pass: ForwardPass)
        -> Variable
    {
        likelihood.negativeLogLikelihood(output, target, logScale: logScale.map { pass[$0] })
    }

    /// The terms of the negative ELBO per example.
    public struct ELBOTerms {
        /// −E_q log p(x|z) (one sample), `[B]`.
        public var reconstruction: Variable
        /// KL(q(z|x) ‖ N(0, I)), analytic, `[B]`.
        public var kl: Variable
        /// The sampled latents, `[B, Z]`.
        public var latents: Variable
        /// The decoder output at those latents.
        public var output: Variable
        /// q(z|x) as (μ, log σ²), `[B, Z]` each.
        public var posterior: (mean: Variable, logVariance: Variable)
        /// reconstruction + β·KL, `[B]`.
        public func loss(beta: Float) -> Variable { reconstruction + kl * beta }
    }

    /// The single-sample negative ELBO terms of a batch.
    ///
    /// - Parameters:
    ///   - x: inputs `[B, C, H, W]`.
    ///   - target: likelihood targets of the same examples.
    ///   - noise: ε `[B·S, Z]`, standard normal (z = μ + σ ⊙ ε).
    ///   - draws: S draws per example: `x` holds B examples, `target` and `noise` B·S rows
    ///     (example-major). The encoder runs once per example and its posterior is repeated S
    ///     times, so its backward runs once on the summed gradient of the S draws; every term is
    ///     `[B·S]` (the KL repeated), as if each example had been given S times.
    public func elbo(
        _ x: Tensor, target: LikelihoodTarget, noise: Tensor, draws: Int = 1, _ pass: ForwardPass
    ) -> ELBOTerms {
        let (mean, logVariance) = encode(Variable(x), pass)
        let (means, logVariances) = (mean.repeatingRows(draws), logVariance.repeatingRows(draws))
        let z = means + (logVariances * 0.5).exp() * Variable(noise)
        let output = decode(z, pass)
        // KL(N(μ, σ²) ‖ N(0, 1)) = ½ Σ (μ² + σ² − 1 − log σ²).
        let kl = ((mean.squared() + logVariance.exp() - logVariance) - 1).sum(alongAxes: [1]) * 0.5
        return ELBOTerms(
            reconstruction: reconstructionLoss(output, target, pass), kl: kl.repeatingRows(draws), latents: z,
            output: output, posterior: (means, logVariances))
    }
}
