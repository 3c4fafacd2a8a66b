// All parameters of a model in one contiguous buffer and all gradients in another (llm.c's
// layout): a data-parallel step all-reduces one buffer, an optimizer is one flat loop, and a
// checkpoint is a list of named views.

import TensorCore

/// The position of a parameter in its arena.
public struct ParameterID: Hashable, Sendable {
    /// Index into `ParameterArena.entries`.
    public var index: Int

    /// The parameter at `index` of an arena's entries.
    public init(index: Int) { self.index = index }
}

/// Collects parameters while a model is built, then lays them out in one arena.
public struct ParameterArenaBuilder {
    /// The seed that initializers key their draws with (together with each parameter's name).
    public var seed: UInt64
    private(set) var names: [String] = []
    private(set) var initialValues: [Tensor] = []
    /// Elements registered so far.
    public private(set) var parameterCount = 0
    /// Whether initializers draw values; a counting builder only records sizes.
    let drawsValues: Bool

    /// A builder whose initializers draw from `seed`.
    public init(seed: UInt64) {
        self.seed = seed
        drawsValues = true
    }

    /// A builder that counts the parameters a model registers without drawing them; it cannot
    /// build an arena.
    public static func counting() -> ParameterArenaBuilder { ParameterArenaBuilder(counting: ()) }

    private init(counting: Void) {
        seed = 0
        drawsValues = false
    }

    /// Adds a parameter named `name` (a dotted path, e.g. `encoder.fc1.weight`).
    public mutating func register(_ name: String, _ initialValue: Tensor) -> ParameterID {
        precondition(!names.contains(name), "parameter \(name) registered twice")
        names.append(name)
        parameterCount += initialValue.count
        if drawsValues { initialValues.append(initialValue) }
        return ParameterID(index: names.count - 1)
    }

    /// Adds a parameter drawn by `initializer` for a layer with `fanIn` inputs.
    public mutating func register(
        _ name: String, shape: [Int], initializer: Initializer, fanIn: Int
    ) -> ParameterID {
        guard drawsValues else {
            names.append(name)
            parameterCount += shape.reduce(1, *)
            return ParameterID(index: names.count - 1)
        }
        return register(name, initializer.draw(shape: shape, fanIn: fanIn, seed: seed, name: name))
    }

    /// The arena holding every registered parameter, in registration order.
    public func build() -> ParameterArena {
        precondition(drawsValues, "a counting builder has no values to build an arena from")
        return ParameterArena(names: names, initialValues: initialValues)
    }
}

/// Named views into one flat parameter buffer and one flat gradient buffer.
public final class ParameterArena {
    /// One parameter's place in the flat buffers.
    public struct Entry: Sendable {
        /// Dotted path, e.g. `decoder.fc2.bias`.
        public var name: String
        /// Shape of the view.
        public var shape: [Int]
        /// First element in the flat buffers.
        public var offset: Int
        /// Element count.
        public var count: Int
    }

    /// Every parameter, in layout order.
    public let entries: [Entry]
    /// All parameter values, `[count]`; views of it are updated in place by optimizers.
    public let values: TensorStorage
    /// All gradients, `[count]`, written by `ForwardPass.backward`.
    public let gradients: TensorStorage

    init(names: [String], initialValues: [Tensor]) {
        var entries: [Entry] = []
        var offset = 0
        for (name, value) in zip(names, initialValues) {
            entries.append(Entry(name: name, shape: value.shape, offset: offset, count: value.count))
            offset += value.count
        }
        self.entries = entries
        values = TensorStorage(count: offset, repeating: 0)
        gradients = TensorStorage(count: offset, repeating: 0)
        for (entry, value) in zip(entries, initialValues) {
            value.withUnsafeBufferPointer { source in
                if let base = source.baseAddress {
                    (values.pointer + entry.offset).update(from: base, count: entry.count)
                }
            }
        }
    }

    /// Total number of scalar parameters.
    public var count: Int { values.count }

    /// The parameter's value, a view that sees every update.
    public func value(_ id: ParameterID) -> Tensor {
        let entry = entries[id.index]
        return Tensor(viewing: values, offset: entry.offset, shape: entry.shape)
    }

    /// The parameter's gradient, a view.
    public func gradient(_ id: ParameterID) -> Tensor {
        let entry = entries[id.index]
        return Tensor(viewing: gradients, offset: entry.offset, shape: entry.shape)
    }

    /// The parameter called `name`, if any.
    public func id(named name: String) -> ParameterID? {
        entries.firstIndex { $0.name == name }.map { ParameterID(index: $0) }
    }

    /// All values as one `[count]` tensor (a copy).
    public func flatValues() -> Tensor {
        Tensor(viewing: values, offset: 0, shape: [count]).copied()
    }

    /// All gradients as one `[count]` tensor (a copy).
    public func flatGradients() -> Tensor {
        Tensor(viewing: gradients, offset: 0, shape: [count]).copied()
    }

    /// Overwrites every value from a `[count]` tensor.
    public func load(flatValues source: Tensor) {
        precondition(source.count == count, "\(source.count) values for an arena of \(count)")
        source.withUnsafeBufferPointer { buffer in
            if let base = buffer.baseAddress { values.pointer.update(from: base, count: count) }
        }
    }

    /// Sets every gradient to zero.
    public func zeroGradients() {
        gradients.pointer.update(repeating: 0, count: count)
    }
}

extension ParameterArena {
    /// `gradients = Σ buffers`: the in-process workers' gradient buffers (`[count]` each) summed
    /// into the arena before the all-reduce and the optimizer step.
    public func sumGradients(of buffers: [TensorStorage]) {
        let target = SharedPointer(gradients.pointer)
        let sources = UncheckedBox(buffers.map(\.pointer))
        parallelFor(count) { range in
            FlatKernels.sum(sources.value, into: target.base, range: range)
        }
    }
}
