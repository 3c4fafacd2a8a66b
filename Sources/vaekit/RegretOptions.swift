// The Likelihood Regret options shared by `vaekit ood` and `vaekit bench regret`.

import ArgumentParser
import OOD

/// The Likelihood Regret options of `vaekit ood` and `vaekit bench regret`.
struct RegretOptions: ParsableArguments {
    @Option(help: "Importance samples K of both IWAE estimates.")
    var iwaeSamples = 1000

    @Option(help: "Refit steps of Likelihood Regret.")
    var steps = 100

    @Option(help: "Test images refitted together on a rank (independent encoder copies).")
    var batchSize = RegretSettings().batchSize

    @Option(help: "Worker threads per rank, 1 BLAS thread each (default: 2 on one rank, 1 under mpirun).")
    var workers: Int?

    @Option(help: "Decoder rows per IWAE chunk over a batch (default: 200, or 50 for the 256-way decoder).")
    var decodedRows: Int?

    /// The settings, checked: K, refit steps, batch, and workers (default 2 on one rank, 1 under
    /// mpirun, where the ranks already fill the cores).
    func settings(ranks: Int) throws -> RegretSettings {
        guard iwaeSamples >= 1, steps >= 0, batchSize >= 1, (workers ?? 1) >= 1 else {
            throw ValidationError("--iwae-samples, --batch-size and --workers must be ≥ 1, --steps ≥ 0")
        }
        var settings = RegretSettings()
        settings.importanceSamples = iwaeSamples
        settings.chunk = min(100, iwaeSamples)
        settings.steps = steps
        settings.batchSize = batchSize
        settings.workers = workers ?? (ranks > 1 ? 1 : 2)
        if let decodedRows {
            guard decodedRows >= 1 else { throw ValidationError("--decoded-rows must be ≥ 1") }
            settings.decodedRowsPerChunk = decodedRows
        }
        return settings
    }
}
