// Offline OOD sets and the input-complexity baseline.

import Datasets
import OOD
import Testing

@Suite struct OODSetTests {
    let set = ImageDataset(
        images: [1, 2, 3, 4, 5, 6, 10, 20, 30, 40, 50, 60], labels: [0, 1], channels: 1, height: 3, width: 2,
        source: "t", split: "test")

    @Test func verticalFlipReversesRows() {
        let flipped = set.flippedVertically()
        #expect(flipped.images == [5, 6, 3, 4, 1, 2, 50, 60, 30, 40, 10, 20])
        #expect(flipped.flippedVertically().images == set.images)
        #expect(flipped.labels == set.labels)
    }

    @Test func inversionComplementsBytes() {
        #expect(set.inverted().images == set.images.map { 255 - $0 })
    }

    @Test func compressionLengthOrdersSimpleBelowNoisy() {
        let constant = SyntheticImages.constant(count: 4, channels: 1, height: 28, width: 28, seed: 1)
        let noise = SyntheticImages.noise(count: 4, channels: 1, height: 28, width: 28, seed: 2)
        let simple = InputComplexity.compressedBits(constant)
        let complex = InputComplexity.compressedBits(noise)
        #expect(simple.allSatisfy { $0 > 0 })
        // Uniform noise is incompressible: at least its 784 raw bytes; a constant image far less.
        #expect(complex.allSatisfy { $0 >= 784 * 8 })
        #expect(simple.max()! < complex.min()! / 4)
        let scores = InputComplexity.scores(
            negativeLogLikelihoodNats: [0.693_147_180_559_945_3 * 1000], compressedBits: [400])
        #expect(abs(scores[0] - 600) < 1e-9)
    }
}
