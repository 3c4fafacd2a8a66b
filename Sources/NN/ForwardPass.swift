// One forward pass over an arena: the parameters as graph leaves, and, on request, what each
// layer needs to hand out per-example gradients after one batched backward pass.

import Autodiff
import TensorCore

/// Binds an arena's parameters for one forward/backward pass.
///
/// ```swift
/// let pass = ForwardPass(arena: arena, capturePerExample: true)
/// let loss = model(x, pass).sum()          // a sum of per-example losses
/// let factors = pass.backward(loss)        // arena.gradients filled; factors per layer
/// ```
public final class ForwardPass {
    /// A layer's record for per-example capture.
    struct CaptureRecord {
        var layer: String
        /// A without the ones column: `[B, L, a]`.
        var inputs: Tensor
        /// The variable whose gradient is Δ; reshaped to `[B, L, d]` after backward.
        var output: Variable
        var positions: Int
        var layout: GradientFactor.Layout
        var weight: ParameterID?
        var bias: ParameterID?
        /// Whether the output's `[B, d, L]` layout must be permuted to `[B, L, d]`.
        var outputIsChannelsFirst: Bool
        /// The parameter column of each GEMM column (channels-last convs), nil for identity.
        var columnOrder: [Int]? = nil
    }

    /// The parameters.
    public let arena: ParameterArena
    /// Whether layers record per-example factors.
    public let capturePerExample: Bool
    /// Layouts derived from parameters that need no gradient (a frozen decoder's permuted
    /// weights), by parameter and layout: a pass reused over many steps derives them once.
    private var derivedConstants: [Int: [String: Variable]] = [:]

    /// `make(parameter id)`, remembered under `layout` while the parameter needs no gradient
    /// and is not overridden; recomputed on every call otherwise.
    public func derived(_ id: ParameterID, _ layout: String, _ make: (Variable) -> Variable) -> Variable {
        let parameter = parameters[id.index]
        if parameter.requiresGradient { return make(parameter) }
        if let known = derivedConstants[id.index]?[layout] { return known }
        let value = make(parameter)
        derivedConstants[id.index, default: [:]][layout] = value
        return value
    }

    /// Receives each layer's forward time when set (`Sequential` times its layers).
    public var profile: TimeProfile?
    /// Receives each VJP's time in `backward`, by op, when set.
    public var backwardProfile: TimeProfile?
    private var parameters: [Variable]
    private(set) var records: [CaptureRecord] = []

    /// Binds `arena`; parameters require gradients when `trainable`.
    public init(arena: ParameterArena, trainable: Bool = true, capturePerExample: Bool = false) {
        self.arena = arena
        self.capturePerExample = capturePerExample
        parameters = arena.entries.indices.map {
            Variable(arena.value(ParameterID(index: $0)), requiresGradient: trainable)
        }
    }

    /// The variable of parameter `id`.
    public subscript(_ id: ParameterID) -> Variable { parameters[id.index] }

    /// Uses `variable` for parameter `id` in this pass. A variable with one more leading axis
    /// `[B] + shape` gives every example of the batch its own copy of the parameter (Linear and
    /// channels-last Conv2d then use batched products): a batch of independent models.
    public func override(_ id: ParameterID, with variable: Variable) {
        let shape = arena.entries[id.index].shape
        precondition(
            variable.shape == shape || Array(variable.shape.dropFirst()) == shape,
            "override of \(arena.entries[id.index].name): \(variable.shape) for \(shape)")
        parameters[id.index] = variable
        derivedConstants[id.index] = nil
    }

    /// Uses `variable`, `[B, Cout, k, k, Cin]`, as per-example copies of the convolution weight
    /// `id` (`[Cout, Cin, k, k]`) already in the channels-last kernel-row layout: the layer skips
    /// its permute (and the permute's backward), which dominate small per-example convolutions.
    public func override(_ id: ParameterID, withKernelRows variable: Variable) {
        let shape = arena.entries[id.index].shape
        precondition(
            shape.count == 4
                && variable.shape == [variable.shape[0], shape[0], shape[2], shape[3], shape[1]],
            "kernel-row override of \(arena.entries[id.index].name): \(variable.shape) for \(shape)")
        parameters[id.index] = variable
        derivedConstants[id.index] = nil
        kernelRowOverrides.insert(id.index)
    }

    /// Parameters overridden in the kernel-row layout.
    private(set) var kernelRowOverrides: Set<Int> = []

    /// Every parameter variable, in arena order.
    public var parameterVariables: [Variable] { parameters }

    func record(_ record: CaptureRecord) {
        if capturePerExample { records.append(record) }
    }

    /// Backpropagates `loss` (any shape; `seed` is its cotangent, ones by default), writes
    /// every parameter's gradient into `arena.gradients` (or into `destination`, a buffer laid
    /// out like the arena), and returns the per-example factors of each capturing layer (empty
    /// unless `capturePerExample`).
    @discardableResult
    /// `onParameter(i)` is called as soon as parameter `i`'s gradient (arena entry `i`) is in
    /// `destination` and final — the last layers' first — so that a caller can start reducing
    /// them while the backward pass goes on.
    public func backward(
        _ loss: Variable, seed: Tensor? = nil, into destination: TensorStorage? = nil,
        onParameter: ((Int) -> Void)? = nil, releasingGraph: Bool = false
    ) -> [GradientFactor] {
        let target = destination ?? arena.gradients
        precondition(
            target.count == arena.count, "gradient buffer of \(target.count) for an arena of \(arena.count)")
        let captured = records.map { $0.output }
        let store = { (index: Int, gradient: Variable) in
            let offset = self.arena.entries[index].offset
            gradient.value.withUnsafeBufferPointer { source in
                if let base = source.baseAddress {
                    (target.pointer + offset).update(from: base, count: source.count)
                }
            }
        }
        let count = parameters.count
        let all = gradients(
            of: loss, wrt: parameters + captured, seed: seed, releasingGraph: releasingGraph,
            onFinal: onParameter.map { notify in
                { index, gradient in
                    guard index < count else { return }
                    store(index, gradient)
                    notify(index)
                }
            }, profile: backwardProfile)
        if onParameter == nil {
            for (index, gradient) in all.prefix(count).enumerated() { store(index, gradient) }
        }
        return zip(records, all.suffix(captured.count)).map { record, gradient in
            factor(record, outputGradient: gradient.value)
        }
    }

    /// Backpropagates `loss` only as far as the capturing layers need and returns their
    /// per-example factors, without forming parameter gradients (no weight-gradient GEMMs).
    public func captureFactors(of loss: Variable) -> [GradientFactor] {
        precondition(capturePerExample, "captureFactors needs a pass created with capturePerExample: true")
        let captured = records.map { $0.output }
        let outputGradients = gradients(of: loss, wrt: captured)
        return zip(records, outputGradients).map { record, gradient in
            factor(record, outputGradient: gradient.value)
        }
    }

    private func factor(_ record: CaptureRecord, outputGradient: Tensor) -> GradientFactor {
        let batch = record.inputs.shape[0]
        var delta: Tensor
        if record.outputIsChannelsFirst {
            let channels = outputGradient.count / (batch * record.positions)
            delta = outputGradient.reshaped(to: [batch, channels, record.positions])
                .permuted([0, 2, 1])
        } else {
            delta = outputGradient.reshaped(to: [
                batch, record.positions, outputGradient.count / (batch * record.positions),
            ])
        }
        var inputs = record.inputs
        if record.bias != nil {
            // The bias is a weight on a constant-1 input: append that column to A.
            inputs = Tensor.concatenate(
                [inputs, Tensor.ones([batch, record.positions, 1])], alongAxis: 2)
        }
        delta = delta.copied()
        var factor = GradientFactor(
            layer: record.layer, inputs: inputs, outputGradients: delta, layout: record.layout,
            weightIndex: record.weight?.index, biasIndex: record.bias?.index)
        factor.columnOrder = record.columnOrder
        return factor
    }

    /// Dense per-example gradients rebuilt from factors, in arena layout: `[B, count]`.
    ///
    /// Parameters that no factor covers are left at zero.
    public func denseGradients(from factors: [GradientFactor]) -> Tensor {
        guard let batch = factors.first?.exampleCount else { return Tensor.zeros([0, arena.count]) }
        var dense = Tensor.zeros([batch, arena.count])
        dense.withUnsafeMutableBufferPointer { out in
            for factor in factors {
                let matrices = factor.gradientMatrices()
                let (rows, columns) = (matrices.shape[1], matrices.shape[2])
                matrices.withUnsafeBufferPointer { source in
                    for b in 0..<batch {
                        let base = b * arena.count
                        let matrix = b * rows * columns
                        let weightColumns = factor.biasIndex == nil ? columns : columns - 1
                        if let weight = factor.weightIndex {
                            let offset = arena.entries[weight].offset
                            let order = factor.columnOrder ?? Array(0..<weightColumns)
                            for r in 0..<rows {
                                for c in 0..<weightColumns {
                                    out[base + offset + r * weightColumns + order[c]] =
                                        source[matrix + r * columns + c]
                                }
                            }
                        }
                        if let bias = factor.biasIndex {
                            let offset = arena.entries[bias].offset
                            for r in 0..<rows {
                                out[base + offset + r] = source[matrix + r * columns + columns - 1]
                            }
                        }
                    }
                }
            }
        }
        return dense
    }
}
