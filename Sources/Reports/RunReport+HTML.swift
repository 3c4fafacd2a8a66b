// `report.html`: one self-contained page (images as inline PNG data, plots as inline SVG, no
// script, no external resource) rendered from a `RunReport` and the run's datasets.

import Datasets
import Foundation
import Influence
import OOD
import Runs
import Storage

/// Section ids of the page, in order (the browser test checks each one).
public let reportSectionIDs = [
    "summary", "run", "training", "images", "ood", "influence", "self-influence", "commands",
]

extension RunReport {
    /// The page. `data` supplies the images of examples named by index.
    public func html(
        data: RunData, runPath: String, influenceTests: Int = 6, oodImages: [String: ImageDataset] = [:]
    ) -> String {
        var page = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>VAEKit report — \(run.name.htmlEscaped)</title>
            <style>\(RunReport.style)</style></head><body>
            <header><h1>VAEKit report: \(run.name.htmlEscaped)</h1>
            <p class="muted">Run folder <code>\(run.path.htmlEscaped)</code> · generated \(generated.htmlEscaped)</p>
            <nav>\(reportSectionIDs.map { "<a href=\"#\($0)\">\(RunReport.heading($0))</a>" }.joined(separator: " · "))</nav>
            </header>

            """
        page += summarySection()
        page += runSection()
        page += trainingSection()
        page += imagesSection(runPath: runPath)
        page += oodSection(data: data, images: oodImages)
        page += influenceSection(data: data, count: influenceTests)
        page += selfInfluenceSection(data: data)
        page += commandsSection()
        page +=
            "<footer class=\"muted\">Written by vaekit report. Every figure on this page comes from the files "
        page += "of the run folder named above.</footer></body></html>\n"
        return page
    }

    static func heading(_ id: String) -> String {
        switch id {
        case "summary": return "Summary"
        case "run": return "Run"
        case "training": return "Training"
        case "images": return "Reconstructions and samples"
        case "ood": return "Out-of-distribution detection"
        case "influence": return "Influence (VAE-TracIn)"
        case "self-influence": return "Self-influence"
        default: return "Reproduce"
        }
    }

    static func open(_ id: String) -> String { "<section id=\"\(id)\"><h2>\(heading(id))</h2>\n" }

    static func missing(_ what: String, command: String) -> String {
        "<p class=\"missing\">\(what.htmlEscaped) Produce it with <code>\(command.htmlEscaped)</code>.</p>"
    }

    func runSection() -> String {
        var rows: [(String, String)] = [
            ("Name", run.name),
            ("Model", "\(run.architecture), \(run.likelihood) decoder, \(run.latentCount) latent dimensions"),
            ("Parameters", "\(run.parameterCount)"),
            (
                "Training data",
                "\(run.trainData) (\(run.trainCount) examples, images \(run.imageShape.map(String.init).joined(separator: "×")))"
            ),
            ("Test data", "\(run.testData) (\(run.testCount) examples)"),
            (
                "Steps",
                "\(run.steps); checkpoints at \(run.checkpoints.map(String.init).joined(separator: ", "))"
            ),
        ]
        if let ranks = run.ranks, let workers = run.workersPerRank {
            rows.append(("Ranks", "\(ranks) rank(s) × \(workers) worker thread(s)"))
        }
        if let wall = run.trainingWallSeconds {
            rows.append(
                ("Training wall time", "\(durationText(wall)) over \(run.sessions.count) invocation(s)"))
        }
        if let rate = run.examplesPerSecond {
            rows.append(("Throughput", String(format: "%.0f examples/s", rate)))
        }
        rows.append(("Final training −ELBO", cell(run.finalTrainLoss, decimals: 2) + " nats"))
        rows.append(("Final test −ELBO", cell(run.finalTestNegativeELBO, decimals: 2) + " nats"))
        var out = RunReport.open("run") + "<table class=\"facts\">"
        for (key, value) in rows {
            out += "<tr><th>\(key.htmlEscaped)</th><td>\(value.htmlEscaped)</td></tr>"
        }
        out +=
            "</table><details><summary>Resolved config</summary><pre>\(run.config.htmlEscaped)</pre></details>"
        return out + "</section>\n"
    }

    func trainingSection() -> String {
        var out = RunReport.open("training")
        guard !curves.isEmpty else {
            return out + RunReport.missing("No metrics logged yet.", command: "vaekit train --config FILE")
                + "</section>\n"
        }
        let loss = ChartSeries(
            label: "train −ELBO", points: curves.compactMap { p in p.trainLoss.map { (p.epoch, $0) } })
        let test = ChartSeries(
            label: "test −ELBO", points: curves.compactMap { p in p.testNegativeELBO.map { (p.epoch, $0) } })
        out +=
            SVGChart(
                title: "−ELBO per example (nats)", xLabel: "epoch", yLabel: "nats", series: [loss, test]
            ).svg
        let kl = ChartSeries(
            label: "train KL", points: curves.compactMap { p in p.trainKL.map { (p.epoch, $0) } })
        if !kl.points.isEmpty {
            out +=
                SVGChart(title: "KL(q(z|x) ‖ p(z)) (nats)", xLabel: "epoch", yLabel: "nats", series: [kl]).svg
        }
        return out + "</section>\n"
    }

    func imagesSection(runPath: String) -> String {
        var out = RunReport.open("images")
        var any = false
        for (caption, file) in [
            (
                "Test images (odd rows) above their reconstructions at the posterior mean",
                reconstructionsImage
            ),
            ("Samples from the prior (decoder means)", samplesImage),
        ] {
            guard let file, let bytes = FileManager.default.contents(atPath: "\(runPath)/\(file)") else {
                continue
            }
            any = true
            out +=
                "<figure><img class=\"grid\" alt=\"\(caption.htmlEscaped)\" src=\"data:image/png;base64,"
                + bytes.base64EncodedString() + "\"><figcaption>\(caption.htmlEscaped) "
                + "(<code>\(file.htmlEscaped)</code>)</figcaption></figure>"
        }
        if !any { out += RunReport.missing("No image grids yet.", command: "vaekit train --config FILE") }
        return out + "</section>\n"
    }

    func oodSection(data: RunData, images: [String: ImageDataset]) -> String {
        var out = RunReport.open("ood")
        guard let ood else {
            return out
                + RunReport.missing(
                    "No OOD scores yet.",
                    command:
                        "vaekit ood --run \(run.path) --ood noise,constant,vflip,invert"
                )
                + "</section>\n"
        }
        let report = ood.scores
        let sets = Array(report.order.dropFirst())
        let inScores = report.scores[report.inDistribution] ?? []
        out += "<p>Checkpoint <code>\(report.checkpoint.htmlEscaped)</code>; in-distribution set "
        out +=
            "<code>\(report.inDistribution.htmlEscaped)</code>"
            + (report.inDistributionFile.map { " of <code>\(displayPath($0).htmlEscaped)</code>" } ?? "")
            + " (\(inScores.count) images) against "
        out += sets.map { "<code>\($0.htmlEscaped)</code> (\(report.scores[$0]?.count ?? 0))" }.joined(
            separator: ", ")
        out += String(
            format:
                ". IWAE with K = %d, %d refit steps; %d rank(s), %.2f images/s. OOD is the positive class; "
                + "higher scores mean more OOD.</p>", report.importanceSamples, report.steps, report.ranks,
            report.imagesPerSecond)
        // AUROC at a glance (methods × sets, with 95 % bootstrap intervals), then every metric in a
        // table that folds open.
        let resamples = report.intervals?.values.first?.values.first?.resamples
        out += "<table class=\"metrics\"><tr><th>AUROC [95 % interval]</th>"
        out += sets.map { "<th>\($0.htmlEscaped)</th>" }.joined() + "<th>mean</th></tr>"
        for method in ood.methods {
            out += "<tr><td>\(method.displayName.htmlEscaped)</td>"
            out += sets.map { set in
                let bounds = report.intervals?[method.rawValue]?[set]?.auroc
                return
                    "<td>\(cell(report.metrics[method.rawValue]?[set]?.auroc))\(RunReport.interval(bounds))</td>"
            }.joined()
            out += "<td>\(cell(report.meanAUROC[method.rawValue]))</td></tr>"
        }
        out += "</table>"
        if let resamples {
            out += "<p class=\"muted\">Intervals: percentiles 2.5 and 97.5 of \(resamples) seeded bootstrap "
            out += "resamples of the images (in-distribution and OOD drawn separately).</p>"
        }
        for (method, reason) in (report.notApplicable ?? [:]).sorted(by: { $0.key < $1.key }) {
            let name = OODMethod(rawValue: method)?.displayName ?? method
            out += "<p class=\"warning\">\(name.htmlEscaped): not applicable — \(reason.htmlEscaped).</p>"
        }
        out += "<details><summary>AUPRC and false-positive rates</summary>"
        out += "<table class=\"metrics\"><tr><th>method</th><th>OOD set</th><th>AUROC</th><th>AUPRC</th>"
        out += "<th>FPR@80%TPR</th><th>FPR@95%TPR</th></tr>"
        for method in ood.methods {
            for set in sets {
                guard let metrics = report.metrics[method.rawValue]?[set] else { continue }
                let bounds = report.intervals?[method.rawValue]?[set]
                out += "<tr><td>\(method.displayName.htmlEscaped)</td><td>\(set.htmlEscaped)</td>"
                out += "<td>\(cell(metrics.auroc))\(RunReport.interval(bounds?.auroc))</td>"
                out += "<td>\(cell(metrics.auprc))\(RunReport.interval(bounds?.auprc))</td>"
                out += "<td>\(cell(metrics.fprAt80))</td>"
                out += "<td>\(cell(metrics.fprAt95))\(RunReport.interval(bounds?.fprAt95))</td></tr>"
            }
            out +=
                "<tr class=\"mean\"><td>\(method.displayName.htmlEscaped)</td><td>mean AUROC</td>"
            out += "<td>\(cell(report.meanAUROC[method.rawValue]))</td><td></td><td></td><td></td></tr>"
        }
        out += "</table></details><h3>ROC curves</h3><div class=\"charts\">"
        for method in ood.methods {
            let value = method.score
            let inValues = inScores.compactMap(value)
            var series = sets.map { set in
                ChartSeries(
                    label: set,
                    points: DetectionMetrics.rocCurve(
                        inDistribution: inValues,
                        outOfDistribution: (report.scores[set] ?? []).compactMap(value)))
            }
            series.append(ChartSeries(label: "chance", points: [(0, 0), (1, 1)], dashed: true))
            out +=
                SVGChart(
                    title: method.displayName, xLabel: "false-positive rate",
                    yLabel: "true-positive rate",
                    series: series, xRange: 0...1, yRange: 0...1
                ).svg
        }
        out += "</div><h3>Score histograms</h3><div class=\"charts\">"
        for method in ood.methods {
            let value = method.score
            let all = report.order.map { (report.scores[$0] ?? []).compactMap(value).filter(\.isFinite) }
            let pooled = all.flatMap { $0 }.sorted()
            guard let low = pooled.first, let high = pooled.last else { continue }
            // Clip the range to the 1st–99th percentile so one extreme set does not flatten the rest.
            let lower = pooled[Int(Double(pooled.count - 1) * 0.01)]
            let upper = pooled[Int(Double(pooled.count - 1) * 0.99)]
            let range = upper > lower ? lower...upper : (low - 1)...(high + 1)
            let series = zip(report.order, all).map { name, values in
                ChartSeries(label: name, points: histogram(values, range: range, bins: 30), steps: true)
            }
            out +=
                SVGChart(
                    title: "\(method.displayName) (\(method.unit))", xLabel: "score",
                    yLabel: "fraction of images", series: series
                ).svg
        }
        out += "</div>"
        if !ood.mostOODLooking.isEmpty {
            let set =
                OODSets.isRunTestSet(report.inDistribution) ? data.test : nil
            out += "<h3>Most OOD-looking in-distribution test images (highest Likelihood Regret)</h3>"
            out += RunReport.exampleStrip(
                ood.mostOODLooking.map { ($0.index, $0.score) }, set: set, prefix: "test")
            out += "<h3>Least OOD-looking (lowest Likelihood Regret)</h3>"
            out += RunReport.exampleStrip(
                ood.leastOODLooking.map { ($0.index, $0.score) }, set: set, prefix: "test")
        }
        if let calibration = report.calibration { out += verdicts(report, calibration, images: images) }
        return out + "</section>\n"
    }

    /// Per-image verdicts: detection and false-alarm rates per method, then for Likelihood Regret
    /// (or the first method with a threshold) each set's flagged and missed images and the false
    /// alarms among in-distribution images, with class names.
    func verdicts(_ report: OODReport, _ calibration: OODCalibration, images: [String: ImageDataset])
        -> String
    {
        let rate = cell(calibration.truePositiveRate * 100, decimals: 0)
        var out = "<h3>Per-image verdicts at \(rate) % TPR</h3>"
        out +=
            "<p>Each method's threshold keeps \(rate) % of \(calibration.count) in-distribution calibration "
        out +=
            "images (\(calibration.source.htmlEscaped), not among those scored) below it; an image above it "
        out += "is flagged OOD. In-distribution column: false alarms; other columns: detections.</p>"
        out += "<table class=\"metrics\"><tr><th>flagged</th>"
        out += report.order.map { "<th>\($0.htmlEscaped)</th>" }.joined() + "</tr>"
        let methods = report.methods.filter { calibration.thresholds[$0.rawValue] != nil }
        for method in methods {
            out += "<tr><td>\(method.displayName.htmlEscaped)</td>"
            for set in report.order {
                let flags = (report.scores[set] ?? []).compactMap { $0.flagged?[method.rawValue] }
                let share = Double(flags.filter { $0 }.count) / Double(max(flags.count, 1))
                out += "<td>\(cell(share * 100, decimals: 1)) %</td>"
            }
            out += "</tr>"
        }
        out += "</table>"
        guard let method = methods.first else { return out }
        let shown = 8
        let caption = { (set: String, example: OODExampleScores) -> (Int, String) in
            let score = method.score(example).map { cell($0, decimals: 1) } ?? "—"
            return (example.index, "\(set) #\(example.index) · \(score)")
        }
        let strip = { (set: String, examples: [OODExampleScores]) -> String in
            "<div class=\"strip\">"
                + examples.prefix(shown).map { example in
                    let (index, text) = caption(set, example)
                    return RunReport.exampleFigure(set: images[set], index: index, caption: text)
                }.joined() + "</div>"
        }
        out += "<h4>\(method.displayName.htmlEscaped): images and verdicts (first \(shown) of each kind)</h4>"
        for set in report.order {
            let examples = report.scores[set] ?? []
            let flagged = examples.filter { $0.flagged?[method.rawValue] == true }
            let kept = examples.filter { $0.flagged?[method.rawValue] == false }
            if set == report.inDistribution {
                out += "<p><b>\(set.htmlEscaped)</b> (in-distribution): \(flagged.count) false alarms of "
                out += "\(examples.count)</p>" + strip(set, flagged)
            } else {
                out += "<p><b>\(set.htmlEscaped)</b>: \(flagged.count) of \(examples.count) flagged</p>"
                out += strip(set, flagged)
                out += "<p>missed: \(kept.count)</p>" + strip(set, kept)
            }
        }
        return out
    }

    func influenceSection(data: RunData, count: Int) -> String {
        var out = RunReport.open("influence")
        guard let query = influence?.query else {
            return out
                + RunReport.missing(
                    "No influence query yet.",
                    command:
                        "vaekit influence index --run \(run.path) && vaekit influence query --run \(run.path) --test test:0-9"
                )
                + "</section>\n"
        }
        out += "<p>Mode <code>\(query.mode.htmlEscaped)</code>, checkpoints "
        out += query.checkpoints.map(String.init).joined(separator: ", ")
        if let index = influence?.index {
            out +=
                "; \(index.samples) reparameterization draws per example's loss; index built on \(index.worldSize) rank(s)"
        }
        let score = InfluenceScore(rawValue: query.score ?? "tracin") ?? .tracin
        let formula: String
        switch score {
        case .tracin: formula = "TracIn, Σ_c η_c ⟨∇ℓ(train), ∇ℓ(test)⟩"
        case .cosine: formula = "cosine, TracIn over √self(train) √self(test)"
        case .relatif: formula = "RelatIF, TracIn over √self(train)"
        }
        out += String(
            format: ". Score: <strong>%@</strong>; proponents have the highest scores, "
                + "opponents the lowest. Scored at %.3g train × test pairs per second.</p>",
            formula, query.pairsPerSecond)
        for hub in query.hubs ?? [] {
            out +=
                "<p class=\"warning\">Train #\(hub.index) is a top-\(query.top) proponent of \(hub.lists) of the "
                + "\(query.tests.count) test examples: one example dominating many explanations is TracIn's bias "
                + "toward large gradients (try <code>--score cosine</code>).</p>"
        }
        for test in query.tests.prefix(count) {
            let set = test.split == "train" ? data.train : data.test
            out += "<div class=\"influence\"><div class=\"query\">"
            out += RunReport.exampleFigure(
                set: set, index: test.index, caption: "\(test.split) #\(test.index)")
            out += "</div><div><h4>Proponents</h4>"
            out += RunReport.exampleStrip(
                test.proponents.map { ($0.index, Double($0.score)) }, set: data.train, prefix: "train")
            out += "<h4>Opponents</h4>"
            out += RunReport.exampleStrip(
                test.opponents.map { ($0.index, Double($0.score)) }, set: data.train, prefix: "train")
            out += "</div></div>"
        }
        if query.tests.count > count {
            out += "<p class=\"muted\">\(query.tests.count - count) more test examples in influence.json.</p>"
        }
        return out + "</section>\n"
    }

    func selfInfluenceSection(data: RunData) -> String {
        var out = RunReport.open("self-influence")
        guard let summary = influence?.selfInfluence else {
            return out
                + RunReport.missing(
                    "No self-influence yet.", command: "vaekit influence query --run \(run.path) --self")
                + "</section>\n"
        }
        out += "<p>Σ_c η_c ‖∇ℓ_c(x)‖² of all \(summary.count) training examples (mode "
        out += "<code>\(summary.mode.htmlEscaped)</code>); median \(cell(summary.median, decimals: 2)). "
        out += "High values flag unusual or hard examples, low values prototypical ones.</p>"
        if let analysis = summary.analysis {
            out +=
                SVGChart(
                    title: "Self-influence against training loss", xLabel: "−ELBO (nats)",
                    yLabel: "self-influence",
                    series: [
                        ChartSeries(
                            label: "training examples", points: analysis.points.map { ($0[0], $0[1]) },
                            dots: true)
                    ]
                ).svg
            out += String(
                format:
                    "<p>Spearman correlation with the training loss %.3f and with the latent norm ‖μ‖ %.3f "
                    + "over all %d training examples (%d plotted).", analysis.spearmanLoss,
                analysis.spearmanLatentNorm, summary.count, analysis.points.count)
            if let norm = analysis.meanProponentLatentNorm {
                out += String(
                    format:
                        " Top-10 proponents (%@) have mean ‖μ‖ %.2f against %.2f for all training examples.",
                    (analysis.proponentScore ?? "tracin").htmlEscaped, norm, analysis.meanLatentNorm)
            }
            out += "</p>"
        } else {
            out += RunReport.missing(
                "No self-influence analysis yet.",
                command: "vaekit experiment self-influence --run \(run.path)")
        }
        out += "<h3>Highest</h3>"
        out += RunReport.exampleStrip(
            summary.highest.prefix(10).map { ($0.index, Double($0.score)) }, set: data.train, prefix: "train")
        out += "<h3>Lowest</h3>"
        out += RunReport.exampleStrip(
            summary.lowest.prefix(10).map { ($0.index, Double($0.score)) }, set: data.train, prefix: "train")
        return out + "</section>\n"
    }

    func commandsSection() -> String {
        var out = RunReport.open("commands")
        out += "<p>Every command these results depend on, in order: those that wrote the data files "
        out += "and the background model (when they recorded it), those that wrote into this run folder, "
        out += "then this report's.</p><pre>"
        var lines: [String] = []
        if !prerequisites.isEmpty { lines += ["# data and background model"] + prerequisites }
        lines += ["# this run (commands.txt)"] + commands + ["vaekit report --run \(shellQuoted(run.path))"]
        out += lines.map(\.htmlEscaped).joined(separator: "\n")
        return out + "</pre></section>\n"
    }

    /// A bootstrap interval under its value, or nothing.
    static func interval(_ bounds: MetricInterval?) -> String {
        guard let bounds else { return "" }
        return "<br><span class=\"muted\">[\(cell(bounds.lower)), \(cell(bounds.upper))]</span>"
    }

    /// A row of example images with captions (index and score); an index outside `set` shows
    /// as text only.
    static func exampleStrip(_ items: [(Int, Double)], set: ImageDataset?, prefix: String) -> String {
        "<div class=\"strip\">"
            + items.map { index, score in
                exampleFigure(
                    set: set, index: index, caption: "\(prefix) #\(index) · \(cell(score, decimals: 2))")
            }.joined() + "</div>"
    }

    /// An example's image with its class name (when labelled) above `caption`.
    static func exampleFigure(set: ImageDataset?, index: Int, caption: String) -> String {
        var out = "<figure class=\"example\">"
        var name = ""
        if let set, index >= 0, index < set.count {
            out +=
                "<img alt=\"\(caption.htmlEscaped)\" src=\"data:image/png;base64,"
                + Data(set.png(index).encoded()).base64EncodedString() + "\">"
            if set.labels[index] >= 0 {
                name = "<span class=\"class-name\">\(set.className(set.labels[index]).htmlEscaped)</span><br>"
            }
        }
        return out + "<figcaption>\(name)\(caption.htmlEscaped)</figcaption></figure>"
    }

    static let style = """
        body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1180px;padding:0 18px 40px;color:#222}
        header{border-bottom:1px solid #ddd;margin-bottom:8px}h1{font-size:22px;margin:18px 0 4px}
        h2{font-size:18px;border-bottom:1px solid #eee;padding-top:12px}h3{font-size:15px;margin:16px 0 6px}
        h4{font-size:13px;margin:4px 0}nav a{color:#1f5fa8;text-decoration:none}.muted{color:#777}.warning{color:#8a4b00;background:#fff4e0;padding:4px 8px}
        table{border-collapse:collapse;margin:8px 0}th,td{border:1px solid #ddd;padding:3px 8px;text-align:left}
        table.metrics td{text-align:right;font-variant-numeric:tabular-nums}table.metrics td:first-child{text-align:left}tr.mean td{background:#f6f6f6}
        pre{background:#f7f7f7;padding:8px;overflow:auto;font-size:12px}code{font-size:12px}
        .charts{display:flex;flex-wrap:wrap;gap:10px}svg.chart{font-size:11px;background:#fff}
        .chart-title{font-weight:600;font-size:12px}.tick{fill:#555}.axis{fill:#333}.legend{fill:#333}
        img{image-rendering:pixelated}img.grid{max-width:100%;width:480px;border:1px solid #ddd}
        .strip{display:flex;flex-wrap:wrap;gap:6px}figure{margin:4px}figure.example{width:84px;text-align:center}
        figure.example img{width:56px;height:56px;border:1px solid #ccc}figcaption{font-size:11px;color:#555}.class-name{color:#222;font-weight:600}
        .influence{display:flex;gap:16px;border-top:1px dashed #ddd;padding:6px 0}.query figure.example img{width:84px;height:84px}
        .missing{background:#fff6e0;padding:6px 10px;border-left:3px solid #e0a000}
        """
}

extension ImageDataset {
    /// Example `index` as a PNG (gray for one channel, RGB for three; other counts show channel 0).
    func png(_ index: Int) -> PNGImage {
        let plane = height * width
        let start = index * imageSize
        if channels == 3 {
            var pixels = [UInt8](repeating: 0, count: plane * 3)
            for position in 0..<plane {
                for channel in 0..<3 {
                    pixels[position * 3 + channel] = images[start + channel * plane + position]
                }
            }
            return PNGImage(width: width, height: height, channels: 3, pixels: pixels)
        }
        return PNGImage(
            width: width, height: height, channels: 1, pixels: Array(images[start..<(start + plane)]))
    }
}
