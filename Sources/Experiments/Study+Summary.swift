// A study's summary: per quantity and setting, the values over seeds, their mean with a 95 %
// interval, and Welch's test against the baseline setting; `study.json` and the table of
// `study.txt`.

import Foundation
import Runs
import Storage

/// One quantity in one setting.
struct StudyCell: Codable, Sendable {
    var setting: String
    /// Per seed, in the order of `StudyResult.seeds`.
    var values: [Double]
    var summary: SampleSummary
    /// Against the baseline (nil for the baseline itself, or without two values on each side).
    var welch: WelchTest?
}

/// One measured quantity across the settings.
struct StudyQuantity: Codable, Sendable {
    var name: String
    var cells: [StudyCell]
}

/// `study.json`.
public struct StudyResult: Codable, Sendable, VersionedJSON {
    /// The format this build writes.
    public static let currentFormat = "vaekit-study-1"
    var format = Self.currentFormat
    var name: String
    var command: String
    var date: String
    var config: String
    var overrides: [String]
    var settings: [StudySetting]
    var seeds: [Int]
    var measureSettings: StudyMeasureSettings
    var quantities: [StudyQuantity]
    /// Mean training seconds per run of each setting (runs measured in this invocation).
    var trainingSeconds: [String: Double]

    init(study: Study, records: [StudyRun]) {
        name = study.name
        command = study.command
        date = timestampNow()
        config = study.configFile
        overrides = study.overrides
        settings = study.settings
        seeds = study.seeds
        measureSettings = study.measureSettings
        let names = Set(records.flatMap { $0.values.keys }).sorted()
        let baseline = study.settings[0].name
        func values(_ setting: String, _ name: String) -> [Double] {
            study.seeds.compactMap { seed in
                records.first { $0.setting == setting && $0.seed == seed }?.values[name]
            }
        }
        quantities = names.map { name in
            StudyQuantity(
                name: name,
                cells: study.settings.map { setting in
                    let own = values(setting.name, name)
                    return StudyCell(
                        setting: setting.name, values: own, summary: SampleSummary(own),
                        welch: setting.name == baseline ? nil : WelchTest(values(baseline, name), own))
                })
        }
        var seconds: [String: Double] = [:]
        for setting in study.settings {
            let times = records.filter { $0.setting == setting.name && $0.trainingSeconds > 0 }.map(
                \.trainingSeconds)
            if !times.isEmpty { seconds[setting.name] = times.reduce(0, +) / Double(times.count) }
        }
        trainingSeconds = seconds
    }

    /// The quantity `name`'s cell for `setting`.
    func cell(_ name: String, _ setting: String) -> StudyCell? {
        quantities.first { $0.name == name }?.cells.first { $0.setting == setting }
    }

    /// The human-readable summary: a header naming the command, date and design, then one block
    /// per quantity.
    public func table() -> String {
        var lines = [
            "\(command)",
            "\(date): study \(name), config \(config)\(overrides.isEmpty ? "" : " with \(overrides.joined(separator: " "))")",
            "seeds \(seeds.map(String.init).joined(separator: ", ")); settings (the first is the baseline):",
        ]
        for setting in settings {
            let time =
                trainingSeconds[setting.name].map { String(format: ", %.0f s of training per run", $0) } ?? ""
            lines.append("  \(setting.name): \(setting.overrides.joined(separator: " "))\(time)")
        }
        lines.append("mean ± 95 % interval over seeds (t, n − 1 df); Welch's t against \(settings[0].name)")
        lines.append("")
        let width = max(12, settings.map(\.name.count).max() ?? 0)
        let nameWidth = max(20, quantities.map(\.name.count).max() ?? 0) + 2
        let header =
            "quantity".padding(toLength: nameWidth, withPad: " ", startingAt: 0)
            + "setting".padding(toLength: width + 2, withPad: " ", startingAt: 0)
            + "mean ± interval".padding(toLength: 26, withPad: " ", startingAt: 0)
            + "n   difference      t(df)          p"
        lines.append(header)
        for quantity in quantities {
            for (index, cell) in quantity.cells.enumerated() {
                let label = index == 0 ? quantity.name : ""
                let s = cell.summary
                let mean =
                    s.count == 0
                    ? "—" : "\(number(s.mean))" + (s.interval95.map { " ± \(number($0))" } ?? "")
                var line =
                    label.padding(toLength: nameWidth, withPad: " ", startingAt: 0)
                    + cell.setting.padding(toLength: width + 2, withPad: " ", startingAt: 0)
                    + mean.padding(toLength: 26, withPad: " ", startingAt: 0) + "\(s.count)"
                if let w = cell.welch {
                    line +=
                        "   " + (w.difference >= 0 ? "+" : "") + number(w.difference)
                        + String(format: "   %.2f(%.1f)   %.2g", w.t, w.degreesOfFreedom, w.p)
                }
                lines.append(line)
            }
        }
        lines.append("")
        lines.append("per seed (\(seeds.map(String.init).joined(separator: ", "))):")
        for quantity in quantities {
            for (index, cell) in quantity.cells.enumerated() {
                lines.append(
                    (index == 0 ? quantity.name : "").padding(
                        toLength: nameWidth, withPad: " ", startingAt: 0)
                        + cell.setting.padding(toLength: width + 2, withPad: " ", startingAt: 0)
                        + cell.values.map(number).joined(separator: "  "))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Four significant digits, no exponent for ordinary magnitudes.
    private func number(_ value: Double) -> String {
        guard value.isFinite else { return "\(value)" }
        let magnitude = abs(value)
        if magnitude >= 1000 || magnitude == 0 { return String(format: "%.1f", value) }
        if magnitude < 1e-3 { return String(format: "%.2e", value) }
        let decimals = max(0, 3 - Int(floor(log10(magnitude))))
        return String(format: "%.\(decimals)f", value)
    }
}
