// Elementwise functions. Each VJP multiplies the cotangent by the derivative written in
// Variable ops; masks of piecewise functions are constants (their derivative is 0 a.e.).

import TensorCore

extension Variable {
    /// Records an elementwise function whose VJP is `g ⊙ derivative(x, y)`.
    private func unary(
        _ name: String, _ value: Tensor, derivative: @escaping (Variable, Variable) -> Variable
    ) -> Variable {
        Variable.record(value, operation: name, inputs: [self]) { g, x, y, _ in
            [g * derivative(x[0], y)]
        }
    }

    /// `eˣ`; d/dx = y.
    public func exp() -> Variable { unary("exp", value.exp()) { _, y in y } }
    /// `log x`; d/dx = 1/x.
    public func log() -> Variable {
        Variable.record(value.log(), operation: "log", inputs: [self]) { g, x, _, _ in [g / x[0]] }
    }
    /// `log(1 + x)`; d/dx = 1/(1 + x).
    public func log1p() -> Variable {
        Variable.record(value.log1p(), operation: "log1p", inputs: [self]) { g, x, _, _ in
            [g / (x[0] + 1)]
        }
    }
    /// `√x`; d/dx = 1/(2y).
    public func sqrt() -> Variable {
        Variable.record(value.sqrt(), operation: "sqrt", inputs: [self]) { g, _, y, _ in
            [g / (y * 2)]
        }
    }
    /// `x²`; d/dx = 2x.
    public func squared() -> Variable { unary("square", value.squared()) { x, _ in x * 2 } }
    /// `|x|`; d/dx = sign(x).
    public func abs() -> Variable {
        unary("abs", value.abs()) { x, _ in Variable(x.value.sign()) }
    }
    /// `σ(x)`; d/dx = y(1 − y).
    public func sigmoid() -> Variable { unary("sigmoid", value.sigmoid()) { _, y in y * (1 - y) } }
    /// `log(1 + eˣ)`; d/dx = σ(x).
    public func softplus() -> Variable { unary("softplus", value.softplus()) { x, _ in x.sigmoid() } }
    /// `tanh x`; d/dx = 1 − y².
    public func tanh() -> Variable { unary("tanh", value.tanh()) { _, y in 1 - y * y } }
    /// `max(x, 0)`; d/dx = [x > 0].
    public func relu() -> Variable {
        Variable.record(value.relu(), operation: "relu", inputs: [self]) { g, x, _, _ in
            [g.gated(by: x[0].value)]
        }
    }
    /// `x` for `x > 0`, else `slope · x`; d/dx = 1 or slope.
    public func leakyRelu(slope: Float = 0.01) -> Variable {
        Variable.record(value.leakyRelu(slope: slope), operation: "leakyRelu", inputs: [self]) { g, x, _, _ in
            [g.gated(by: x[0].value, negativeValue: slope)]
        }
    }
    /// `x` for `x > 0`, else `α(eˣ − 1)`; d/dx = 1 for x > 0, else αeˣ.
    public func elu(alpha: Float = 1) -> Variable {
        unary("elu", value.elu(alpha: alpha)) { x, _ in
            let positive = Variable(x.value.positiveMask())
            let negative = Variable(x.value.positiveMask(negativeValue: 0) * -1 + 1)
            return positive + negative * x.exp() * alpha
        }
    }
}

extension Variable {
    /// `self` where `gate > 0`, else `negativeValue · self`: multiplication by a constant mask,
    /// fused into one pass. Linear in `self`, so its VJP is the same gate.
    public func gated(by gate: Tensor, negativeValue: Float = 0) -> Variable {
        Variable.record(
            value.gated(by: gate, negativeValue: negativeValue), operation: "gate", inputs: [self]
        ) {
            g, _, _, _ in [g.gated(by: gate, negativeValue: negativeValue)]
        }
    }
}
