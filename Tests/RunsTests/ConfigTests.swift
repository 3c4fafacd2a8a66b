// The run config: defaults, overrides, round trips and errors that name the key.

import Foundation
import Runs
import Testing

@Suite struct ConfigTests {
    @Test func readsKeysAndOverrides() throws {
        let text = """
            name: test
            model:
              latent: 8
              hidden: [16, 4]
            training:
              epochs: 3
            """
        let config = try RunConfig.parse(
            text, path: "x.yaml",
            overrides: ["training.learning_rate=0.01", "model.likelihood=categorical256"])
        #expect(config.name == "test")
        #expect(config.model.latent == 8)
        #expect(config.model.hidden == [16, 4])
        #expect(config.training.epochs == 3)
        #expect(config.training.learningRate == 0.01)
        #expect(config.model.likelihood == .categorical256)
        #expect(config.training.batchSize == 128)
    }

    @Test func resolvedYAMLRoundTrips() throws {
        var config = RunConfig()
        config.data.train = "a \"quoted\" path\\with a backslash.h5"
        config.model.hidden = [3, 5]
        config.training.learningRate = 0.00025
        config.data.padding = 2
        #expect(try RunConfig.parse(config.yaml, path: "resolved") == config)
    }

    @Test func unknownKeyIsNamed() {
        #expect(throws: ConfigError.self) { try RunConfig.parse("model:\n  hiden: [3]\n", path: "c.yaml") }
        do {
            _ = try RunConfig.parse("model:\n  hiden: [3]\n", path: "c.yaml")
        } catch {
            #expect("\(error)".contains("model.hiden"))
            #expect("\(error)".contains("c.yaml"))
        }
    }

    @Test func wrongTypeNamesKeyAndValue() {
        do {
            _ = try RunConfig.parse("training:\n  epochs: many\n", path: "c.yaml")
            Issue.record("accepted a non-integer")
        } catch {
            #expect("\(error)".contains("training.epochs"))
            #expect("\(error)".contains("many"))
        }
        do {
            _ = try RunConfig.parse("model:\n  likelihood: poisson\n", path: "c.yaml")
            Issue.record("accepted an unknown likelihood")
        } catch {
            #expect("\(error)".contains("bernoulli"))
        }
    }

    @Test func badOverrideAndSyntax() {
        #expect(throws: ConfigError.badOverride("epochs")) {
            try RunConfig.parse("", path: "c", overrides: ["epochs"])
        }
        #expect(throws: ConfigError.self) { try RunConfig.parse("model: [unclosed", path: "c") }
        #expect(throws: ConfigError.self) { try RunConfig.load("/nonexistent/config.yaml") }
    }

    @Test func everyKeyOfTheTableIsDocumentedWrittenAndReadBack() throws {
        let keys = RunConfig.keys
        #expect(Set(keys.map(\.path)).count == keys.count)
        let yaml = RunConfig().yaml
        for key in keys {
            #expect(!key.doc.isEmpty && !key.accepts.isEmpty, "\(key.path)")
            let name = key.path.split(separator: ".").last.map(String.init) ?? key.path
            #expect(yaml.contains("\(name): \(key.defaultText)"), "\(key.path) missing from the YAML")
            #expect(RunConfig.keyReference.contains(key.path))
        }
        #expect(try RunConfig.parse(yaml, path: "defaults") == RunConfig())
        // A value set through --set comes back from the resolved YAML, for every kind of key.
        let changed = try RunConfig.parse(
            "", path: "c",
            overrides: [
                "seed=9", "data.binarization=none", "model.hidden=[7, 3]", "training.optimizer=sgd",
                "objective.tempering=free", "data.perturbation=0.25", "name=x",
            ])
        #expect(try RunConfig.parse(changed.yaml, path: "resolved") == changed)
        #expect(changed.training.optimizer == .sgd && changed.objective.hamiltonian.tempering == .free)
    }

    @Test func unknownChoicesAndOutOfRangeValuesAreNamed() {
        for (override, key, expected) in [
            ("training.optimizer=adamw", "training.optimizer", "adam, adamax, sgd"),
            ("training.schedule=linear", "training.schedule", "constant, step, cosine"),
            ("objective.kind=vqvae", "objective.kind", "jacobian_l1"),
            ("data.perturbation=1.5", "data.perturbation", "[0.0, 1.0]"),
            ("training.workers=0", "training.workers", "[1, 1024]"),
            ("training.workers=100000", "training.workers", "[1, 1024]"),
            ("training.epochs=9223372036854775807", "training.epochs", "[1, 1000000]"),
            ("model.hidden=[3, 100000000]", "model.hidden", "at most 64 integers in [1, 65536]"),
        ] {
            do {
                _ = try RunConfig.parse("", path: "c.yaml", overrides: [override])
                Issue.record("accepted \(override)")
            } catch {
                #expect("\(error)".contains(key) && "\(error)".contains(expected), "\(error)")
            }
        }
    }
}

@Suite struct RunNameTests {
    @Test func runNamesAreFolderNamesNeverPaths() throws {
        for name in ["demo", "dcgan-256_s1", "a.b", String(repeating: "x", count: 100)] {
            #expect(RunConfig.isRunName(name), "\(name)")
        }
        for name in [
            "", ".", "..", "../x", "a/b", "/abs", "a b", "tab\t", "é", String(repeating: "x", count: 101),
        ] {
            #expect(!RunConfig.isRunName(name), "\(name)")
            #expect(throws: ConfigError.self) { try RunConfig.parse("name: \"\(name)\"\n", path: "c.yaml") }
        }
    }
}

@Suite struct YAMLBoundsTests {
    /// Text the parser would spend unbounded stack or memory on is refused before parsing; the
    /// configs in configs/ (comments, quotes, flow lists) still parse.
    @Test func deepNestingAliasesAndHugeTextAreRefused() throws {
        let cases = [
            String(repeating: "[", count: 100_000),
            (0..<300).map { String(repeating: " ", count: $0) + "k\($0):" }.joined(separator: "\n"),
            "a: &x [1, 2]\nb: *x\n",
            "name: " + String(repeating: "x", count: 2 << 20),
        ]
        for text in cases {
            #expect(throws: ConfigError.self) { try RunConfig.parse(text, path: "hostile.yaml") }
        }
        let fine =
            "data:\n  train: \"a*b & c # not a comment\"  # a comment with & and *\nmodel:\n  hidden: [3, 4]\n"
        let config = try RunConfig.parse(fine, path: "fine.yaml")
        #expect(config.model.hidden == [3, 4] && config.data.train == "a*b & c # not a comment")
        for config in try FileManager.default.contentsOfDirectory(atPath: "configs")
        where config.hasSuffix(".yaml") {
            _ = try RunConfig.load("configs/\(config)")
        }
    }
}
