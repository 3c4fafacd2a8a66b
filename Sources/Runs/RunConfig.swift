// The run config: everything that determines a training run. Read from YAML (unknown keys are
// rejected by name), overridable with `--set key.path=value`, and written back resolved into
// the run directory and every checkpoint.

import Datasets
import Foundation
import Models
import NN

/// A complete, validated run configuration. Each field's default is written here once; its key,
/// type, allowed range and doc string are in the key table (`RunConfig+Keys.swift`), from which
/// decoding, validation, the resolved YAML and `vaekit train --help` are derived.
// swift-format-ignore: AllPublicDeclarationsHaveDocumentation
public struct RunConfig: Equatable, Sendable {
    public struct Data: Equatable, Sendable {
        public var train = "data/fashion-mnist/train.h5"
        public var test = "data/fashion-mnist/test.h5"
        public var binarization = Binarization.dynamic
        public var padding = 0
        public var trainLimit = 0
        public var testLimit = 0
        public var perturbation: Float = 0
        public var excludeClasses: [Int] = []
    }

    public struct Model: Equatable, Sendable {
        public enum Architecture: String, ConfigChoice { case mlp, dcgan }
        public enum Activation: String, ConfigChoice {
            case relu
            case leakyRelu = "leaky_relu"
            case elu, tanh, softplus
        }
        public enum LikelihoodName: String, ConfigChoice {
            case bernoulli, gaussian
            case gaussianLearned = "gaussian_learned"
            case categorical256
        }

        public var architecture = Architecture.mlp
        public var latent = 32
        public var hidden = [512, 512]
        public var activation = Activation.relu
        public var width = 32
        public var likelihood = LikelihoodName.bernoulli
        public var gaussianStandardDeviation: Float = 0.1
    }

    public struct Training: Equatable, Sendable {
        public enum OptimizerName: String, ConfigChoice { case adam, adamax, sgd }
        public enum ScheduleName: String, ConfigChoice { case constant, step, cosine }

        public var epochs = 10
        public var batchSize = 128
        public var optimizer = OptimizerName.adam
        public var learningRate: Float = 1e-3
        public var weightDecay: Float = 0
        public var momentum: Float = 0
        public var schedule = ScheduleName.constant
        public var scheduleStepSize = 1000
        public var scheduleGamma: Float = 0.5
        public var minimumLearningRate: Float = 0
        public var beta: Float = 1
        public var gradientClip: Float = 0
        public var checkpointEvery = 0
        public var evaluateEvery = 1
        public var evaluationCount = 2000
        public var workers = 2
        public var blasThreads = 1
        public var allReduceBucketMegabytes = 64
        public var overlapAllReduce = false
        public var collectiveTimeoutSeconds = 60
        public var reproducibleReduction = false
        public var reductionBlock = 16
    }

    public struct Evaluation: Equatable, Sendable {
        public var iwaeSamples = 1000
        public var iwaeChunk = 100
        public var count = 0
    }

    public struct Objective: Equatable, Sendable {
        public enum Kind: String, ConfigChoice {
            case elbo, hvae
            case jacobianL1 = "jacobian_l1"
            case consistency, supervised
        }

        public var kind = Kind.elbo
        public var annealSteps = 0
        /// The HVAE's keys (defaults in Models' `HamiltonianSettings`).
        public var hamiltonian = HamiltonianSettings()
        public var jacobianGamma: Float = 0.1
        public var differenceStep: Float = 1e-3
        public var consistencyWeight: Float = 1e-3
        public var rotationDegrees: Float = 15
        public var translation: Float = 0.05
        public var scaleMinimum: Float = 0.9
        public var scaleMaximum: Float = 1.1
        /// The supervised VAE's keys (defaults in Models' `SupervisedSettings`).
        public var supervised = SupervisedSettings()
        public var classifierWeight: Float = 50
    }

    public var name = "run"
    public var seed: UInt64 = 1
    public var data = Data()
    public var model = Model()
    public var training = Training()
    public var evaluation = Evaluation()
    public var objective = Objective()

    /// A config with every default.
    public init() {}
}

extension RunConfig {
    /// Reads a config file and applies `overrides` (`key.path=value`). Relative data paths are
    /// made absolute: those written in the file from `folder` (by default the file's folder),
    /// those given in `overrides` from the working directory (as a shell argument is).
    public static func load(_ path: String, overrides: [String] = [], relativeTo folder: URL? = nil) throws
        -> RunConfig
    {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError.unreadable(path: path, reason: "no such file or not readable")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError.unreadable(path: path, reason: "not UTF-8 text")
        }
        return try parse(text, path: path, overrides: overrides)
            .resolvingDataPaths(
                from: folder ?? URL(fileURLWithPath: path).deletingLastPathComponent(), overrides: overrides)
    }

    /// The config with absolute data paths: a relative path written in the config is read from
    /// `folder`, one set by `overrides` from the working directory.
    public func resolvingDataPaths(from folder: URL, overrides: [String]) -> RunConfig {
        var config = self
        let overridden = Set(
            overrides.compactMap { $0.split(separator: "=", maxSplits: 1).first.map(String.init) })
        let workingDirectory = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        for (key, field) in [("data.train", \RunConfig.data.train), ("data.test", \RunConfig.data.test)]
        where !config[keyPath: field].isEmpty {
            let base = overridden.contains(key) ? workingDirectory : folder
            config[keyPath: field] =
                URL(fileURLWithPath: config[keyPath: field], relativeTo: base)
                .standardizedFileURL.path
        }
        return config
    }

    /// Parses config text (`path` names it in errors).
    public static func parse(_ text: String, path: String, overrides: [String] = []) throws -> RunConfig {
        var tree = try ConfigTree.parse(text, path: path)
        for override in overrides {
            guard let equals = override.firstIndex(of: "="), equals != override.startIndex else {
                throw ConfigError.badOverride(override)
            }
            let keyPath = override[..<equals].split(separator: ".").map(String.init)
            let valueText = String(override[override.index(after: equals)...])
            let value = try ConfigTree.parse(valueText, path: "--set \(override)")
            tree = tree.setting(keyPath, to: valueText.isEmpty ? .scalar("") : value)
        }
        return try decode(tree, path: path)
    }
}

extension RunConfig {
    /// The model's likelihood.
    public var likelihood: Likelihood {
        switch model.likelihood {
        case .bernoulli: return .bernoulli
        case .gaussian: return .gaussianFixed(standardDeviation: model.gaussianStandardDeviation)
        case .gaussianLearned: return .gaussianLearned
        case .categorical256: return .categorical256
        }
    }

    /// The model's architecture.
    public var architecture: Models.Architecture {
        if model.architecture == .dcgan { return .dcgan(width: model.width) }
        let activation: NN.Activation
        switch model.activation {
        case .relu: activation = .relu
        case .leakyRelu: activation = .leakyRelu(slope: 0.2)
        case .elu: activation = .elu(alpha: 1)
        case .tanh: activation = .tanh
        case .softplus: activation = .softplus
        }
        return .mlp(hidden: model.hidden, activation: activation)
    }

    /// Builds the VAE for images of `imageShape` (`[C, H, W]` after padding), checking the fit.
    public func makeModel(imageShape: [Int]) throws -> VAE {
        if model.architecture == .dcgan && (imageShape[1] != 32 || imageShape[2] != 32) {
            throw ConfigError.mismatch(
                "the dcgan model needs 32×32 images, but the data are \(imageShape[1])×\(imageShape[2]) after padding \(data.padding) (set data.padding so that the images become 32×32)"
            )
        }
        return VAE(
            imageShape: imageShape, latentCount: model.latent, likelihood: likelihood,
            architecture: architecture,
            seed: seed, objective: vaeObjective)
    }

    /// The optimizer of the config.
    public func makeOptimizer() -> any Optimizer {
        switch training.optimizer {
        case .adam: return Adam(weightDecay: training.weightDecay)
        case .adamax: return Adamax(weightDecay: training.weightDecay)
        case .sgd: return SGD(momentum: training.momentum, weightDecay: training.weightDecay)
        }
    }

    /// The learning-rate schedule of the config, from its base rate, for `totalSteps` steps.
    public func makeSchedule(totalSteps: Int) -> LearningRateSchedule {
        let decay: LearningRateSchedule.Decay
        switch training.schedule {
        case .constant: decay = .constant
        case .step: decay = .step(stepSize: training.scheduleStepSize, gamma: training.scheduleGamma)
        case .cosine: decay = .cosine(totalSteps: totalSteps, minimum: training.minimumLearningRate)
        }
        return LearningRateSchedule(base: training.learningRate, decay: decay)
    }
}
