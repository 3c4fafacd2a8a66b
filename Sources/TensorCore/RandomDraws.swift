// The one registry of random purposes. Every draw in VAEKit comes from a Philox stream keyed by
//
//     (seed, purpose, step or checkpoint, split or role, example index)
//
// and this file is the only public way to build such a stream: `Philox(seed:stream:)` is
// internal to TensorCore, so a draw outside it must name a `RandomPurpose` case. The layout is
// documented in docs/architecture.md ("Random draws").

/// What a draw is for. The raw value enters every stream key: never renumber or reuse one.
public enum RandomPurpose: UInt64, CaseIterable, Sendable {
    /// Parameter initialization; the index is a hash of the parameter's name.
    case initialization = 1
    /// The sampler's permutation; the step is the epoch.
    case shuffle = 2
    /// Dynamic binarization of an example's pixels.
    case binarize = 3
    /// Reparameterization noise ε of training.
    case reparameterize = 4
    /// Uniform-noise images (`data prepare noise`, the `noise` OOD set).
    case noiseImages = 5
    /// ε of evaluation: the test −ELBO and every IWAE estimate.
    case importance = 6
    /// Latents of prior samples for image grids.
    case prior = 7
    /// ε of per-example influence gradients; index and query roles differ by split.
    case influence = 8
    /// ε of Likelihood Regret's refit; the step is the refit step.
    case likelihoodRegret = 9
    /// Pixel perturbation of the likelihood-ratio background model.
    case perturbation = 10
    /// HVAE: the initial momentum γ.
    case momentum = 11
    /// Consistency regularization: the affine parameters of t(x).
    case augmentation = 12
    /// Consistency regularization: binarization of t(x).
    case augmentedBinarize = 13
    /// Consistency regularization: ε of t(x).
    case augmentedReparameterize = 14
    /// HVAE Gaussian experiment: the true model and its data.
    case gaussianExperimentData = 15
    /// HVAE Gaussian experiment: ε and γ of each iteration.
    case gaussianExperimentNoise = 16
    /// Constant-intensity images (`data prepare constant`, the `constant` OOD set).
    case constantImages = 17
    /// Three-dots positions.
    case threeDots = 18
    /// Local disentanglement metrics: the cluster centres and their perturbations.
    case disentanglement = 19
    /// Representation metrics: ε of the aggregate posterior.
    case representation = 20
    /// Invariances: resampled nuisance latents.
    case invariances = 21
    /// TensorSketch hashes and signs of the influence index; the index is the layer's hash.
    case projection = 22
    /// Inputs of finite-difference gradient checks.
    case gradientCheck = 23
    /// Inputs of throughput benchmarks.
    case benchmark = 24
    /// The random training subsets of the linear datamodeling score; the step is the subset.
    case datamodelSubsets = 25
    /// Generated digit images: each image's digit, font, affine map, stroke width and blur.
    case digitImages = 26
    /// Bootstrap resamples of OOD metrics; the index is the resample, the split `<method>:<set>`.
    case bootstrap = 27
    /// Bernoulli draws binarizing decoded images before the supervised VAE's classifier re-reads
    /// them; the step is the z_n draw, the index the example.
    case invarianceBinarization = 28
}

/// The data split or role a draw belongs to: the same example index in two splits (train image
/// i and test image i) or two roles (a training example in the index and as a query) never
/// shares a stream.
public struct DrawSplit: Hashable, Sendable, CustomStringConvertible {
    /// The name: `train`, `test`, an OOD set's name, `query:<split>`, or empty for draws that
    /// belong to no data.
    public let name: String
    /// FNV-1a of the name (0 for no split).
    let key: UInt64

    /// The split named `name`.
    public init(_ name: String) {
        self.name = name
        key = name.isEmpty ? 0 : stableHash(name)
    }

    /// Draws that belong to no data split (initialization, prior samples, synthetic sets).
    public static let none = DrawSplit("")
    /// The run's training set.
    public static let train = DrawSplit("train")
    /// The run's test set.
    public static let test = DrawSplit("test")

    /// The query role of a split: an example explained by an influence query draws afresh, not
    /// the draws stored for it in the index.
    public var query: DrawSplit { DrawSplit("query:\(name)") }

    /// The name, or `(none)`.
    public var description: String { name.isEmpty ? "(none)" : name }
}

/// The streams of one (seed, purpose, step, split): one Philox stream per example index.
public struct Draws: Sendable, Equatable {
    /// The run's seed (the Philox key).
    public var seed: UInt64
    /// What the draws are for.
    public var purpose: RandomPurpose
    /// The training step, checkpoint step, epoch or refit step.
    public var step: UInt64
    /// The split or role.
    public var split: DrawSplit

    /// Draws of `purpose` at `step` in `split`.
    public init(seed: UInt64, _ purpose: RandomPurpose, step: UInt64 = 0, split: DrawSplit = .none) {
        self.seed = seed
        self.purpose = purpose
        self.step = step
        self.split = split
    }

    /// The stream number of example `index`: a hash of (purpose, step, split, index).
    func stream(_ index: UInt64) -> UInt64 {
        Philox.stream(purpose.rawValue, step, split.key, index)
    }

    /// The generator of example `index`.
    public func generator(_ index: UInt64) -> Philox {
        Philox(seed: seed, stream: stream(index))
    }

    /// The generator of example `index`.
    public func generator(_ index: Int) -> Philox { generator(UInt64(bitPattern: Int64(index))) }

    /// The generator keyed by a name (a parameter, a layer) in place of an example index.
    public func generator(named name: String) -> Philox { generator(stableHash(name)) }

    /// Standard normals `[B, count]`: row b is the first `count` draws of example `indices[b]`'s
    /// stream, so a row never depends on the batch, its position in it, or the rank.
    public func normal(_ indices: [Int], count: Int) -> Tensor {
        rows(indices, count: count) { $0.normal([count]) }
    }

    /// Uniforms in (0, 1) `[B, count]`, keyed like `normal`.
    public func uniform(_ indices: [Int], count: Int) -> Tensor {
        rows(indices, count: count) { $0.uniform([count]) }
    }

    private func rows(_ indices: [Int], count: Int, _ draw: (Philox) -> Tensor) -> Tensor {
        Tensor(shape: [indices.count, count]) { out in
            for (row, example) in indices.enumerated() {
                draw(generator(example)).withUnsafeBufferPointer { source in
                    for index in 0..<count { out[row * count + index] = source[index] }
                }
            }
        }
    }
}

/// FNV-1a of the UTF-8 text: stable across processes and runs (Swift's `Hasher` is not).
func stableHash(_ text: String) -> UInt64 {
    var hash: UInt64 = 0xCBF2_9CE4_8422_2325
    for byte in text.utf8 {
        hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
    }
    return hash
}
