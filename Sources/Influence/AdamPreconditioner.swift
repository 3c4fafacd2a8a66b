// TracIn for Adam-trained runs: the parameter step Adam actually took was P g with
// P = 1/(√v̂ + ε), v̂ = exp_avg_sq / (1 − β₂ᵗ) of the checkpoint, so the score becomes
// ⟨g_z, P g_x⟩ = ⟨√P g_z, √P g_x⟩ — both sides scaled by √P. Dense gradients are scaled exactly.
// Factored gradients G = Δᵀ A (and their projections) keep their form only under a rank-1
// scaling, so each layer's P over its weight matrix (with the bias as a last column) is replaced
// by Adafactor's factored second moment: v̂_rc ≈ R_r C_c / S with R, C the row and column sums
// and S their total, giving √P̃_rc = S^¼ R_r^−¼ · C_c^−¼, a row scale on one factor and a column
// scale on the other.

import Autodiff
import Foundation
import NN
import Runs
import Storage
import TensorCore

/// Adam's preconditioner at one checkpoint.
public struct AdamPreconditioner: Sendable {
    /// v̂, bias-corrected, in arena order.
    let secondMoment: [Float]
    let epsilon: Float

    /// From the checkpoint's `exp_avg_sq` (`[P]`, arena order) after `step` Adam steps.
    public init(exponentialAverage: [Float], step: Int, beta2: Float = 0.999, epsilon: Float = 1e-8) {
        let correction = 1 - powf(beta2, Float(max(step, 1)))
        secondMoment = exponentialAverage.map { max($0, 0) / correction }
        self.epsilon = epsilon
    }

    /// √P of every parameter: `1/√(√v̂ + ε)`.
    func rootScale(_ index: Int) -> Float { 1 / (secondMoment[index].squareRoot() + epsilon).squareRoot() }

    /// Dense gradients `[n, P]` scaled exactly by √P.
    func scale(dense vectors: Tensor) -> Tensor {
        let count = secondMoment.count
        let roots = (0..<count).map(rootScale)
        return Tensor(shape: vectors.shape) { out in
            vectors.withUnsafeBufferPointer { source in
                for index in 0..<source.count { out[index] = source[index] * roots[index % count] }
            }
        }
    }

    /// The row and column scales of a factor's gradient matrix (`[rows, columns]` as its layout
    /// forms it): the rank-1 √P̃ of its parameters.
    func scales(_ factor: GradientFactor, arena: ParameterArena) -> (rows: [Float], columns: [Float]) {
        let (a, d) = (factor.inputs.shape[2], factor.outputGradients.shape[2])
        let (rows, columns) = factor.layout == .outputByInput ? (d, a) : (a, d)
        let weightColumns = factor.biasIndex == nil ? columns : columns - 1
        let order = factor.columnOrder ?? Array(0..<weightColumns)
        var rowSums = [Double](repeating: 0, count: rows)
        var columnSums = [Double](repeating: 0, count: columns)
        let floor = Double(epsilon * epsilon)
        for r in 0..<rows {
            for c in 0..<columns {
                var value = floor
                if c < weightColumns, let weight = factor.weightIndex {
                    value += Double(secondMoment[arena.entries[weight].offset + r * weightColumns + order[c]])
                } else if let bias = factor.biasIndex {
                    value += Double(secondMoment[arena.entries[bias].offset + r])
                }
                rowSums[r] += value
                columnSums[c] += value
            }
        }
        let total = rowSums.reduce(0, +)
        return (
            rowSums.map { Float(Foundation.pow(total / $0, 0.25)) },
            columnSums.map { Float(Foundation.pow($0, -0.25)) }
        )
    }

    /// The factor with √P̃ applied: Δ's and A's columns scaled by its layer's row and column
    /// scales (from `scales`).
    func scale(_ factor: GradientFactor, scales: (rows: [Float], columns: [Float])) -> GradientFactor {
        let (rowScale, columnScale) = scales
        let (inputScale, outputScale) =
            factor.layout == .outputByInput ? (columnScale, rowScale) : (rowScale, columnScale)
        var scaled = factor
        scaled.inputs = factor.inputs * Tensor(shape: [1, 1, inputScale.count], scalars: inputScale)
        scaled.outputGradients =
            factor.outputGradients * Tensor(shape: [1, 1, outputScale.count], scalars: outputScale)
        return scaled
    }
}

extension LoadedRun {
    /// Loads checkpoint `step` — with Adam's state when `kind` is `adam` — and returns the
    /// preconditioner of its gradients (nil for `none`).
    public func preconditioner(_ kind: InfluencePreconditioner, step: Int) throws -> AdamPreconditioner? {
        guard kind == .adam else {
            try load(.step(step))
            return nil
        }
        guard config.training.optimizer == .adam else {
            throw ConfigError.mismatch(
                "--preconditioner adam: \(directory.path) was trained with \(config.training.optimizer.rawValue), not adam"
            )
        }
        let adam = Adam()
        try load(.step(step), optimizer: adam)
        let count = try model.arena.count
        guard let moments = adam.slots["exp_avg_sq"] else {
            throw StorageError.invalid(
                path: checkpointPath ?? directory.path,
                reason: "no Adam state /optimizer/*/exp_avg_sq to precondition with")
        }
        return AdamPreconditioner(
            exponentialAverage: Array(UnsafeBufferPointer(start: moments.pointer, count: count)),
            step: adam.stepCount)
    }
}
