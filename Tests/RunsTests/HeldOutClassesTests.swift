// data.exclude_classes: the run trains and tests without the excluded labels, and their test
// images are the near-OOD set `heldout-classes`; data.perturbation on byte values for the
// 256-way decoder.

import Datasets
import Runs
import Testing
import VAEKitTestSupport

@Suite struct HeldOutClassesTests {
    @Test func excludedClassesLeaveTrainingAndTestAndFormTheHeldOutSet() throws {
        let (train, test) = try TinyRun.fashionMNIST(train: 300, test: 100)
        let tiny = try TinyRun(
            train: train, test: test, yaml: "name: heldout\ndata:\n  exclude_classes: [0, 9]\n")
        #expect(tiny.config.data.excludeClasses == [0, 9])
        let data = try RunData.load(tiny.config)
        #expect(!data.train.labels.contains(0) && !data.train.labels.contains(9))
        #expect(!data.test.labels.contains(0) && !data.test.labels.contains(9))
        #expect(data.train.count == train.labels.filter { $0 != 0 && $0 != 9 }.count)
        let heldOut = try RunData.heldOutTest(tiny.config)
        #expect(Set(heldOut.labels) == [0, 9])
        #expect(heldOut.count == test.labels.filter { $0 == 0 || $0 == 9 }.count)
        // The held-out images are the test file's, in order.
        let first = try #require(test.labels.firstIndex { $0 == 0 || $0 == 9 })
        #expect(Array(heldOut.images[0..<784]) == Array(test.images[(first * 784)..<((first + 1) * 784)]))
        // The resolved YAML writes the key and parses back.
        #expect(tiny.config.yaml.contains("exclude_classes: [0, 9]"))
        #expect(try RunConfig.parse(tiny.config.yaml, path: "resolved.yaml") == tiny.config)
    }

    @Test func heldOutSetNeedsExcludedClasses() throws {
        let tiny = try TinyRun.small()
        #expect(throws: ConfigError.self) { try RunData.heldOutTest(tiny.config) }
        let (train, test) = try TinyRun.fashionMNIST(train: 100, test: 20)
        let all = try TinyRun(
            "all-excluded", train: train, test: test,
            yaml: "name: all\ndata:\n  exclude_classes: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]\n")
        #expect(throws: ConfigError.self) { try RunData.load(all.config) }
    }

    /// Degenerate data are refused by name: an empty test set (it used to report −ELBO 0) and
    /// images of 0×0 pixels.
    @Test func emptyTestSetsAndEmptyImagesAreRefused() throws {
        let (train, test) = try TinyRun.fashionMNIST(train: 200, test: 10)
        let empty = try TinyRun("empty-test", train: train, test: test.prefix(0), yaml: "name: e\n")
        #expect(throws: ConfigError.mismatch("\(empty.config.data.test): no test images")) {
            try RunData.load(empty.config)
        }
        let flat = ImageDataset(
            images: [], labels: [Int64](repeating: 0, count: 200), channels: 1, height: 0, width: 0,
            source: "flat", split: "train")
        let zero = try TinyRun("zero-pixels", train: flat, test: flat, yaml: "name: z\n")
        do {
            _ = try RunData.load(zero.config)
            Issue.record("0×0 images were accepted")
        } catch {
            #expect("\(error)".contains("1×0×0"))
        }
    }

    /// With the 256-way decoder a perturbed pixel is a uniform byte: input = byte/255 and the
    /// class the byte; untouched pixels keep their own.
    @Test func perturbationReplacesBytesForTheCategoricalDecoder() throws {
        let (train, test) = try TinyRun.fashionMNIST(train: 100, test: 20)
        let tiny = try TinyRun(
            train: train, test: test,
            yaml:
                "name: bytes\ndata:\n  perturbation: 0.3\n  binarization: none\nmodel:\n  likelihood: categorical256\n"
                + "training:\n  batch_size: 20\n")
        let config = tiny.config
        let data = try RunData.load(config)
        let indices = [3, 4]
        let (clean, cleanTarget) = config.batch(data.train, indices: indices, step: 7)
        let (input, target) = config.trainingBatch(data.train, indices: indices, step: 7)
        var changed = 0
        for (position, value) in input.scalars.enumerated() {
            #expect(target.classes[position] == Int((value * 255).rounded()))
            #expect(abs(value * 255 - Float(target.classes[position])) < 1e-3)
            if target.classes[position] != cleanTarget.classes[position] { changed += 1 }
            if abs(value - clean.scalars[position]) > 1e-6 {
                #expect(
                    target.classes[position] != cleanTarget.classes[position]
                        || value == clean.scalars[position])
            }
        }
        let share = Double(changed) / Double(input.count)
        #expect(share > 0.2 && share < 0.35, "\(share) of the pixels changed (0.3 × 255/256 expected)")
    }
}
