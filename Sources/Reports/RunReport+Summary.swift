// The box at the top of report.html that answers a reader's two questions at a glance: is an
// input out of distribution (per OOD set: the best method's AUROC with its interval, and what the
// per-image verdicts flagged), and which training examples explain the model (the score used and
// whether a few examples dominate the explanations). Every figure is one the sections below show.

import OOD
import Runs
import Storage

extension RunReport {
    /// The summary box, `<section id="summary">`.
    func summarySection() -> String {
        var out = RunReport.open("summary")
        let shape = run.imageShape.map(String.init).joined(separator: "×")
        out += "<table class=\"facts\">"
        out += row(
            "Model",
            "\(run.architecture) VAE, \(run.likelihood) decoder, \(run.latentCount) latents, "
                + "\(grouped(run.parameterCount)) parameters; \(grouped(run.steps)) steps, final test −ELBO "
                + "\(cell(run.finalTestNegativeELBO, decimals: 2)) nats")
        out += row(
            "Data",
            "\(displayPath(run.trainData)) (\(grouped(run.trainCount)) training images of \(shape)); "
                + "test \(displayPath(run.testData))")
        out += "<tr><th>Out of distribution</th><td>\(oodVerdicts())</td></tr>"
        out += "<tr><th>Influence</th><td>\(influenceVerdict())</td></tr>"
        return out + "</table></section>\n"
    }

    private func row(_ key: String, _ value: String) -> String {
        "<tr><th>\(key.htmlEscaped)</th><td>\(value.htmlEscaped)</td></tr>"
    }

    /// One line per OOD set: the method with the highest AUROC, its interval, how it compares
    /// with chance, and the share of the set it flags at the calibrated threshold.
    private func oodVerdicts() -> String {
        guard let report = ood?.scores else {
            return "not scored yet (<code>vaekit ood --run \(run.path.htmlEscaped)</code>)"
        }
        let sets = report.order.filter { $0 != report.inDistribution }
        var lines: [String] = []
        for set in sets {
            let ranked = report.methods.compactMap { method in
                report.metrics[method.rawValue]?[set].map { (method, $0.auroc) }
            }.filter { $0.1.isFinite }.sorted { $0.1 > $1.1 }
            guard let (best, auroc) = ranked.first else { continue }
            let interval = report.intervals?[best.rawValue]?[set]?.auroc
            let separated: String
            if let interval {
                separated =
                    interval.lower > 0.5
                    ? (auroc >= 0.9 ? "detected" : "partly detected")
                    : (interval.upper < 0.5 ? "ranked as more in-distribution" : "not distinguished")
            } else {
                separated = auroc >= 0.9 ? "detected" : auroc > 0.6 ? "partly detected" : "not distinguished"
            }
            var line = "<b>\(set.htmlEscaped)</b>: \(separated) — \(best.displayName.htmlEscaped) AUROC "
            line += cell(auroc, decimals: 3)
            if let interval {
                line += " [\(cell(interval.lower, decimals: 3)), \(cell(interval.upper, decimals: 3))]"
            }
            if let calibration = report.calibration,
                let flags = report.scores[set]?.compactMap({ $0.flagged?[best.rawValue] }), !flags.isEmpty
            {
                let share = 100 * Double(flags.filter { $0 }.count) / Double(flags.count)
                line +=
                    "; flags \(cell(share, decimals: 0)) % of \(flags.count) images at "
                    + "\(cell(calibration.truePositiveRate * 100, decimals: 0)) % TPR"
            }
            if ranked.count > 1, best != .likelihoodRegret,
                let regret = ranked.first(where: { $0.0 == .likelihoodRegret })
            {
                line += " (Likelihood Regret \(cell(regret.1, decimals: 3)))"
            }
            lines.append(line)
        }
        let header =
            "against \(report.inDistributionFile.map { "<code>\(displayPath($0).htmlEscaped)</code>" } ?? report.inDistribution.htmlEscaped), "
            + "\(report.scores[report.inDistribution]?.count ?? 0) images per set:"
        return header + "<br>" + lines.joined(separator: "<br>")
    }

    /// The influence score used and the hub warning, or what to run.
    private func influenceVerdict() -> String {
        guard let query = influence?.query else {
            return
                "not queried yet (<code>vaekit influence query --run \(run.path.htmlEscaped) --test test:0-9</code>)"
        }
        var text =
            "score <b>\((query.score ?? "tracin").htmlEscaped)</b> over \(query.checkpoints.count) checkpoint(s), "
            + "\(query.tests.count) test example(s), top \(query.top) proponents and opponents each. "
        let hubs = query.hubs ?? []
        if hubs.isEmpty {
            text += "No training example is a top proponent of a large share of the test examples."
        } else {
            let named = hubs.prefix(3).map { "train #\($0.index) (\($0.lists) of \(query.tests.count))" }
            text +=
                "<span class=\"warning\">Hub warning: \(named.joined(separator: ", ")) dominate the explanations; "
                + "TracIn favours large gradients — compare <code>--score cosine</code>.</span>"
        }
        return text
    }
}
