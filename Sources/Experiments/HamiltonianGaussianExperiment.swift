// The synthetic Gaussian experiment of the HVAE paper (Caterini et al. 2018, §4.1; official
// `gaussian/` code): one latent z ~ N(0, I_d) shared by N = 10,000 observations
// x_k ~ N(z + Δ, diag σ²), with Δ = r/5 and σ_j = 36 r_j²/(10(d−1)²) + 0.1 for
// r = (−(d−1)/2, …, (d−1)/2) (σ = 1 when d = 1). Δ and log σ are learned by maximizing an ELBO
// with RMSProp (TF1 defaults: decay 0.9, accumulator initialised to 1, ε 1e-10), from Δ = 0 and
// log σ = 3, and the estimates are compared with the truth: ‖Δ̂ − Δ‖² and ‖σ̂ − σ‖², summed over
// dimensions. Methods: mean-field VB (closed-form ELBO, q = N(μ, diag s²), μ = 0, log s = 1 at
// start) and HVAE with K leapfrog steps from the fixed base N(0, I) × N(0, I), tempered
// (ρ₀ = T₀γ, T_k = 1 + (T₀ − 1)(1 − k²/K²), ρ ← (T_k/T_{k−1})ρ, T₀ = 1 + e^t starting at 5) or
// not, step sizes ε = 0.5·σ(r) starting at 0.005, 10 Monte-Carlo samples per iteration. ∇_z U is
// the closed form z + N(z + Δ − x̄)/σ², written in differentiable ops, so the ELBO's gradient
// flows through the forces as in the official TF graph.
// Unlike the official script, every repetition starts from the initial values (the official code
// never re-initializes between its 10 runs, so runs 2–10 warm-start from the previous one).

import Autodiff
import Foundation
import TensorCore

/// One method of the experiment.
public enum GaussianMethod: Hashable, Sendable, CustomStringConvertible {
    /// Mean-field variational Bayes.
    case variationalBayes
    /// HVAE with K leapfrog steps, tempered or not.
    case hamiltonian(steps: Int, tempered: Bool)

    /// A table label.
    public var description: String {
        switch self {
        case .variationalBayes: return "VB"
        case .hamiltonian(let steps, let tempered): return "HVAE K=\(steps)" + (tempered ? " tempered" : "")
        }
    }
}

/// The result of one run.
public struct GaussianRunResult: Sendable, Codable {
    /// ‖Δ̂ − Δ‖².
    public var deltaError: Double
    /// ‖σ̂ − σ‖².
    public var sigmaError: Double
    /// Whether the run diverged (NaN parameters).
    public var diverged: Bool
}

/// One dataset of the experiment and the methods that fit it.
public struct HamiltonianGaussianExperiment {
    /// Latent dimension d.
    public let dimension: Int
    /// Observations N.
    public let count: Int
    /// True Δ and σ.
    public let delta: [Float]
    /// True σ.
    public let sigma: [Float]
    /// Σ_k x_k and Σ_k x_k² per dimension (the sufficient statistics).
    let sum: Tensor
    let sumOfSquares: Tensor

    /// The dataset of repetition `repetition` for dimension `dimension`.
    public init(dimension: Int, count: Int = 10_000, seed: UInt64, repetition: Int) {
        self.dimension = dimension
        self.count = count
        let r = (0..<dimension).map { Float($0) - Float(dimension - 1) / 2 }
        delta = r.map { $0 / 5 }
        sigma =
            dimension == 1
            ? [1] : r.map { 36 * $0 * $0 / (10 * Float((dimension - 1) * (dimension - 1))) + 0.1 }
        // One stream per (dimension, repetition): the dimension as the step, the repetition as
        // the index.
        let stream = Draws(seed: seed, .gaussianExperimentData, step: UInt64(dimension)).generator(repetition)
        let z = stream.normal([dimension], first: 0)
        let noise = stream.normal([count, dimension], first: UInt64(dimension))
        var sums = [Float](repeating: 0, count: dimension)
        var squares = [Float](repeating: 0, count: dimension)
        let (trueDelta, trueSigma, latent) = (delta, sigma, z.scalars)
        noise.withUnsafeBufferPointer { eta in
            for k in 0..<count {
                for j in 0..<dimension {
                    let x = latent[j] + trueDelta[j] + trueSigma[j] * eta[k * dimension + j]
                    sums[j] += x
                    squares[j] += x * x
                }
            }
        }
        sum = Tensor(shape: [dimension], scalars: sums)
        sumOfSquares = Tensor(shape: [dimension], scalars: squares)
    }

    /// log p(x_{1:N} | z) for latents `z: [S, d]` up to −(Nd/2) log 2π: `[S]`.
    func logLikelihood(_ z: Variable, delta: Variable, logSigma: Variable) -> Variable {
        let n = Float(count)
        let shift = z + delta  // [S, d]
        let precision = (logSigma * -2).exp()  // 1/σ²
        // Σ_k (x_k − a)² = Σx² − 2aΣx + N a²  per dimension.
        let squares = Variable(sumOfSquares) - shift * Variable(sum) * 2 + shift.squared() * n
        return (squares * precision * -0.5).sum(alongAxes: [1]) - logSigma.sum() * n
    }

    /// The ELBO a method maximizes (constants dropped) at parameters `variables`.
    func elbo(_ method: GaussianMethod, _ variables: [Variable], iteration: Int, seed: UInt64) -> Variable {
        let (delta, logSigma) = (variables[0], variables[1])
        let d = dimension
        switch method {
        case .variationalBayes:
            // E_q log p(x|z) with E_q (z + Δ − a)² = (μ + Δ − a)² + s², plus E_q log p(z) + H(q).
            let (mean, logScale) = (variables[2], variables[3])
            let variance = (logScale * 2).exp()
            let n = Float(count)
            let precision = (logSigma * -2).exp()
            let shift = mean + delta
            let squares =
                Variable(sumOfSquares) - shift * Variable(sum) * 2 + (shift.squared() + variance) * n
            let likelihood = (squares * precision * -0.5).sum() - logSigma.sum() * n
            let prior = (mean.squared() + variance).sum() * -0.5
            return likelihood + prior + logScale.sum()
        case .hamiltonian(let steps, let tempered):
            let samples = 10
            let draws = Draws(seed: seed, .gaussianExperimentNoise, step: UInt64(iteration)).generator(0)
                .normal([2, samples, d])
            var z = Variable(draws.slice(alongAxis: 0, start: 0, length: 1).reshaped(to: [samples, d]))
            var momentum = Variable(
                draws.slice(alongAxis: 0, start: 1, length: 1).reshaped(to: [samples, d]))
            let step = variables[2].sigmoid() * 0.5
            let half = step * 0.5
            let n = Float(count)
            let mean = Variable(sum * (1 / n))
            let precision = (logSigma * -2).exp()
            // ∇_z U = z + N(z + Δ − x̄)/σ².
            func force(_ z: Variable) -> Variable { z + (z + delta - mean) * precision * n }
            var temperatures: [Variable] = []
            if tempered {
                let initial = variables[3].exp() + 1
                momentum = momentum * initial
                temperatures = (0...steps).map { k in
                    (initial - 1) * (1 - Float(k * k) / Float(steps * steps)) + 1
                }
            }
            for k in 1...steps {
                momentum = momentum - half * force(z)
                z = z + step * momentum
                momentum = momentum - half * force(z)
                if tempered { momentum = momentum * (temperatures[k] / temperatures[k - 1]) }
            }
            let joint =
                logLikelihood(z, delta: delta, logSigma: logSigma) - z.squared().sum(alongAxes: [1]) * 0.5
                - momentum.squared().sum(alongAxes: [1]) * 0.5
            return joint.mean() + Float(d)
        }
    }

    /// Fits `method` for `iterations` RMSProp steps and returns the estimation errors.
    public func fit(_ method: GaussianMethod, iterations: Int, learningRate: Float, seed: UInt64)
        -> GaussianRunResult
    {
        let d = dimension
        var parameters = [Tensor.zeros([d]), Tensor(shape: [d], repeating: 3)]
        switch method {
        case .variationalBayes:
            parameters += [Tensor.zeros([d]), Tensor(shape: [d], repeating: 1)]
        case .hamiltonian(_, let tempered):
            parameters.append(Tensor(shape: [d], repeating: logf(0.005 / 0.495)))
            if tempered { parameters.append(Tensor(shape: [1], repeating: logf(4))) }
        }
        // RMSProp as TF1: ms ← 0.9 ms + 0.1 g²; θ ← θ − lr g / √(ms + 1e-10), ms starting at 1.
        var meanSquares = parameters.map { Tensor(shape: $0.shape, repeating: 1) }
        for iteration in 0..<iterations {
            let variables = parameters.map { Variable($0, requiresGradient: true) }
            let loss = -elbo(method, variables, iteration: iteration, seed: seed)
            let grads = gradients(of: loss, wrt: variables)
            for index in parameters.indices {
                let g = grads[index].value
                meanSquares[index] = meanSquares[index] * 0.9 + g.squared() * 0.1
                parameters[index] = parameters[index] - g * learningRate / (meanSquares[index] + 1e-10).sqrt()
            }
        }
        let estimatedDelta = parameters[0].scalars
        let estimatedSigma = parameters[1].exp().scalars
        let deltaError = zip(estimatedDelta, delta).map { Double(($0 - $1) * ($0 - $1)) }.reduce(0, +)
        let sigmaError = zip(estimatedSigma, sigma).map { Double(($0 - $1) * ($0 - $1)) }.reduce(0, +)
        return GaussianRunResult(
            deltaError: deltaError, sigmaError: sigmaError,
            diverged: !(deltaError.isFinite && sigmaError.isFinite))
    }
}
