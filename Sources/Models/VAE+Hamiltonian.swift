// Hamiltonian VAE (Caterini, Doucet, Sejdinovic, NeurIPS 2018), as the official TF code does it:
// z₀ = μ + σ⊙ε, ρ₀ = √T₀·γ; K leapfrog steps on U(z) = −log p(x, z) with per-dimension step
// sizes ε = ε_max·σ(r), each followed by tempering ρ ← α_k ρ; then
//     ELBO = log p(x|z_K) − ½‖z_K‖² − ½‖ρ_K‖² + Σ log σ + d
// (the official code's Rao-Blackwellised constant d for ½‖ε‖² + ½‖γ‖²). The gradient of the
// ELBO flows THROUGH ∇_z U — the leapfrog forces are built with `createGraph`, so training sees
// the Hessian-vector products the paper's TF graph contains (pythae drops them).

import Autodiff
import NN
import TensorCore

extension VAE {
    /// The HVAE settings (precondition: the objective is `.hamiltonian`).
    var hamiltonianSettings: HamiltonianSettings {
        guard case .hamiltonian(let settings) = objective else {
            preconditionFailure("not an HVAE: objective \(objective.name)")
        }
        return settings
    }

    /// √T₀ and the tempering factors α_1…α_K as `[1]` variables (nil: no tempering).
    func tempering(_ pass: ForwardPass) -> (rootInitialTemperature: Variable?, alphas: [Variable]?) {
        let settings = hamiltonianSettings
        let steps = settings.leapfrogSteps
        switch settings.tempering {
        case .none: return (nil, nil)
        case .fixed:
            guard let id = objectiveParameters.temperature else { return (nil, nil) }
            // T₀ = 1 + exp(t); T_k = (1 − T₀)k²/K² + T₀ (T_K = 1); α_k = √(T_k / T_{k−1}).
            let initial = pass[id].exp() + 1
            let temperatures = (0...steps).map { k -> Variable in
                let fraction = Float(k * k) / Float(steps * steps)
                return initial * (1 - fraction) + fraction
            }
            let alphas = (1...steps).map { k in (temperatures[k] / temperatures[k - 1]).sqrt() }
            return (initial.sqrt(), alphas)
        case .free:
            guard let id = objectiveParameters.alphaLogits else { return (nil, nil) }
            // α_k = σ(a_k); T₀ = (∏ α_k)^−2, so √T₀ = 1/∏ α_k.
            let sigmoids = pass[id].sigmoid()
            let alphas = (0..<steps).map { sigmoids.slice(alongAxis: 0, start: $0, length: 1) }
            let product = alphas.dropFirst().reduce(alphas[0]) { $0 * $1 }
            return ((product.log() * -1).exp(), alphas)
        }
    }

    /// ∇_z U(z) for U(z) = −log p(x|z) + ½‖z‖², per example (`[B, Z]`), differentiable when
    /// `createGraph` (then it depends on z and on the decoder's parameters).
    func potentialGradient(_ z: Variable, target: LikelihoodTarget, createGraph: Bool, _ pass: ForwardPass)
        -> Variable
    {
        // A z that does not depend on anything trainable (evaluation) gets a leaf of its own so
        // that there is a path to differentiate along.
        let point = z.requiresGradient ? z : Variable(z.value, requiresGradient: true)
        let potential =
            reconstructionLoss(decode(point, pass), target, pass) + point.squared().sum(alongAxes: [1]) * 0.5
        return gradients(of: potential.sum(), wrt: [point], createGraph: createGraph && z.requiresGradient)[0]
    }

    /// The leapfrog flow with tempering from (z₀, ρ₀): returns (z_K, ρ_K).
    func hamiltonianFlow(
        z initialZ: Variable, momentum initialMomentum: Variable, target: LikelihoodTarget, createGraph: Bool,
        _ pass: ForwardPass
    ) -> (z: Variable, momentum: Variable) {
        let settings = hamiltonianSettings
        guard let stepID = objectiveParameters.stepLogits else {
            preconditionFailure("an HVAE without step sizes")
        }
        let step = pass[stepID].sigmoid() * settings.maximumStepSize  // [Z], broadcast over the batch
        let halfStep = step * 0.5
        let alphas = tempering(pass).alphas
        var z = initialZ
        var momentum = initialMomentum
        // ∇U at the end of one step is the ∇U at the start of the next: K + 1 evaluations, not 2K.
        var force = potentialGradient(z, target: target, createGraph: createGraph, pass)
        for k in 0..<settings.leapfrogSteps {
            momentum = momentum - halfStep * force
            z = z + step * momentum
            force = potentialGradient(z, target: target, createGraph: createGraph, pass)
            momentum = momentum - halfStep * force
            if let alphas { momentum = momentum * alphas[k] }
        }
        return (z, momentum)
    }

    /// The HVAE's per-example negative ELBO as −log p(x|z_K) (`reconstruction`) and the rest
    /// (`rest` = ½‖z_K‖² + ½‖ρ_K‖² − Σ log σ − d), `[B]` each.
    func hamiltonianTerms(_ batch: ObjectiveBatch, _ pass: ForwardPass) -> (
        reconstruction: Variable, rest: Variable
    ) {
        guard let gamma = batch.momentumNoise else { preconditionFailure("an HVAE batch needs γ") }
        let (mean, logVariance) = encode(Variable(batch.input), pass)
        let z0 = mean + (logVariance * 0.5).exp() * Variable(batch.noise)
        var momentum0 = Variable(gamma)
        if let root = tempering(pass).rootInitialTemperature { momentum0 = momentum0 * root }
        let (z, momentum) = hamiltonianFlow(
            z: z0, momentum: momentum0, target: batch.target, createGraph: true, pass)
        let reconstruction = reconstructionLoss(decode(z, pass), batch.target, pass)
        let logDeterminant = (logVariance * 0.5).sum(alongAxes: [1])  // Σ log σ
        let rest =
            (z.squared().sum(alongAxes: [1]) + momentum.squared().sum(alongAxes: [1])) * 0.5 - logDeterminant
            - Float(latentCount)
        return (reconstruction, rest)
    }

    /// The HVAE's importance-weighted log-likelihood (official `get_nll`): for K samples
    /// (z₀, ρ₀) ~ q⁰, log w = log p(x|z_K) − ½‖z_K‖² − ½‖ρ_K‖² + Σ log σ + ½‖ε‖² + ½‖γ‖² (the
    /// 2π and T₀ constants cancel); returns log p̂(x) = logsumexp log w − log K, `[B]`.
    public func hamiltonianImportanceWeightedLogLikelihood(
        _ x: Tensor, target: LikelihoodTarget, indices: [Int], samples: Int, chunk: Int, draws keys: Draws
    ) -> Tensor {
        let (batch, latent) = (x.shape[0], latentCount)
        let pass = ForwardPass(arena: arena, trainable: false)
        let (mean, logVariance) = encode(Variable(x), pass)
        let sigma = (logVariance.value * 0.5).exp()
        let logDeterminant = (logVariance.value * 0.5).sum(alongAxes: [1])
        let root = tempering(pass).rootInitialTemperature?.value
        var logWeights = Tensor.zeros([batch, samples])
        var start = 0
        while start < samples {
            let count = min(chunk, samples - start)
            // ε and γ of sample k of example b: draws (k·2Z …) of the example's stream.
            let draws = Tensor(shape: [batch, count, 2 * latent]) { out in
                for (row, example) in indices.enumerated() {
                    let values = keys.generator(example)
                        .normal([count * 2 * latent], first: UInt64(start * 2 * latent))
                    values.withUnsafeBufferPointer { source in
                        for index in 0..<(count * 2 * latent) {
                            out[row * count * 2 * latent + index] = source[index]
                        }
                    }
                }
            }
            let epsilon = draws.slice(alongAxis: 2, start: 0, length: latent)
            let gamma = draws.slice(alongAxis: 2, start: latent, length: latent)
            let z0 =
                mean.value.reshaped(to: [batch, 1, latent]) + sigma.reshaped(to: [batch, 1, latent]) * epsilon
            var momentum0 = gamma
            if let root { momentum0 = momentum0 * root.reshaped(to: [1, 1, 1]) }
            let repeated = LikelihoodTarget(
                values: target.values.reshaped(to: [batch, 1, pixelCount]).broadcast(to: [
                    batch, count, pixelCount,
                ])
                .reshaped(to: [batch * count] + imageShape))
            let (z, momentum) = hamiltonianFlow(
                z: Variable(z0.reshaped(to: [batch * count, latent])),
                momentum: Variable(momentum0.reshaped(to: [batch * count, latent])), target: repeated,
                createGraph: false, pass)
            let logLikelihood = -reconstructionLoss(decode(z, pass), repeated, pass).value
            let weights =
                logLikelihood
                - (z.value.squared().sum(alongAxes: [1]) + momentum.value.squared().sum(alongAxes: [1])) * 0.5
                + (epsilon.squared().sum(alongAxes: [2]) + gamma.squared().sum(alongAxes: [2])).reshaped(to: [
                    batch * count
                ]) * 0.5
                + logDeterminant.reshaped(to: [batch, 1]).broadcast(to: [batch, count]).reshaped(to: [
                    batch * count
                ])
            logWeights.store(weights, batch: batch, count: count, at: start)
            start += count
        }
        return logWeights.logSumExp(alongAxis: 1) + (-Float.logOf(Float(samples)))
    }
}
