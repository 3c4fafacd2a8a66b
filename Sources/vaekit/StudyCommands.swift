// `vaekit experiment study|jacobian-l1|consistency|hvae|supervised`: multi-seed studies of the
// variants, each a `Study` (Experiments/Study.swift) whose settings come from the flags. Every
// study runs on 1 or R ranks (under mpirun each run trains on all of them), resumes where it
// stopped, and writes <folder>/study.txt and study.json.

import ArgumentParser
import Cluster
import Experiments
import Foundation
import Runs
import TensorCore

/// The flags every study shares.
struct StudyOptions: ParsableArguments {
    @Option(help: "Seeds per setting (the config's `seed` set to first-seed, first-seed + 1, …).")
    var seeds = 3

    @Option(help: "The first seed.")
    var firstSeed = 1

    @Option(help: "The study's folder (default: runs/study-<name>).")
    var folder: String?

    @Option(
        name: .customLong("set"),
        help: "Override a config key in every run, e.g. --set training.epochs=5 (repeatable).")
    var overrides: [String] = []

    @Option(help: "IWAE samples K for the NLL.")
    var nllSamples = 1000

    @Option(help: "Test images for the NLL.")
    var nllCount = 1000

    @Flag(help: "No training progress display (one line per run remains).")
    var quiet = false

    /// Runs `study` named `name` on the ranks of this job.
    func run(
        _ name: String, config: String, settings: [StudySetting], measures: [StudyMeasure],
        adjust: (inout Study) -> Void = { _ in }
    ) throws {
        guard seeds >= 1, seeds <= 1000, nllSamples >= 1, nllCount >= 1 else {
            throw ValidationError("--seeds (1…1000), --nll-samples and --nll-count must be ≥ 1")
        }
        var study = Study(
            name: name, configFile: config, settings: settings, seeds: Array(firstSeed..<firstSeed + seeds),
            measures: measures, folder: folder ?? "runs/study-\(name)")
        study.overrides = overrides
        study.measureSettings.importanceSamples = nllSamples
        study.measureSettings.likelihoodCount = nllCount
        study.showsProgress = !quiet
        adjust(&study)
        try withRanks(blasThreads: .byCommand) { communicator in
            study.command = commandText(CommandLine.arguments, ranks: communicator.size)
            if communicator.isCoordinator {
                printNow(
                    "vaekit experiment \(name) on \(communicator.size) rank(s), OpenBLAS \(blasCoreName): "
                        + "\(settings.count) settings × \(study.seeds.count) seeds, folder \(study.folder)")
            }
            let result = try study.run(communicator: communicator)
            if communicator.isCoordinator { printNow(String(result.table().dropLast())) }
        }
    }
}

/// A comma-separated list of numbers, each checked by `valid` (`expected` says what it accepts).
func numberList(_ text: String, flag: String, expected: String, _ valid: (Double) -> Bool) throws -> [String]
{
    let items = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    guard !items.isEmpty, items.allSatisfy({ Double($0).map { $0.isFinite && valid($0) } ?? false }) else {
        throw ValidationError("\(flag) \(text): expected comma-separated \(expected)")
    }
    return items
}

struct StudyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "study",
        abstract:
            "Any config under several settings × seeds: means, 95 % intervals, Welch's t against the first.",
        discussion: """
            Each --setting is NAME:key=value,key=value (config overrides); the first is the baseline. Example:
              vaekit experiment study --config configs/fashion-mnist-mlp.yaml \\
                --setting beta-1:training.beta=1 --setting beta-2:training.beta=2 --measure likelihood --seeds 3
            """)

    @Option(help: "The run config every setting starts from.")
    var config: String

    @Option(help: "NAME:key=value,key=value (repeatable; the first is the baseline).")
    var setting: [String] = []

    @Option(help: "Comma-separated: likelihood, representation, invariances, disentanglement, jacobian.")
    var measure = "likelihood"

    @Option(help: "The study's name.")
    var name = "study"

    @OptionGroup var options: StudyOptions

    func run() throws {
        let settings = try setting.map { text -> StudySetting in
            guard let colon = text.firstIndex(of: ":") else {
                throw ValidationError("--setting \(text): expected NAME:key=value,key=value")
            }
            let overrides = text[text.index(after: colon)...].split(separator: ",").map(String.init)
            guard overrides.allSatisfy({ $0.contains("=") }) else {
                throw ValidationError("--setting \(text): expected NAME:key=value,key=value")
            }
            return StudySetting(String(text[..<colon]), overrides)
        }
        let measures = try measure.split(separator: ",").map { word -> StudyMeasure in
            guard let value = StudyMeasure(rawValue: word.trimmingCharacters(in: .whitespaces)) else {
                throw ValidationError(
                    "--measure \(measure): '\(word)' is not one of "
                        + StudyMeasure.allCases.map(\.rawValue).joined(separator: ", "))
            }
            return value
        }
        guard RunConfig.isRunName(name) else { throw ValidationError("--name \(name): not a folder name") }
        try options.run(name, config: config, settings: settings, measures: measures)
    }
}

struct JacobianL1StudyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jacobian-l1",
        abstract:
            "Jacobian-L1 against the β-VAE (γ = 0) on three-dots: local MIG and modularity, Σ|J|, sparsity.")

    @Option(help: "The run config (three-dots).")
    var config = "configs/three-dots-jacobian-l1.yaml"

    @Option(help: "Comma-separated γ; the first is the baseline.")
    var gammas = "0,0.1"

    @Option(help: "Test images whose decoder Jacobian is measured.")
    var jacobianCount = 100

    @Option(help: "Factor vectors per centroid for the local metrics (the paper: 10000).")
    var clusterSamples = 10_000

    @OptionGroup var options: StudyOptions

    func run() throws {
        let settings = try numberList(gammas, flag: "--gammas", expected: "numbers ≥ 0") { $0 >= 0 }.map {
            StudySetting("gamma-\($0)", ["objective.jacobian_gamma=\($0)"])
        }
        guard jacobianCount >= 1, clusterSamples >= 2 else {
            throw ValidationError("--jacobian-count ≥ 1 and --cluster-samples ≥ 2")
        }
        try options.run(
            "jacobian-l1", config: config, settings: settings, measures: [.disentanglement, .jacobian]
        ) {
            $0.measureSettings.jacobianCount = jacobianCount
            $0.measureSettings.clusterSamples = clusterSamples
        }
    }
}

struct ConsistencyStudyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consistency",
        abstract: "Consistency regularization's λ sweep (λ = 0 is augmentation alone) and the plain VAE.",
        discussion: """
            λ multiplies the per-example KL(q(z|t(x)) ‖ q(z|x)) next to the per-example summed ELBO. The \
            official code's λ = 1e-3 weighs it against a per-pixel-mean BCE, 784× smaller per example than \
            the summed one for 28×28 images, so its effective weight here is about 0.78: the default sweep \
            spans the literal 1e-3 to that.
            """)

    @Option(help: "The run config.")
    var config = "configs/fashion-mnist-consistency.yaml"

    @Option(help: "Comma-separated λ; the first is the baseline.")
    var lambdas = "0,0.001,0.01,0.1,1"

    @Flag(inversion: .prefixedNo, help: "Also train the plain VAE (no augmentation).")
    var vae = true

    @OptionGroup var options: StudyOptions

    func run() throws {
        var settings = try numberList(lambdas, flag: "--lambdas", expected: "numbers ≥ 0") { $0 >= 0 }.map {
            StudySetting("lambda-\($0)", ["objective.consistency_weight=\($0)"])
        }
        if vae { settings.append(StudySetting("vae", ["objective.kind=elbo"])) }
        try options.run(
            "consistency", config: config, settings: settings, measures: [.representation, .likelihood])
    }
}

struct HamiltonianStudyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hvae",
        abstract: "HVAE across leapfrog steps K and tempering schedules against the same VAE: IWAE NLL.")

    @Option(help: "The run config (an HVAE config; the baseline is the same with objective.kind=elbo).")
    var config = "configs/fashion-mnist-hvae.yaml"

    @Option(help: "Comma-separated K.")
    var leapfrogSteps = "1,5,10"

    @Option(help: "Comma-separated tempering schedules: none, fixed, free.")
    var tempering = "none,fixed,free"

    @OptionGroup var options: StudyOptions

    func run() throws {
        let steps = try numberList(leapfrogSteps, flag: "--leapfrog-steps", expected: "whole numbers ≥ 1") {
            $0 >= 1 && $0 == $0.rounded()
        }
        let schedules = tempering.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard !schedules.isEmpty, schedules.allSatisfy(["none", "fixed", "free"].contains) else {
            throw ValidationError("--tempering \(tempering): expected some of none, fixed, free")
        }
        var settings = [StudySetting("vae", ["objective.kind=elbo"])]
        for k in steps {
            for schedule in schedules {
                settings.append(
                    StudySetting(
                        "hvae-k\(k)-\(schedule)",
                        ["objective.leapfrog_steps=\(k)", "objective.tempering=\(schedule)"]))
            }
        }
        try options.run("hvae", config: config, settings: settings, measures: [.likelihood])
    }
}

struct SupervisedStudyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "supervised",
        abstract:
            "The supervised VAE across classifier weights α: label preservation, its control, z_n activity.")

    @Option(help: "The run config.")
    var config = "configs/fashion-mnist-supervised.yaml"

    @Option(help: "Comma-separated α; the first is the baseline.")
    var classifierWeights = "50,5,1"

    @Option(help: "Test images for the invariance rates.")
    var count = 2000

    @Option(help: "z_n draws per image.")
    var draws = 8

    @OptionGroup var options: StudyOptions

    func run() throws {
        let settings = try numberList(
            classifierWeights, flag: "--classifier-weights", expected: "numbers ≥ 0"
        ) { $0 >= 0 }.map {
            StudySetting("alpha-\($0)", ["objective.classifier_weight=\($0)"])
        }
        guard count >= 1, draws >= 2 else { throw ValidationError("--count ≥ 1 and --draws ≥ 2") }
        try options.run(
            "supervised", config: config, settings: settings, measures: [.invariances, .likelihood]
        ) {
            $0.measureSettings.invarianceCount = count
            $0.measureSettings.invarianceDraws = draws
        }
    }
}
