// Train image i and test image i never share draws: the same pixels in the two splits get
// different binarizations, ε, γ, augmentations, perturbations and importance samples, and the
// same split draws the same values again (every draw is keyed, nothing is stateful).

import Datasets
import Runs
import TensorCore
import Testing
import VAEKitTestSupport

@Suite struct DrawSplitTests {
    /// Identical gray images as the run's training and test splits.
    static func splits() -> (train: ImageDataset, test: ImageDataset) {
        let images: [UInt8] = (0..<(6 * 36)).map { (pixel: Int) -> UInt8 in UInt8(40 + (pixel * 37) % 180) }
        let set = ImageDataset(
            images: images, labels: [Int64](repeating: 0, count: 6), channels: 1, height: 6, width: 6,
            source: "gray", split: "unknown")
        return (set.withDrawSplit(DrawSplit.train), set.withDrawSplit(DrawSplit.test))
    }

    static func config(_ overrides: [String] = []) throws -> RunConfig {
        try RunConfig.parse(
            "seed: 4\nmodel:\n  latent: 3\n  hidden: [8]\n", path: "draws.yaml", overrides: overrides)
    }

    @Test(arguments: ["elbo", "hvae", "consistency"])
    func trainingDrawsDifferBetweenSplits(_ kind: String) throws {
        let config = try Self.config(["objective.kind=\(kind)", "data.perturbation=0.3"])
        let model = try config.makeModel(imageShape: [1, 6, 6])
        let (train, test) = Self.splits()
        let indices = [0, 3, 5]
        let a = config.objectiveBatch(model: model, set: train, indices: indices, step: 11)
        let b = config.objectiveBatch(model: model, set: test, indices: indices, step: 11)
        let again = config.objectiveBatch(model: model, set: train, indices: indices, step: 11)
        // Binarization (with the background model's perturbation on top) and ε.
        #expect(a.input.scalars != b.input.scalars)
        #expect(a.noise.scalars != b.noise.scalars)
        #expect(a.input.scalars == again.input.scalars && a.noise.scalars == again.noise.scalars)
        if kind == "hvae" {
            #expect(a.momentumNoise?.scalars != b.momentumNoise?.scalars)
            #expect(a.momentumNoise?.scalars != a.noise.scalars)
        }
        if kind == "consistency" {
            #expect(a.augmented?.input.scalars != b.augmented?.input.scalars)
            #expect(a.augmented?.noise.scalars != b.augmented?.noise.scalars)
        }
    }

    @Test func augmentationDiffersBetweenSplits() {
        let (train, test) = Self.splits()
        let ranges = AffineRanges(degrees: 15, translation: 0.1, scale: 0.9...1.1)
        let a = train.affineAugmented([1, 2], ranges: ranges, seed: 3, step: 2)
        #expect(a.scalars != test.affineAugmented([1, 2], ranges: ranges, seed: 3, step: 2).scalars)
        #expect(a.scalars == train.affineAugmented([1, 2], ranges: ranges, seed: 3, step: 2).scalars)
    }

    @Test func evaluationDrawsDifferBetweenSplits() throws {
        let config = try Self.config()
        let model = try config.makeModel(imageShape: [1, 6, 6])
        let (train, test) = Self.splits()
        let evaluator = Evaluator(model: model, config: config)
        // Evaluation binarizes once per (split, example), and its importance samples are keyed alike.
        let (trainInput, _) = config.batch(train, indices: [0, 1], step: RunConfig.evaluationStep)
        let (testInput, _) = config.batch(test, indices: [0, 1], step: RunConfig.evaluationStep)
        #expect(trainInput.scalars != testInput.scalars)
        let a = evaluator.logLikelihoods(train, indices: [0, 1], samples: 8, chunk: 4)
        #expect(a != evaluator.logLikelihoods(test, indices: [0, 1], samples: 8, chunk: 4))
        #expect(a == evaluator.logLikelihoods(train, indices: [0, 1], samples: 8, chunk: 4))
        #expect(config.evaluationDraws(train) != config.evaluationDraws(test))
    }

    @Test func runDataNamesItsSplitsWhateverTheFilesSay() throws {
        let folder = makeTestFolder()
        let (train, _) = Self.splits()
        // Both files claim to be the same split; the run's roles decide.
        try train.write(to: "\(folder)/a.h5")
        try train.write(to: "\(folder)/b.h5")
        let config = try Self.config([
            "data.train=\(folder)/a.h5", "data.test=\(folder)/b.h5", "training.batch_size=2",
        ])
        let data = try RunData.load(config)
        #expect(data.train.drawSplit == .train)
        #expect(data.test.drawSplit == .test)
    }
}
