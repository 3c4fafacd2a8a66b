// The snake_case convention of VAEKit's JSON files: names written as documented, read back to
// the same Swift names, dictionary keys (data) untouched, non-finite numbers kept, and a file of
// another format version refused before its keys are read.

import Foundation
import Storage
import Testing

@Suite struct JSONKeysTests {
    struct Sample: Codable, Equatable, VersionedJSON {
        static let currentFormat = "vaekit-sample-2"
        var format = Self.currentFormat
        var meanAUROC: [String: Double]
        var fprAt95: Double
        var testNegativeELBO: Double?
        var imagesPerSecond: Double
        var trainKL: Double
        var inDistributionFile: String
    }

    @Test func namesAreWrittenInSnakeCase() {
        let expected = [
            "meanAUROC": "mean_auroc", "fprAt95": "fpr_at_95", "testNegativeELBO": "test_negative_elbo",
            "imagesPerSecond": "images_per_second", "trainKL": "train_kl", "index": "index",
            "inDistributionFile": "in_distribution_file", "blasCore": "blas_core",
            "aurocCurve": "auroc_curve",
        ]
        for (name, key) in expected {
            #expect(JSONKeys.snakeCase(name) == key)
            #expect(JSONKeys.camelCase(key) == name)
        }
        #expect(JSONKeys.snakeCase("likelihood_regret") == "likelihood_regret")
    }

    @Test func aFileRoundTripsWithItsDataKeysUntouched() throws {
        let path = NSTemporaryDirectory() + "vaekit-json-keys-\(getpid()).json"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let sample = Sample(
            meanAUROC: ["likelihood_regret": 0.9, "myFile.h5": 0.5, "fashion-mnist:test": 0.1], fprAt95: .nan,
            testNegativeELBO: .infinity, imagesPerSecond: 3, trainKL: 2, inDistributionFile: "data/test.h5")
        try AtomicFile.writeJSON(sample, to: path)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        for key in [
            "\"mean_auroc\"", "\"fpr_at_95\" : \"nan\"", "\"myFile.h5\"", "\"test_negative_elbo\" : \"inf\"",
        ] {
            #expect(text.contains(key), "\(key) not in \(text)")
        }
        let read = try AtomicFile.readJSON(Sample.self, from: path)
        #expect(
            read.meanAUROC == sample.meanAUROC && read.fprAt95.isNaN && read.testNegativeELBO == .infinity)
        #expect(read.inDistributionFile == sample.inDistributionFile && read.trainKL == 2)
    }

    @Test func anotherFormatOrAMissingKeyIsRefusedByName() throws {
        let path = NSTemporaryDirectory() + "vaekit-json-old-\(getpid()).json"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(#"{"format": "vaekit-sample-1", "meanAUROC": {}}"#.utf8).write(
            to: URL(fileURLWithPath: path))
        #expect {
            _ = try AtomicFile.readJSON(Sample.self, from: path)
        } throws: { "\($0)".contains("format 'vaekit-sample-1', expected 'vaekit-sample-2'") }
        try Data(#"{"format": "vaekit-sample-2", "mean_auroc": {}}"#.utf8).write(
            to: URL(fileURLWithPath: path))
        #expect {
            _ = try AtomicFile.readJSON(Sample.self, from: path)
        } throws: { "\($0)".contains(path) && "\($0)".contains("missing key 'fpr_at_95'") }
    }
}
