// The config declared once: one table of keys (path, type, allowed range, doc string), each
// bound to its field of `RunConfig`, whose declaration holds the default. Decoding with
// validation, the resolved YAML and the key list of `vaekit train --help` are all derived from
// this table; relations between keys are checked after it in `validate`.

import Datasets
import Models

/// A string-valued config choice: an enum whose raw values are the accepted spellings.
public protocol ConfigChoice: RawRepresentable<String>, CaseIterable, Sendable, Equatable {}

extension Binarization: ConfigChoice {}
extension Tempering: ConfigChoice {}

/// One config key: its dotted path, what it accepts, and how it reads and writes its field.
public struct ConfigKey {
    /// `section.name` (or `name` at the top level).
    public let path: String
    /// What the key accepts, e.g. `an integer ≥ 1`, `one of adam, adamax, sgd`.
    public let accepts: String
    /// What the key means.
    public let doc: String
    /// Reads the key from its section into a config (the field's current value is the default).
    let read: (ConfigReader, inout RunConfig) throws -> Void
    /// The field's value as YAML scalar text.
    let write: (RunConfig) -> String

    /// The section name (empty at the top level) and the key's own name.
    var parts: (section: String, name: String) {
        guard let dot = path.firstIndex(of: ".") else { return ("", path) }
        return (String(path[..<dot]), String(path[path.index(after: dot)...]))
    }

    /// The default, as YAML text.
    public var defaultText: String { write(RunConfig()) }
}

extension ConfigKey {
    /// An integer key; every one has an upper bound too, so that no value from a file can ask
    /// for an absurd allocation or loop (the default bound, 10⁹, covers counts and steps).
    static func int(
        _ path: String, _ field: WritableKeyPath<RunConfig, Int>, minimum: Int, maximum: Int = 1_000_000_000,
        _ doc: String
    ) -> ConfigKey {
        ConfigKey(
            path: path, accepts: ConfigReader.integerRange(minimum, maximum), doc: doc,
            read: { reader, config in
                config[keyPath: field] = try reader.int(
                    ConfigKey.name(path), default: config[keyPath: field], minimum: minimum, maximum: maximum)
            },
            write: { "\($0[keyPath: field])" })
    }

    static func seed(_ path: String, _ field: WritableKeyPath<RunConfig, UInt64>, _ doc: String) -> ConfigKey
    {
        ConfigKey(
            path: path, accepts: "an integer ≥ 0", doc: doc,
            read: { reader, config in
                config[keyPath: field] = UInt64(
                    try reader.int(ConfigKey.name(path), default: Int(config[keyPath: field]), minimum: 0))
            },
            write: { "\($0[keyPath: field])" })
    }

    static func float(
        _ path: String, _ field: WritableKeyPath<RunConfig, Float>, minimum: Float,
        maximum: Float = .infinity, _ doc: String
    ) -> ConfigKey {
        ConfigKey(
            path: path,
            accepts: maximum.isFinite ? "a number in [\(minimum), \(maximum)]" : "a number ≥ \(minimum)",
            doc: doc,
            read: { reader, config in
                config[keyPath: field] = try reader.float(
                    ConfigKey.name(path), default: config[keyPath: field], minimum: minimum, maximum: maximum)
            },
            write: { "\($0[keyPath: field])" })
    }

    static func bool(_ path: String, _ field: WritableKeyPath<RunConfig, Bool>, _ doc: String) -> ConfigKey {
        ConfigKey(
            path: path, accepts: "true or false", doc: doc,
            read: { reader, config in
                let text = try reader.string(
                    ConfigKey.name(path), default: "\(config[keyPath: field])", allowed: ["true", "false"])
                config[keyPath: field] = text == "true"
            },
            write: { "\($0[keyPath: field])" })
    }

    static func string(_ path: String, _ field: WritableKeyPath<RunConfig, String>, _ doc: String)
        -> ConfigKey
    {
        ConfigKey(
            path: path, accepts: "a string", doc: doc,
            read: { reader, config in
                config[keyPath: field] = try reader.string(
                    ConfigKey.name(path), default: config[keyPath: field])
            },
            write: { ConfigKey.quoted($0[keyPath: field]) })
    }

    /// A run name: it names a folder under runs/, so it is never a path.
    static func runName(_ path: String, _ field: WritableKeyPath<RunConfig, String>, _ doc: String)
        -> ConfigKey
    {
        let expected = "1–100 letters, digits, '.', '_' or '-' (a folder name under runs/, not '.' or '..')"
        return ConfigKey(
            path: path, accepts: expected, doc: doc,
            read: { reader, config in
                let text = try reader.string(ConfigKey.name(path), default: config[keyPath: field])
                guard RunConfig.isRunName(text) else {
                    throw ConfigError.badValue(path: reader.path, key: path, value: text, expected: expected)
                }
                config[keyPath: field] = text
            },
            write: { ConfigKey.quoted($0[keyPath: field]) })
    }

    static func ints(
        _ path: String, _ field: WritableKeyPath<RunConfig, [Int]>, minimum: Int, maximum: Int, count: Int,
        _ doc: String
    ) -> ConfigKey {
        ConfigKey(
            path: path, accepts: "a list of at most \(count) integers in [\(minimum), \(maximum)]", doc: doc,
            read: { reader, config in
                config[keyPath: field] = try reader.ints(
                    ConfigKey.name(path), default: config[keyPath: field], minimum: minimum, maximum: maximum,
                    count: count)
            },
            write: { "[\($0[keyPath: field].map(String.init).joined(separator: ", "))]" })
    }

    static func choice<Choice: ConfigChoice>(
        _ path: String, _ field: WritableKeyPath<RunConfig, Choice>, _ doc: String
    ) -> ConfigKey {
        let allowed = Choice.allCases.map(\.rawValue)
        return ConfigKey(
            path: path, accepts: "one of \(allowed.joined(separator: ", "))", doc: doc,
            read: { reader, config in
                let text = try reader.string(
                    ConfigKey.name(path), default: config[keyPath: field].rawValue, allowed: allowed)
                if let value = Choice(rawValue: text) { config[keyPath: field] = value }
            },
            write: { $0[keyPath: field].rawValue })
    }

    private static func name(_ path: String) -> String {
        path.split(separator: ".").last.map(String.init) ?? path
    }

    static func quoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            + "\""
    }
}

extension RunConfig {
    /// Whether `name` can name a run folder: 1–100 ASCII letters, digits, `.`, `_`, `-`, and
    /// not `.` or `..` (so it never leaves runs/).
    public static func isRunName(_ name: String) -> Bool {
        guard (1...100).contains(name.utf8.count), name != ".", name != ".." else { return false }
        return name.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0)
                || "._-".unicodeScalars.contains($0)
        }
    }

    /// Every key of a run config, in the order of the resolved YAML.
    public static var keys: [ConfigKey] {
        [
            .runName("name", \.name, "The run's name: its folder under runs/ unless --run is given."),
            .seed("seed", \.seed, "The seed of every random draw."),

            .string("data.train", \.data.train, "Training set file (VAEKit HDF5 layout)."),
            .string("data.test", \.data.test, "Test set file."),
            .choice(
                "data.binarization", \.data.binarization,
                "How pixel bytes become inputs: as intensities, or dynamically binarized."),
            .int(
                "data.padding", \.data.padding, minimum: 0, maximum: 256,
                "Zero pixels added around each image (2 turns 28×28 into 32×32)."),
            .int(
                "data.train_limit", \.data.trainLimit, minimum: 0,
                "Use only the first N training examples (0 = all)."),
            .int(
                "data.test_limit", \.data.testLimit, minimum: 0,
                "Use only the first N test examples (0 = all)."),
            .float(
                "data.perturbation", \.data.perturbation, minimum: 0, maximum: 1,
                "Probability of replacing each training pixel by noise (0.2 for the likelihood-ratio background model)."
            ),
            .ints(
                "data.exclude_classes", \.data.excludeClasses, minimum: 0, maximum: 1_000_000, count: 1000,
                "Labels left out of training and test; `vaekit ood --ood heldout-classes` scores their test images."
            ),

            .choice(
                "model.architecture", \.model.architecture, "MLP or the DCGAN-like conv VAE (32×32 images)."),
            .int("model.latent", \.model.latent, minimum: 1, maximum: 65_536, "Latent dimensions Z."),
            .ints(
                "model.hidden", \.model.hidden, minimum: 1, maximum: 65_536, count: 64,
                "MLP hidden widths, encoder order (the decoder mirrors them)."),
            .choice("model.activation", \.model.activation, "MLP activation."),
            .int(
                "model.width", \.model.width, minimum: 1, maximum: 65_536,
                "DCGAN base width (channels of the first conv)."),
            .choice("model.likelihood", \.model.likelihood, "Decoder likelihood p(x|z)."),
            .float(
                "model.gaussian_std", \.model.gaussianStandardDeviation, minimum: 1e-6,
                "σ of the fixed-variance Gaussian decoder."),

            .int(
                "training.epochs", \.training.epochs, minimum: 1, maximum: 1_000_000,
                "Epochs over the training set."),
            .int(
                "training.batch_size", \.training.batchSize, minimum: 1, maximum: 1_000_000,
                "Global batch size (over all ranks)."
            ),
            .choice("training.optimizer", \.training.optimizer, "The optimizer."),
            .float(
                "training.learning_rate", \.training.learningRate, minimum: 0,
                "Base learning rate: the schedule starts here."),
            .float(
                "training.weight_decay", \.training.weightDecay, minimum: 0,
                "L2 weight decay (added to the gradient)."),
            .float("training.momentum", \.training.momentum, minimum: 0, "SGD momentum."),
            .choice("training.schedule", \.training.schedule, "Learning-rate schedule."),
            .int(
                "training.schedule_step_size", \.training.scheduleStepSize, minimum: 1,
                "StepLR period in steps."),
            .float("training.schedule_gamma", \.training.scheduleGamma, minimum: 0, "StepLR factor."),
            .float(
                "training.minimum_learning_rate", \.training.minimumLearningRate, minimum: 0,
                "The cosine schedule's final rate."),
            .float("training.beta", \.training.beta, minimum: 0, "β of the β-ELBO."),
            .float(
                "training.gradient_clip", \.training.gradientClip, minimum: 0,
                "Global gradient-norm clipping (0 = off)."),
            .int(
                "training.checkpoint_every", \.training.checkpointEvery, minimum: 0,
                "Write a checkpoint every N steps (0 = only at the end)."),
            .int(
                "training.evaluate_every", \.training.evaluateEvery, minimum: 0,
                "Evaluate on the test set every N epochs (0 = never during training)."),
            .int(
                "training.evaluation_count", \.training.evaluationCount, minimum: 0,
                "Test examples per evaluation during training (0 = all)."),
            .int(
                "training.workers", \.training.workers, minimum: 1, maximum: 1024,
                "In-process workers, each taking a contiguous part of every batch."),
            .int(
                "training.blas_threads", \.training.blasThreads, minimum: 1, maximum: 1024,
                "OpenBLAS threads per process (shared by the workers)."),
            .int(
                "training.allreduce_bucket_mb", \.training.allReduceBucketMegabytes, minimum: 1,
                maximum: 65_536,
                "Largest all-reduce of the gradient arena, in MiB; larger arenas go in several buckets "
                    + "(with overlap_allreduce, each starts as soon as its gradients are final)."),
            .bool(
                "training.overlap_allreduce", \.training.overlapAllReduce,
                "Reduce each bucket during the backward pass, as soon as its gradients are final (on "
                    + "several ranks with one worker each; use small buckets, e.g. allreduce_bucket_mb 1)."),
            .bool(
                "training.reproducible_reduction", \.training.reproducibleReduction,
                "Sum gradients exactly (64-bit fixed point over blocks of the global batch, an integer "
                    + "all-reduce), so that any number of ranks and workers gives the same bits."),
            .int(
                "training.reduction_block", \.training.reductionBlock, minimum: 1, maximum: 1_000_000,
                "Examples per block of the reproducible reduction (divides training.batch_size)."),
            .int(
                "training.collective_timeout_s", \.training.collectiveTimeoutSeconds, minimum: 1,
                maximum: 86_400,
                "Seconds a rank waits in any collective before the job ends, naming the ranks that do "
                    + "not answer (a cut link, a stopped host); every command on the run uses it."),

            .int(
                "evaluation.iwae_samples", \.evaluation.iwaeSamples, minimum: 1, maximum: 10_000_000,
                "Importance samples K of the IWAE estimate."),
            .int(
                "evaluation.iwae_chunk", \.evaluation.iwaeChunk, minimum: 1, maximum: 1_000_000,
                "Samples decoded at once per example."),
            .int("evaluation.count", \.evaluation.count, minimum: 0, "Test examples evaluated (0 = all)."),

            .choice(
                "objective.kind", \.objective.kind, "What the VAE is trained on: the β-ELBO or a variant."),
            .int(
                "objective.anneal_steps", \.objective.annealSteps, minimum: 0,
                "β (and Jacobian-L1's γ) ramp linearly from 0 over this many steps; 0 = no ramp."),
            .int(
                "objective.leapfrog_steps", \.objective.hamiltonian.leapfrogSteps, minimum: 1,
                maximum: 10_000,
                "HVAE: leapfrog steps K."),
            .choice("objective.tempering", \.objective.hamiltonian.tempering, "HVAE: tempering schedule."),
            .float(
                "objective.initial_step_size", \.objective.hamiltonian.initialStepSize, minimum: 1e-8,
                "HVAE: initial leapfrog step size (below max_step_size)."),
            .float(
                "objective.max_step_size", \.objective.hamiltonian.maximumStepSize, minimum: 1e-8,
                "HVAE: ε_max."),
            .float(
                "objective.initial_temperature", \.objective.hamiltonian.initialTemperature,
                minimum: 1.000_001,
                "HVAE: initial T₀ (fixed tempering)."),
            .float(
                "objective.initial_alpha", \.objective.hamiltonian.initialAlpha, minimum: 1e-6,
                maximum: 0.999_999,
                "HVAE: initial α_k (free tempering), in (0, 1)."),
            .float("objective.jacobian_gamma", \.objective.jacobianGamma, minimum: 0, "Jacobian-L1: γ."),
            .float(
                "objective.difference_step", \.objective.differenceStep, minimum: 1e-8,
                "Jacobian-L1: finite-difference step h."),
            .float(
                "objective.consistency_weight", \.objective.consistencyWeight, minimum: 0,
                "Consistency regularization: λ."),
            .float(
                "objective.rotation_degrees", \.objective.rotationDegrees, minimum: 0,
                "Augmentation: rotations uniform in ±degrees."),
            .float(
                "objective.translation", \.objective.translation, minimum: 0,
                "Augmentation: translations uniform in ±fraction of the side."),
            .float(
                "objective.scale_min", \.objective.scaleMinimum, minimum: 1e-3,
                "Augmentation: smallest scale."),
            .float(
                "objective.scale_max", \.objective.scaleMaximum, minimum: 1e-3, "Augmentation: largest scale."
            ),
            .int(
                "objective.supervised_latents", \.objective.supervised.supervisedLatents, minimum: 1,
                maximum: 65_536,
                "Supervised VAE: d_s, the latents the classifier sees."),
            .int(
                "objective.classes", \.objective.supervised.classes, minimum: 2, maximum: 1_000_000,
                "Supervised VAE: classes."),
            .float(
                "objective.classifier_weight", \.objective.classifierWeight, minimum: 0,
                "Supervised VAE: α, the classifier loss weight."),
            .int(
                "objective.classifier_hidden", \.objective.supervised.classifierHidden, minimum: 1,
                maximum: 65_536,
                "Supervised VAE: classifier hidden width."),
        ]
    }

    /// Reads every key of the table from `tree`, checks the relations between keys, and refuses
    /// keys that the table does not know.
    static func decode(_ tree: ConfigTree, path: String) throws -> RunConfig {
        let root = try ConfigReader(tree, path: path)
        var config = RunConfig()
        for key in keys {
            let (section, _) = key.parts
            try key.read(section.isEmpty ? root : try root.section(section), &config)
        }
        try config.validate(path: path)
        try root.rejectUnknownKeys()
        return config
    }

    /// Relations between keys that no single key's range expresses.
    func validate(path: String) throws {
        let (o, h, s) = (objective, objective.hamiltonian, objective.supervised)
        let badValue = { (key: String, value: String, expected: String) in
            ConfigError.badValue(path: path, key: key, value: value, expected: expected)
        }
        if h.initialStepSize >= h.maximumStepSize {
            throw badValue(
                "objective.initial_step_size", "\(h.initialStepSize)",
                "less than max_step_size \(h.maximumStepSize)")
        }
        if o.scaleMinimum > o.scaleMaximum {
            throw badValue("objective.scale_min", "\(o.scaleMinimum)", "at most scale_max \(o.scaleMaximum)")
        }
        if o.kind == .supervised && s.supervisedLatents >= model.latent {
            throw badValue(
                "objective.supervised_latents", "\(s.supervisedLatents)",
                "fewer than model.latent (\(model.latent)), leaving nuisance latents")
        }
        if training.reproducibleReduction && training.batchSize % training.reductionBlock != 0 {
            throw badValue(
                "training.reduction_block", "\(training.reductionBlock)",
                "a divisor of training.batch_size (\(training.batchSize))")
        }
        if o.kind == .jacobianL1 && model.likelihood == .categorical256 {
            throw badValue(
                "objective.kind", "jacobian_l1", "a Bernoulli or Gaussian decoder (not categorical256)")
        }
    }

    /// The resolved config as YAML (every key, in table order); parses back to an equal config.
    public var yaml: String {
        var lines: [String] = []
        var section = ""
        for key in RunConfig.keys {
            let (keySection, name) = key.parts
            if keySection != section {
                section = keySection
                lines.append("\(section):")
            }
            lines.append((section.isEmpty ? "" : "  ") + "\(name): \(key.write(self))")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Every key with what it accepts, its default and its doc string (for `--help`).
    public static var keyReference: String {
        keys.map { key in
            "  \(key.path) (\(key.accepts); default \(key.defaultText))\n      \(key.doc)"
        }.joined(separator: "\n")
    }
}
