// Writing the report files: report.json and report.html in the run folder, each atomically
// (temporary file, fsync, rename), so a reader never sees half a report.

import Foundation
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
        try AtomicFile.write(
            report.html(data: data, runPath: run.path, influenceTests: influenceTests), to: html)
        return (json, html)
    }
}
