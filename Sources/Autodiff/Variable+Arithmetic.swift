// Binary arithmetic with broadcasting, scalar arithmetic, and the broadcast/sum-to-shape pair
// that every broadcasting VJP reduces through.

import TensorCore

extension Variable {
    /// `a + b`, broadcasting (NumPy rules).
    public static func + (a: Variable, b: Variable) -> Variable {
        record(a.value + b.value, operation: "add", inputs: [a, b]) { g, x, _, needed in
            [
                needed[0] ? g.summed(toShape: x[0].shape) : nil,
                needed[1] ? g.summed(toShape: x[1].shape) : nil,
            ]
        }
    }

    /// `a − b`, broadcasting.
    public static func - (a: Variable, b: Variable) -> Variable {
        record(a.value - b.value, operation: "sub", inputs: [a, b]) { g, x, _, needed in
            [
                needed[0] ? g.summed(toShape: x[0].shape) : nil,
                needed[1] ? (-g).summed(toShape: x[1].shape) : nil,
            ]
        }
    }

    /// `a ⊙ b`, broadcasting.
    public static func * (a: Variable, b: Variable) -> Variable {
        record(a.value * b.value, operation: "mul", inputs: [a, b]) { g, x, _, needed in
            [
                needed[0] ? (g * x[1]).summed(toShape: x[0].shape) : nil,
                needed[1] ? (g * x[0]).summed(toShape: x[1].shape) : nil,
            ]
        }
    }

    /// `a / b`, broadcasting.
    public static func / (a: Variable, b: Variable) -> Variable {
        record(a.value / b.value, operation: "div", inputs: [a, b]) { g, x, _, needed in
            [
                needed[0] ? (g / x[1]).summed(toShape: x[0].shape) : nil,
                // ∂(a/b)/∂b = −a / b²
                needed[1] ? (-(g * x[0]) / (x[1] * x[1])).summed(toShape: x[1].shape) : nil,
            ]
        }
    }

    /// `−a`.
    public static prefix func - (a: Variable) -> Variable {
        record(-a.value, operation: "neg", inputs: [a]) { g, _, _, _ in [-g] }
    }

    /// `a · s` for a constant scalar `s`.
    public static func * (a: Variable, s: Float) -> Variable {
        record(a.value * s, operation: "scale", inputs: [a]) { g, _, _, _ in [g * s] }
    }

    /// `s · a` for a constant scalar `s`.
    public static func * (s: Float, a: Variable) -> Variable { a * s }

    /// `a / s` for a constant scalar `s`.
    public static func / (a: Variable, s: Float) -> Variable { a * (1 / s) }

    /// `a + s` for a constant scalar `s`.
    public static func + (a: Variable, s: Float) -> Variable {
        record(a.value + s, operation: "shift", inputs: [a]) { g, _, _, _ in [g] }
    }

    /// `s + a` for a constant scalar `s`.
    public static func + (s: Float, a: Variable) -> Variable { a + s }

    /// `a − s` for a constant scalar `s`.
    public static func - (a: Variable, s: Float) -> Variable { a + (-s) }

    /// `s − a` for a constant scalar `s`.
    public static func - (s: Float, a: Variable) -> Variable { (-a) + s }

    /// Repeats along broadcast axes to `shape`; the VJP sums them back.
    public func broadcast(to shape: [Int]) -> Variable {
        if self.shape == shape { return self }
        return Variable.record(value.broadcast(to: shape), operation: "broadcast", inputs: [self]) {
            g, x, _, _ in [g.summed(toShape: x[0].shape)]
        }
    }

    /// Sums broadcast axes away down to `shape`; the VJP broadcasts back.
    public func summed(toShape shape: [Int]) -> Variable {
        if self.shape == shape { return self }
        return Variable.record(value.sum(toShape: shape), operation: "sumToShape", inputs: [self]) {
            g, x, _, _ in [g.broadcast(to: x[0].shape)]
        }
    }
}
