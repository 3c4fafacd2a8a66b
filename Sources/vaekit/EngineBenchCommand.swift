// `vaekit bench engine`: Linear forward+backward through the engine next to raw sgemm.

import ArgumentParser
import TensorCore

struct EngineBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "engine",
        abstract: "Linear forward+backward through the engine next to raw sgemm on the same shapes.")

    @Option(help: "OpenBLAS threads.")
    var threads = 2

    @Option(help: "Timed repetitions per trial.")
    var iterations = 200

    @Option(help: "Trials; the median is reported.")
    var trials = 7

    @Option(help: "Batch size.")
    var batch = 128

    @Flag(help: "Keep glibc's default mmap thresholds (to measure what the allocator setting buys).")
    var defaultAllocator = false

    mutating func validate() throws {
        guard threads >= 1, iterations >= 1, trials >= 1, batch >= 1 else {
            throw ValidationError("--threads, --iterations, --trials and --batch must be ≥ 1")
        }
    }

    func run() throws {
        if !defaultAllocator { configureAllocatorForTensors() }
        setBLASThreadCount(threads)
        print("engine benchmark: Linear forward+backward (y = xWᵀ + b; dX, dW, db), batch \(batch),")
        print("\(blasThreadCount()) BLAS thread(s), median of \(trials) trials × \(iterations) iterations")
        print("shape            raw sgemm GFLOP/s   engine GFLOP/s   engine/raw")
        var ratios: [Double] = []
        for (inputs, outputs) in [(784, 512), (512, 512)] {
            let result = EngineBenchmark(
                batch: batch, inputCount: inputs, outputCount: outputs, iterations: iterations,
                trials: trials
            ).run()
            ratios.append(result.ratio)
            let label = "\(batch)×\(inputs)→\(outputs)"
            print(
                label.padding(17) + format(result.rawGFLOPS).padding(20)
                    + format(result.engineGFLOPS).padding(17) + format(result.ratio * 100) + "%")
        }
        print("minimum engine/raw ratio: \(format(ratios.min().map { $0 * 100 } ?? 0))%")
    }
}

func format(_ value: Double) -> String {
    let scaled = (value * 10).rounded() / 10
    return "\(scaled)"
}

extension String {
    func padding(_ width: Int) -> String {
        count >= width ? self + " " : self + String(repeating: " ", count: width - count)
    }
}
