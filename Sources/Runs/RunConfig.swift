// The run config: everything that determines a training run. Read from YAML (unknown keys are
// rejected by name), overridable with `--set key.path=value`, and written back resolved into
// the run directory and every checkpoint.

import Datasets
import Foundation
import Models
import NN

/// A complete, validated run configuration.
public struct RunConfig: Equatable, Sendable {
    /// Data sources and preprocessing.
    public struct Data: Equatable, Sendable {
        /// Training set file (VAEKit HDF5 layout).
        public var train = "data/fashion-mnist/train.h5"
        /// Test set file.
        public var test = "data/fashion-mnist/test.h5"
        /// How bytes become inputs.
        public var binarization = Binarization.dynamic
        /// Zero pixels added around each image (2 turns 28×28 into 32×32).
        public var padding = 0
        /// Use only the first N training examples (0 = all).
        public var trainLimit = 0
        /// Use only the first N test examples (0 = all).
        public var testLimit = 0
        /// Probability of replacing each training pixel by noise (0 = none; 0.2 for the
        /// likelihood-ratio background model of Ren et al. 2019).
        public var perturbation: Float = 0
    }

    /// The model.
    public struct Model: Equatable, Sendable {
        /// `mlp` or `dcgan`.
        public var architecture = "mlp"
        /// Latent dimensions Z.
        public var latent = 32
        /// MLP hidden widths (encoder order; the decoder mirrors them).
        public var hidden = [512, 512]
        /// MLP activation: relu, leaky_relu, elu, tanh, softplus.
        public var activation = "relu"
        /// DCGAN base width (channels of the first conv).
        public var width = 32
        /// bernoulli, gaussian (fixed σ), gaussian_learned, categorical256.
        public var likelihood = "bernoulli"
        /// σ of the fixed-variance Gaussian.
        public var gaussianStandardDeviation: Float = 0.1
    }

    /// The optimization.
    public struct Training: Equatable, Sendable {
        /// Epochs over the training set.
        public var epochs = 10
        /// Global batch size.
        public var batchSize = 128
        /// adam, adamax or sgd.
        public var optimizer = "adam"
        /// Base learning rate.
        public var learningRate: Float = 1e-3
        /// L2 weight decay (added to the gradient).
        public var weightDecay: Float = 0
        /// SGD momentum.
        public var momentum: Float = 0
        /// constant, step or cosine.
        public var schedule = "constant"
        /// StepLR period in steps, and its factor.
        public var scheduleStepSize = 1000
        /// StepLR factor.
        public var scheduleGamma: Float = 0.5
        /// Cosine schedule's final rate.
        public var minimumLearningRate: Float = 0
        /// β of the β-ELBO.
        public var beta: Float = 1
        /// Global gradient-norm clipping (0 = off).
        public var gradientClip: Float = 0
        /// Write a checkpoint every N steps (0 = only at the end).
        public var checkpointEvery = 0
        /// Evaluate on the test set every N epochs (0 = never during training).
        public var evaluateEvery = 1
        /// Test examples per evaluation during training (0 = all).
        public var evaluationCount = 2000
        /// In-process data-parallel workers: each takes a contiguous part of every batch, with its
        /// own graph and gradient buffer (the buffers are summed before the step).
        public var workers = 2
        /// OpenBLAS threads (per process; shared by the workers).
        public var blasThreads = 1
        /// Largest all-reduce of the gradient arena, in MiB; larger arenas go in several buckets.
        public var allReduceBucketMegabytes = 64
    }

    /// Final evaluation (vaekit evaluate).
    public struct Evaluation: Equatable, Sendable {
        /// Importance samples K of the IWAE estimate.
        public var iwaeSamples = 1000
        /// Samples decoded at once per example.
        public var iwaeChunk = 100
        /// Test examples (0 = all).
        public var count = 0
    }

    /// `objective:` — what the VAE is trained on.
    public struct Objective: Equatable, Sendable {
        /// elbo, hvae, jacobian_l1, consistency or supervised.
        public var kind = "elbo"
        /// β (and Jacobian-L1's γ) ramp linearly from 0 over this many steps; 0 = no ramp.
        public var annealSteps = 0
        /// HVAE: leapfrog steps K.
        public var leapfrogSteps = 5
        /// HVAE: none, fixed or free.
        public var tempering = "fixed"
        /// HVAE: initial step size.
        public var initialStepSize: Float = 0.2
        /// HVAE: ε_max.
        public var maximumStepSize: Float = 0.5
        /// HVAE: initial T₀ (fixed tempering).
        public var initialTemperature: Float = 1.5
        /// HVAE: initial α_k (free tempering).
        public var initialAlpha: Float = 0.9
        /// Jacobian-L1: γ.
        public var jacobianGamma: Float = 0.1
        /// Jacobian-L1: finite-difference step h.
        public var differenceStep: Float = 1e-3
        /// Consistency regularization: λ.
        public var consistencyWeight: Float = 1e-3
        /// Augmentation: rotations uniform in ±degrees.
        public var rotationDegrees: Float = 15
        /// Augmentation: translations uniform in ±fraction of the side.
        public var translation: Float = 0.05
        /// Augmentation: scale uniform in [min, max].
        public var scaleMinimum: Float = 0.9
        /// Augmentation: scale maximum.
        public var scaleMaximum: Float = 1.1
        /// Supervised VAE: d_s.
        public var supervisedLatents = 8
        /// Supervised VAE: classes.
        public var classes = 10
        /// Supervised VAE: α.
        public var classifierWeight: Float = 50
        /// Supervised VAE: classifier hidden width.
        public var classifierHidden = 128
    }

    /// The run's name (its folder under `runs/` by default).
    public var name = "run"
    /// The seed of every random draw.
    public var seed: UInt64 = 1
    /// Data.
    public var data = Data()
    /// Model.
    public var model = Model()
    /// Training.
    public var training = Training()
    /// Evaluation.
    public var evaluation = Evaluation()
    /// The objective.
    public var objective = Objective()

    /// A config with every default.
    public init() {}
}

extension RunConfig {
    /// Reads a config file and applies `overrides` (`key.path=value`).
    public static func load(_ path: String, overrides: [String] = []) throws -> RunConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError.unreadable(path: path, reason: "no such file or not readable")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError.unreadable(path: path, reason: "not UTF-8 text")
        }
        return try parse(text, path: path, overrides: overrides)
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

    static func decode(_ tree: ConfigTree, path: String) throws -> RunConfig {
        let root = try ConfigReader(tree, path: path)
        var config = RunConfig()
        config.name = try root.string("name", default: config.name)
        config.seed = UInt64(try root.int("seed", default: Int(config.seed), minimum: 0))

        let data = try root.section("data")
        config.data.train = try data.string("train", default: config.data.train)
        config.data.test = try data.string("test", default: config.data.test)
        let binarization = try data.string(
            "binarization", default: config.data.binarization.rawValue,
            allowed: Binarization.allCases.map(\.rawValue))
        config.data.binarization = Binarization(rawValue: binarization) ?? .none
        config.data.padding = try data.int("padding", default: 0, minimum: 0)
        config.data.trainLimit = try data.int("train_limit", default: 0, minimum: 0)
        config.data.testLimit = try data.int("test_limit", default: 0, minimum: 0)
        config.data.perturbation = try data.float("perturbation", default: 0, minimum: 0)
        if config.data.perturbation > 1 {
            throw ConfigError.badValue(
                path: path, key: "data.perturbation", value: "\(config.data.perturbation)",
                expected: "a probability ≤ 1")
        }

        let model = try root.section("model")
        config.model.architecture = try model.string(
            "architecture", default: "mlp", allowed: ["mlp", "dcgan"])
        config.model.latent = try model.int("latent", default: config.model.latent, minimum: 1)
        config.model.hidden = try model.ints("hidden", default: config.model.hidden)
        config.model.activation = try model.string(
            "activation", default: "relu", allowed: ["relu", "leaky_relu", "elu", "tanh", "softplus"])
        config.model.width = try model.int("width", default: config.model.width, minimum: 1)
        config.model.likelihood = try model.string(
            "likelihood", default: "bernoulli",
            allowed: ["bernoulli", "gaussian", "gaussian_learned", "categorical256"])
        config.model.gaussianStandardDeviation = try model.float(
            "gaussian_std", default: config.model.gaussianStandardDeviation, minimum: 1e-6)

        let training = try root.section("training")
        config.training.epochs = try training.int("epochs", default: config.training.epochs, minimum: 1)
        config.training.batchSize = try training.int(
            "batch_size", default: config.training.batchSize, minimum: 1)
        config.training.optimizer = try training.string(
            "optimizer", default: "adam", allowed: ["adam", "adamax", "sgd"])
        config.training.learningRate = try training.float("learning_rate", default: 1e-3, minimum: 0)
        config.training.weightDecay = try training.float("weight_decay", default: 0, minimum: 0)
        config.training.momentum = try training.float("momentum", default: 0, minimum: 0)
        config.training.schedule = try training.string(
            "schedule", default: "constant", allowed: ["constant", "step", "cosine"])
        config.training.scheduleStepSize = try training.int("schedule_step_size", default: 1000, minimum: 1)
        config.training.scheduleGamma = try training.float("schedule_gamma", default: 0.5, minimum: 0)
        config.training.minimumLearningRate = try training.float(
            "minimum_learning_rate", default: 0, minimum: 0)
        config.training.beta = try training.float("beta", default: 1, minimum: 0)
        config.training.gradientClip = try training.float("gradient_clip", default: 0, minimum: 0)
        config.training.checkpointEvery = try training.int("checkpoint_every", default: 0, minimum: 0)
        config.training.evaluateEvery = try training.int("evaluate_every", default: 1, minimum: 0)
        config.training.evaluationCount = try training.int("evaluation_count", default: 2000, minimum: 0)
        config.training.workers = try training.int("workers", default: config.training.workers, minimum: 1)
        config.training.blasThreads = try training.int(
            "blas_threads", default: config.training.blasThreads, minimum: 1)
        config.training.allReduceBucketMegabytes = try training.int(
            "allreduce_bucket_mb", default: config.training.allReduceBucketMegabytes, minimum: 1)

        let evaluation = try root.section("evaluation")
        config.evaluation.iwaeSamples = try evaluation.int("iwae_samples", default: 1000, minimum: 1)
        config.evaluation.iwaeChunk = try evaluation.int("iwae_chunk", default: 100, minimum: 1)
        config.evaluation.count = try evaluation.int("count", default: 0, minimum: 0)

        let objective = try root.section("objective")
        var o = config.objective
        o.kind = try objective.string(
            "kind", default: o.kind, allowed: ["elbo", "hvae", "jacobian_l1", "consistency", "supervised"])
        o.annealSteps = try objective.int("anneal_steps", default: o.annealSteps, minimum: 0)
        o.leapfrogSteps = try objective.int("leapfrog_steps", default: o.leapfrogSteps, minimum: 1)
        o.tempering = try objective.string(
            "tempering", default: o.tempering, allowed: Tempering.allCases.map(\.rawValue))
        o.initialStepSize = try objective.float(
            "initial_step_size", default: o.initialStepSize, minimum: 1e-8)
        o.maximumStepSize = try objective.float("max_step_size", default: o.maximumStepSize, minimum: 1e-8)
        o.initialTemperature = try objective.float(
            "initial_temperature", default: o.initialTemperature, minimum: 1.000_001)
        o.initialAlpha = try objective.float("initial_alpha", default: o.initialAlpha, minimum: 1e-6)
        o.jacobianGamma = try objective.float("jacobian_gamma", default: o.jacobianGamma, minimum: 0)
        o.differenceStep = try objective.float("difference_step", default: o.differenceStep, minimum: 1e-8)
        o.consistencyWeight = try objective.float(
            "consistency_weight", default: o.consistencyWeight, minimum: 0)
        o.rotationDegrees = try objective.float("rotation_degrees", default: o.rotationDegrees, minimum: 0)
        o.translation = try objective.float("translation", default: o.translation, minimum: 0)
        o.scaleMinimum = try objective.float("scale_min", default: o.scaleMinimum, minimum: 1e-3)
        o.scaleMaximum = try objective.float("scale_max", default: o.scaleMaximum, minimum: 1e-3)
        o.supervisedLatents = try objective.int(
            "supervised_latents", default: o.supervisedLatents, minimum: 1)
        o.classes = try objective.int("classes", default: o.classes, minimum: 2)
        o.classifierWeight = try objective.float("classifier_weight", default: o.classifierWeight, minimum: 0)
        o.classifierHidden = try objective.int("classifier_hidden", default: o.classifierHidden, minimum: 1)
        let badValue = { (key: String, value: String, expected: String) in
            ConfigError.badValue(path: path, key: "objective.\(key)", value: value, expected: expected)
        }
        if o.initialStepSize >= o.maximumStepSize {
            throw badValue(
                "initial_step_size", "\(o.initialStepSize)", "less than max_step_size \(o.maximumStepSize)")
        }
        if o.initialAlpha >= 1 { throw badValue("initial_alpha", "\(o.initialAlpha)", "a value in (0, 1)") }
        if o.scaleMinimum > o.scaleMaximum {
            throw badValue("scale_min", "\(o.scaleMinimum)", "at most scale_max \(o.scaleMaximum)")
        }
        if o.kind == "supervised" && o.supervisedLatents >= config.model.latent {
            throw badValue(
                "supervised_latents", "\(o.supervisedLatents)",
                "fewer than model.latent (\(config.model.latent)), leaving nuisance latents")
        }
        if o.kind == "jacobian_l1" && config.model.likelihood == "categorical256" {
            throw badValue("kind", "jacobian_l1", "a Bernoulli or Gaussian decoder (not categorical256)")
        }
        config.objective = o

        try root.rejectUnknownKeys()
        return config
    }

    /// The resolved config as YAML (every key, in schema order); parses back to an equal config.
    public var yaml: String {
        func quoted(_ text: String) -> String {
            "\""
                + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(
                    of: "\"", with: "\\\"") + "\""
        }
        return """
            name: \(quoted(name))
            seed: \(seed)
            data:
              train: \(quoted(data.train))
              test: \(quoted(data.test))
              binarization: \(data.binarization.rawValue)
              padding: \(data.padding)
              train_limit: \(data.trainLimit)
              test_limit: \(data.testLimit)
              perturbation: \(data.perturbation)
            model:
              architecture: \(model.architecture)
              latent: \(model.latent)
              hidden: [\(model.hidden.map(String.init).joined(separator: ", "))]
              activation: \(model.activation)
              width: \(model.width)
              likelihood: \(model.likelihood)
              gaussian_std: \(model.gaussianStandardDeviation)
            training:
              epochs: \(training.epochs)
              batch_size: \(training.batchSize)
              optimizer: \(training.optimizer)
              learning_rate: \(training.learningRate)
              weight_decay: \(training.weightDecay)
              momentum: \(training.momentum)
              schedule: \(training.schedule)
              schedule_step_size: \(training.scheduleStepSize)
              schedule_gamma: \(training.scheduleGamma)
              minimum_learning_rate: \(training.minimumLearningRate)
              beta: \(training.beta)
              gradient_clip: \(training.gradientClip)
              checkpoint_every: \(training.checkpointEvery)
              evaluate_every: \(training.evaluateEvery)
              evaluation_count: \(training.evaluationCount)
              workers: \(training.workers)
              blas_threads: \(training.blasThreads)
              allreduce_bucket_mb: \(training.allReduceBucketMegabytes)
            evaluation:
              iwae_samples: \(evaluation.iwaeSamples)
              iwae_chunk: \(evaluation.iwaeChunk)
              count: \(evaluation.count)
            objective:
              kind: \(objective.kind)
              anneal_steps: \(objective.annealSteps)
              leapfrog_steps: \(objective.leapfrogSteps)
              tempering: \(objective.tempering)
              initial_step_size: \(objective.initialStepSize)
              max_step_size: \(objective.maximumStepSize)
              initial_temperature: \(objective.initialTemperature)
              initial_alpha: \(objective.initialAlpha)
              jacobian_gamma: \(objective.jacobianGamma)
              difference_step: \(objective.differenceStep)
              consistency_weight: \(objective.consistencyWeight)
              rotation_degrees: \(objective.rotationDegrees)
              translation: \(objective.translation)
              scale_min: \(objective.scaleMinimum)
              scale_max: \(objective.scaleMaximum)
              supervised_latents: \(objective.supervisedLatents)
              classes: \(objective.classes)
              classifier_weight: \(objective.classifierWeight)
              classifier_hidden: \(objective.classifierHidden)

            """
    }
}

extension RunConfig {
    /// The model's likelihood.
    public var likelihood: Likelihood {
        switch model.likelihood {
        case "gaussian": return .gaussianFixed(standardDeviation: model.gaussianStandardDeviation)
        case "gaussian_learned": return .gaussianLearned
        case "categorical256": return .categorical256
        default: return .bernoulli
        }
    }

    /// The model's architecture.
    public var architecture: Architecture {
        if model.architecture == "dcgan" { return .dcgan(width: model.width) }
        let activation: Activation
        switch model.activation {
        case "leaky_relu": activation = .leakyRelu(slope: 0.2)
        case "elu": activation = .elu(alpha: 1)
        case "tanh": activation = .tanh
        case "softplus": activation = .softplus
        default: activation = .relu
        }
        return .mlp(hidden: model.hidden, activation: activation)
    }

    /// Builds the VAE for images of `imageShape` (`[C, H, W]` after padding), checking the fit.
    public func makeModel(imageShape: [Int]) throws -> VAE {
        if model.architecture == "dcgan" && (imageShape[1] != 32 || imageShape[2] != 32) {
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
        case "adamax": return Adamax(weightDecay: training.weightDecay)
        case "sgd": return SGD(momentum: training.momentum, weightDecay: training.weightDecay)
        default: return Adam(weightDecay: training.weightDecay)
        }
    }

    /// The learning-rate schedule of the config, for `totalSteps` steps.
    public func makeSchedule(totalSteps: Int) -> LearningRateSchedule {
        switch training.schedule {
        case "step": return .step(stepSize: training.scheduleStepSize, gamma: training.scheduleGamma)
        case "cosine": return .cosine(totalSteps: totalSteps, minimum: training.minimumLearningRate)
        default: return .constant
        }
    }
}
