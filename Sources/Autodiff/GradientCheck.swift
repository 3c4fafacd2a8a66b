// Finite-difference checks of first and second derivatives, used by the test suite for every
// primitive and layer and available to users who write their own ops.
//
// A function f of several tensors, of any output shape, is checked through the scalar
// L(x) = Σ w ⊙ f(x) with fixed random weights w, so that every output element contributes
// with its own weight (a VJP that mixes up output positions fails).

import TensorCore

/// The outcome of a derivative check.
public struct DerivativeCheck: CustomStringConvertible {
    /// Largest `|analytic − numeric| / max(1, |analytic|, |numeric|)` over all elements.
    public var worstError: Float
    /// Where the worst error occurred, and the two values.
    public var worstLocation: String
    /// The tolerance applied.
    public var tolerance: Float
    /// Whether every element was within tolerance.
    public var passed: Bool { worstError <= tolerance }

    /// A one-line summary.
    public var description: String {
        "worst error \(worstError) (tolerance \(tolerance)) at \(worstLocation)"
    }
}

/// Weights w of the scalarization, fixed per output shape.
private func outputWeights(_ shape: [Int]) -> Tensor {
    Draws(seed: 0x5EED, .gradientCheck).generator(named: "output weights").uniform(shape) * 2 + (-1)
}

/// `Σ w ⊙ f(x)` accumulated in Double, for the numerical side.
private func scalarized(_ f: ([Variable]) -> Variable, _ inputs: [Tensor]) -> Double {
    let output = f(inputs.map { Variable($0) })
    let weights = outputWeights(output.shape)
    return output.value.withUnsafeBufferPointer { values in
        weights.withUnsafeBufferPointer { w in
            var total: Double = 0
            for index in 0..<values.count { total += Double(values[index]) * Double(w[index]) }
            return total
        }
    }
}

/// The analytic gradients of `Σ w ⊙ f(x)` with respect to every input.
private func analyticGradients(
    _ f: ([Variable]) -> Variable, _ inputs: [Variable], createGraph: Bool
) -> [Variable] {
    let output = f(inputs)
    let loss = (output * Variable(outputWeights(output.shape))).sum()
    return gradients(of: loss, wrt: inputs, createGraph: createGraph)
}

private func compare(
    _ analytic: [Tensor], _ numeric: [Tensor], tolerance: Float
) -> DerivativeCheck {
    var check = DerivativeCheck(worstError: 0, worstLocation: "nowhere", tolerance: tolerance)
    for (input, (a, n)) in zip(analytic, numeric).enumerated() {
        precondition(a.shape == n.shape, "gradient shape \(a.shape) vs \(n.shape)")
        for index in 0..<a.count {
            let (x, y) = (a[flat: index], n[flat: index])
            let error = Swift.abs(x - y) / Swift.max(1, Swift.abs(x), Swift.abs(y))
            if error > check.worstError || error.isNaN {
                check.worstError = error.isNaN ? .infinity : error
                check.worstLocation = "input \(input) element \(index): analytic \(x), numeric \(y)"
            }
        }
    }
    return check
}

/// Checks the gradient of `f` at `inputs` against central differences, element by element.
///
/// With Float32 and smooth functions of O(1) inputs, `epsilon = 1e-2` keeps both the
/// truncation error (O(ε²)) and the round-off (O(10⁻⁷/ε)) far below `tolerance = 1e-2`, while a
/// wrong factor of 2 or a dropped term of the same order produces errors near 1.
public func checkGradient(
    _ f: ([Variable]) -> Variable, at inputs: [Tensor], epsilon: Float = 1e-2,
    tolerance: Float = 1e-2
) -> DerivativeCheck {
    let analytic = analyticGradients(
        f, inputs.map { Variable($0, requiresGradient: true) }, createGraph: false
    ).map { $0.value }
    var numeric: [Tensor] = []
    for (position, input) in inputs.enumerated() {
        var gradient = Tensor.zeros(input.shape)
        for index in 0..<input.count {
            var plus = inputs
            var minus = inputs
            plus[position][flat: index] = input[flat: index] + epsilon
            minus[position][flat: index] = input[flat: index] - epsilon
            let difference = scalarized(f, plus) - scalarized(f, minus)
            gradient[flat: index] = Float(difference / (2 * Double(epsilon)))
        }
        numeric.append(gradient)
    }
    return compare(analytic, numeric, tolerance: tolerance)
}

/// Checks Hessian-vector products of `Σ w ⊙ f` at `inputs`: the gradient of ⟨∇L, v⟩ taken
/// through the recorded backward pass (`createGraph: true`) against
/// `(∇L(x + εv) − ∇L(x − εv)) / 2ε` for a random direction v over all inputs.
public func checkHessianVectorProduct(
    _ f: ([Variable]) -> Variable, at inputs: [Tensor], epsilon: Float = 1e-2,
    tolerance: Float = 1e-2
) -> DerivativeCheck {
    let directions = inputs.enumerated().map { position, input in
        Draws(seed: 0xD1EC, .gradientCheck).generator(position).uniform(input.shape) * 2 + (-1)
    }
    let variables = inputs.map { Variable($0, requiresGradient: true) }
    let firstOrder = analyticGradients(f, variables, createGraph: true)
    var projection: Variable?
    for (gradient, direction) in zip(firstOrder, directions) {
        let term = (gradient * Variable(direction)).sum()
        projection = projection.map { $0 + term } ?? term
    }
    guard let projection else {
        return DerivativeCheck(worstError: 0, worstLocation: "no inputs", tolerance: tolerance)
    }
    let analytic = gradients(of: projection, wrt: variables).map { $0.value }
    func gradientsAt(_ step: Float) -> [Tensor] {
        let shifted = zip(inputs, directions).map { $0 + $1 * step }
        return analyticGradients(
            f, shifted.map { Variable($0, requiresGradient: true) }, createGraph: false
        ).map { $0.value }
    }
    let plus = gradientsAt(epsilon)
    let minus = gradientsAt(-epsilon)
    let numeric = zip(plus, minus).map { ($0 - $1) * (1 / (2 * epsilon)) }
    return compare(analytic, numeric, tolerance: tolerance)
}
