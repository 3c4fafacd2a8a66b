// The generated digits: deterministic per (seed, split, index), labelled 0–9, normalized as
// MNIST is (the glyph in the central 20×20 box, centre of mass at the image centre), and a clear
// error when no font is installed.

import Testing

@testable import Datasets

@Suite struct DigitImagesTests {
    static let set = try? DigitImages.generate(count: 120, seed: 3, split: "test")

    @Test func sameSeedSameImagesAndPrefixesAgree() throws {
        let first = try #require(DigitImagesTests.set)
        let again = try DigitImages.generate(count: 30, seed: 3, split: "test")
        #expect(Array(first.images[0..<(30 * 784)]) == again.images)
        #expect(Array(first.labels[0..<30]) == again.labels)
        let otherSeed = try DigitImages.generate(count: 30, seed: 4, split: "test")
        let otherSplit = try DigitImages.generate(count: 30, seed: 3, split: "train")
        #expect(otherSeed.images != again.images)
        #expect(otherSplit.images != again.images)
    }

    @Test func everyDigitAppearsWithItsLabel() throws {
        let set = try #require(DigitImagesTests.set)
        #expect(set.channels == 1 && set.height == 28 && set.width == 28 && set.source == "digits")
        #expect(Set(set.labels) == Set(0...9))
        #expect(set.className(7) == "digit 7")
    }

    @Test func centredByMassWithTheStrokeStretchedToFullIntensity() throws {
        let set = try #require(DigitImagesTests.set)
        var offsets: [Double] = []
        var borders: [Double] = []
        for image in 0..<set.count {
            let pixels = set.images[(image * 784)..<((image + 1) * 784)].map(Double.init)
            let mass = pixels.reduce(0, +)
            #expect(mass > 0, "image \(image) is blank")
            var (x, y) = (0.0, 0.0)
            for (index, value) in pixels.enumerated() {
                x += value * (Double(index % 28) + 0.5)
                y += value * (Double(index / 28) + 0.5)
            }
            offsets.append(max(abs(x / mass - 14), abs(y / mass - 14)))
            #expect(pixels.max() == 255, "image \(image) does not reach 255")
            // Ink in the outer 2-pixel frame (reached only by a glyph shifted far for its centre of
            // mass, plus blur) is at most a trace.
            let border = pixels.enumerated().filter { index, _ in
                let (column, row) = (index % 28, index / 28)
                return column < 2 || column > 25 || row < 2 || row > 25
            }.map(\.1).reduce(0, +)
            borders.append(border / mass)
        }
        #expect(borders.max() ?? 1 <= 0.05)
        #expect(borders.reduce(0, +) / Double(borders.count) <= 0.005)
        // Rounding the shift to whole pixels leaves at most ½ pixel; blur and clamping a little more.
        #expect(offsets.max() ?? 9 <= 1.0)
        #expect(offsets.reduce(0, +) / Double(offsets.count) <= 0.5)
    }

    @Test func missingFontsNameThePackages() {
        #expect(throws: DatasetError.noFonts(packages: DigitImages.packages)) {
            try DigitImages.generate(count: 1, seed: 1, split: "test", fontRoot: "/nonexistent")
        }
        #expect(DigitImages.packages.contains("fonts-dkg-handwriting"))
    }

    @Test func areaResamplingKeepsTheMean() {
        // 5 samples → 2: weights per output sum to 1, and each input's total weight is 2/5.
        let weights = DigitImages.areaWeights(from: 5, to: 2)
        for taps in weights { #expect(abs(taps.map(\.weight).reduce(0, +) - 1) < 1e-12) }
        var perInput = [Double](repeating: 0, count: 5)
        for taps in weights { for tap in taps { perInput[tap.index] += tap.weight } }
        for value in perInput { #expect(abs(value - 0.4) < 1e-12) }
    }
}
