// How per-example gradients are kept in the index.

/// The representation of each example's loss gradient.
public enum GradientMode: String, Sendable, CaseIterable {
    /// Exact per-layer factors (A, Δ): G = Δᵀ A per layer; dot products by
    /// Σ_layers sum((A_i A_jᵀ) ⊙ (Δ_i Δ_jᵀ)).
    case factors
    /// A seeded Kronecker-structured random projection per layer: the TensorSketch
    /// Σ_positions (C_out δ) ⊛ (C_in a) of G, D numbers per layer (see `TensorSketch`).
    case projected
    /// The dense gradient, one number per parameter (small models).
    case dense
}

/// How projected and dense vectors are stored (factors are always Float32).
public enum GradientStorage: String, Sendable, CaseIterable {
    /// Four bytes a number.
    case float32
    /// IEEE half precision: half the disk and reads; values keep 11 significant bits.
    case float16
}

/// How a checkpoint's gradients are weighted before the dot products.
public enum InfluencePreconditioner: String, Sendable, CaseIterable {
    /// ⟨g_z, g_x⟩: the SGD step.
    case none
    /// ⟨g_z, P g_x⟩ with Adam's P = 1/(√v̂ + ε) at the checkpoint (see `AdamPreconditioner`).
    case adam
}

/// What the index computes, fixed for all checkpoints of one index.
public struct InfluenceSettings: Equatable, Sendable {
    /// Representation.
    public var mode = GradientMode.projected
    /// Reparameterization draws S averaged in each example's loss (16 in the official code).
    public var samples = 16
    /// Sketch size D per layer (numbers stored per layer and example).
    public var projectionDimension = 256
    /// The seed the projections are regenerated from.
    public var projectionSeed: UInt64 = 0x7AC1
    /// Examples per batched backward pass.
    public var batchSize = 64
    /// Storage of projected and dense vectors.
    public var storage = GradientStorage.float32
    /// The preconditioner applied to both sides of every dot product.
    public var preconditioner = InfluencePreconditioner.none

    /// Defaults.
    public init() {}
}
