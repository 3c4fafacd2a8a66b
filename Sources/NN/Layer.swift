// Layers are values that know their parameters' places in an arena; a `ForwardPass` supplies
// the parameter variables at call time.

import Autodiff

/// A differentiable function of an input and of parameters held in an arena.
public protocol Layer {
    /// Applies the layer.
    func callAsFunction(_ input: Variable, _ pass: ForwardPass) -> Variable
    /// The layer's name in a profile; nil for a parameter-free layer, which is named after the
    /// layer before it.
    var profileName: String? { get }
}

extension Layer {
    /// Parameter-free layers have no name of their own.
    public var profileName: String? { nil }
}

/// Layers applied one after another.
public struct Sequential: Layer {
    /// The layers, in order.
    public var layers: [any Layer]

    /// A chain of `layers`.
    public init(_ layers: [any Layer]) { self.layers = layers }

    /// Applies every layer in order, timing each when `pass` carries a profile.
    public func callAsFunction(_ input: Variable, _ pass: ForwardPass) -> Variable {
        guard let profile = pass.profile else { return layers.reduce(input) { x, layer in layer(x, pass) } }
        let clock = ContinuousClock()
        var x = input
        var previous = "input"
        for layer in layers {
            let start = clock.now
            x = layer(x, pass)
            let kind =
                (layer as? Activation).map { "\($0)" } ?? String(describing: type(of: layer)).lowercased()
            let name = layer.profileName ?? "\(kind) after \(previous)"
            profile.add(name, clock.now - start)
            if let own = layer.profileName { previous = own }
        }
        return x
    }
}

/// A parameter-free elementwise nonlinearity.
public enum Activation: Layer, Sendable, Equatable {
    case relu
    case leakyRelu(slope: Float)
    case elu(alpha: Float)
    case tanh
    case sigmoid
    case softplus
    case identity

    /// Applies the nonlinearity.
    public func callAsFunction(_ input: Variable, _ pass: ForwardPass) -> Variable {
        apply(input)
    }

    /// Applies the nonlinearity without a pass.
    public func apply(_ input: Variable) -> Variable {
        switch self {
        case .relu: return input.relu()
        case .leakyRelu(let slope): return input.leakyRelu(slope: slope)
        case .elu(let alpha): return input.elu(alpha: alpha)
        case .tanh: return input.tanh()
        case .sigmoid: return input.sigmoid()
        case .softplus: return input.softplus()
        case .identity: return input
        }
    }
}

/// Reshapes every example: `[B, …] → [B] + shape`.
public struct Reshape: Layer {
    /// The per-example shape after the layer.
    public var shape: [Int]

    /// A reshape to `[B] + shape`.
    public init(_ shape: [Int]) { self.shape = shape }

    /// Applies the reshape.
    public func callAsFunction(_ input: Variable, _ pass: ForwardPass) -> Variable {
        input.reshaped(to: [input.shape[0]] + shape)
    }
}

/// `[B, C, H, W] → [B, H, W, C]` (a reshape when C = 1).
public struct ChannelsLast: Layer {
    /// The layout change.
    public init() {}

    /// Applies the layout change.
    public func callAsFunction(_ input: Variable, _ pass: ForwardPass) -> Variable {
        let s = input.shape
        return s[1] == 1 ? input.reshaped(to: [s[0], s[2], s[3], 1]) : input.permuted([0, 2, 3, 1])
    }
}

/// `[B, H, W, C] → [B, C, H, W]` (a reshape when C = 1).
public struct ChannelsFirst: Layer {
    /// The layout change.
    public init() {}

    /// Applies the layout change.
    public func callAsFunction(_ input: Variable, _ pass: ForwardPass) -> Variable {
        let s = input.shape
        return s[3] == 1 ? input.reshaped(to: [s[0], 1, s[1], s[2]]) : input.permuted([0, 3, 1, 2])
    }
}
