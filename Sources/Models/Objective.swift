// The training objectives of the seed papers, chosen per run: the β-ELBO, the Hamiltonian VAE
// (Caterini et al. 2018), Jacobian-L1 local disentanglement (Rhodes & Lee 2021), consistency
// regularization (Sinha & Dieng 2021) and the supervised VAE with a nuisance latent split
// (Nguyen & Rodríguez Martínez 2020). Parameters an objective adds (flow step sizes, tempering,
// a classifier) live in the model's arena after the decoder's.

/// Tempering of the HVAE flow (Caterini et al., §3; the official MNIST code's schedules).
public enum Tempering: String, Sendable, CaseIterable {
    /// T₀ = 1, α_k = 1: a deterministic leapfrog flow.
    case none
    /// Learned scalar T₀ = 1 + exp(t); T_k = (1 − T₀)k²/K² + T₀; α_k = √(T_k / T_{k−1}).
    case fixed
    /// Learned α_k = σ(a_k); T₀ = (∏ α_k)^−2 so the final temperature is 1.
    case free
}

/// HVAE settings (official code defaults: ε = 0.5·σ(r) initialised at 0.2, T₀ = 1.5, α = 0.9).
public struct HamiltonianSettings: Equatable, Sendable {
    /// K leapfrog steps.
    public var leapfrogSteps = 5
    /// Tempering schedule.
    public var tempering = Tempering.fixed
    /// Initial per-dimension leapfrog step size.
    public var initialStepSize: Float = 0.2
    /// ε_max: step sizes are ε_max·σ(r).
    public var maximumStepSize: Float = 0.5
    /// Initial T₀ (`fixed`).
    public var initialTemperature: Float = 1.5
    /// Initial α_k (`free`).
    public var initialAlpha: Float = 0.9

    /// Defaults.
    public init() {}
}

/// Supervised-VAE settings.
public struct SupervisedSettings: Equatable, Sendable {
    /// d_s: the first latents, which alone feed the classifier.
    public var supervisedLatents = 8
    /// Label classes.
    public var classes = 10
    /// Hidden width of the classifier on z_s.
    public var classifierHidden = 128

    /// Defaults.
    public init() {}
}

/// What a VAE is trained on, beyond its networks.
public enum VAEObjective: Equatable, Sendable {
    /// The β-ELBO.
    case elbo
    /// The HVAE ELBO after a tempered leapfrog flow.
    case hamiltonian(HamiltonianSettings)
    /// The β-ELBO plus γ times the L1 norm of the decoder's finite-difference Jacobian.
    case jacobianL1(gamma: Float, differenceStep: Float)
    /// ELBO(x) + ELBO(t(x)) + λ·KL(q(z|t(x)) ‖ q(z|x)).
    case consistency(weight: Float)
    /// The β-ELBO plus α times the cross-entropy of a classifier on z_s.
    case supervised(SupervisedSettings, weight: Float)

    /// A short name.
    public var name: String {
        switch self {
        case .elbo: return "elbo"
        case .hamiltonian: return "hvae"
        case .jacobianL1: return "jacobian_l1"
        case .consistency: return "consistency"
        case .supervised: return "supervised"
        }
    }

    /// The name under which the objective's own term (`ObjectiveTerms.extra`, per example,
    /// unweighted) is logged, or nil when it has none: Jacobian-L1's Σ|J|, consistency
    /// regularization's KL, the supervised VAE's classifier cross-entropy.
    public var extraTermName: String? {
        switch self {
        case .elbo, .hamiltonian: return nil
        case .jacobianL1: return "jacobian_l1"
        case .consistency: return "consistency_kl"
        case .supervised: return "classifier_cross_entropy"
        }
    }
}
