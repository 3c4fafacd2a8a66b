// Writing the report files: report.json and report.html in the run folder, each atomically
// (temporary file, fsync, rename), so a reader never sees half a report.

import Datasets
import Foundation
import OOD
import Runs
import Storage

extension RunReport {
    /// Assembles the report of `run` and writes `report.json` and `report.html` into it;
    /// returns the HTML file's path.
    @discardableResult
    public static func write(_ run: RunDirectory, influenceTests: Int = 6) throws -> (
        json: String, html: String
    ) {
        // The run is opened once: its facts and its example images come from the same datasets.
        let loaded = try LoadedRun(run, checkpoint: .none)
        let data = loaded.data
        let report = try assemble(loaded)
        let json = "\(run.path)/report.json"
        let html = "\(run.path)/report.html"
        try AtomicFile.writeJSON(report, to: json)
        // The scored sets' images, for the verdicts (a set that no longer resolves shows captions only).
        var images: [String: ImageDataset] = [:]
        if let ood = report.ood?.scores {
            let count = ood.order.compactMap { ood.scores[$0]?.count }.max() ?? 0
            for name in ood.order {
                images[name] = try? OODSets.resolve(
                    name, config: loaded.config, test: data.test, count: count)
                if let set = images[name],
                    let bad = ood.scores[name]?.first(where: { !(0..<set.count).contains($0.index) })
                {
                    throw StorageError.invalid(
                        path: "\(run.path)/ood.json",
                        reason: "\(name) #\(bad.index) does not exist: the set has \(set.count) images "
                            + "(the file is from other data, or was edited)")
                }
            }
        }
        try AtomicFile.write(
            report.html(data: data, runPath: run.path, influenceTests: influenceTests, oodImages: images),
            to: html)
        return (json, html)
    }
}
