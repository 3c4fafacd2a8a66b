// Reverse-mode accumulation over the graph below an output.

import TensorCore

/// The gradients of `output` with respect to each of `targets`.
///
/// Walks the graph in reverse topological order, pulling cotangents back only along paths that
/// reach a target. With `createGraph`, every VJP is recorded like a forward op, so the returned
/// gradients are differentiable functions of the graph's leaves (Hessian-vector products,
/// gradients through ∇ₓ log p). Targets may be intermediate variables: the gradient with
/// respect to a layer's output is how per-example capture gets its Δ.
///
/// - Parameters:
///   - output: the variable to differentiate; any shape.
///   - targets: the variables to differentiate with respect to.
///   - seed: ∂L/∂output; ones of the output's shape when `nil` (the gradient of the sum).
///   - createGraph: record the backward pass so that it can be differentiated.
///   - onFinal: called with a target's index and gradient as soon as no node left to visit can
///     add to it (for a network's parameters: last layers first), so that a caller can start
///     using gradients while the rest of the backward pass runs; every target exactly once.
///   - releasingGraph: drop each node's value, inputs and VJP as soon as its cotangent has been
///     pulled back (not with `createGraph`; targets and `output` are kept): the graph cannot be
///     differentiated again, and intermediate values read afterwards are empty. A training step
///     uses it to hold less memory at once.
///   - profile: receives each VJP's time under its op's name (`vaekit bench train --profile`).
/// - Returns: one gradient per target, with the target's shape (zeros when unreached).
public func gradients(
    of output: Variable, wrt targets: [Variable], seed: Tensor? = nil, createGraph: Bool = false,
    releasingGraph: Bool = false, onFinal: ((Int, Variable) -> Void)? = nil, profile: TimeProfile? = nil
) -> [Variable] {
    let releasing = releasingGraph && !createGraph
    let targetIDs = Set(targets.map { ObjectIdentifier($0) })
    let order = relevantNodes(below: output, reaching: targetIDs)
    // For `onFinal`: how many nodes still to visit consume each target.
    var consumers: [ObjectIdentifier: Int] = [:]
    var targetIndices: [ObjectIdentifier: [Int]] = [:]
    var emitted = [Bool](repeating: false, count: targets.count)
    if onFinal != nil {
        for (index, target) in targets.enumerated() {
            targetIndices[ObjectIdentifier(target), default: []].append(index)
        }
        for node in order.nodes {
            for id in Set(node.inputs.map { ObjectIdentifier($0) }) where targetIDs.contains(id) {
                consumers[id, default: 0] += 1
            }
        }
    }
    var cotangents: [ObjectIdentifier: Variable] = [:]
    if let seed {
        precondition(seed.shape == output.shape, "seed \(seed.shape) ≠ output \(output.shape)")
    }
    if order.relevant.contains(ObjectIdentifier(output)) {
        cotangents[ObjectIdentifier(output)] = Variable(seed ?? Tensor.ones(output.shape))
    }
    // Emits the targets among `node`'s inputs that no later node consumes.
    func visited(_ node: Variable) {
        guard let onFinal else { return }
        for id in Set(node.inputs.map { ObjectIdentifier($0) }) where targetIDs.contains(id) {
            consumers[id, default: 1] -= 1
            guard consumers[id] == 0 else { continue }
            for index in targetIndices[id] ?? [] where !emitted[index] {
                emitted[index] = true
                let gradient = cotangents[id] ?? Variable(Tensor.zeros(targets[index].shape))
                onFinal(index, createGraph ? gradient : gradient.detached())
            }
        }
    }
    for node in order.nodes.reversed() {
        let id = ObjectIdentifier(node)
        defer {
            visited(node)
            // Every consumer of `node` came before it in this order: nothing needs it now.
            if releasing && node !== output && !targetIDs.contains(id) { node.release() }
        }
        guard let pullback = node.pullback, let cotangent = cotangents[id] else { continue }
        if !targetIDs.contains(id) { cotangents[id] = nil }
        let needed = node.inputs.map { order.relevant.contains(ObjectIdentifier($0)) }
        if !needed.contains(true) { continue }
        let inputs = createGraph ? node.inputs : node.inputs.map { $0.detached() }
        let outputView = createGraph ? node : node.detached()
        let cotangentView = createGraph ? cotangent : cotangent.detached()
        let inputCotangents = TimeProfile.measure(node.operation, in: profile) {
            pullback(cotangentView, inputs, outputView, needed)
        }
        precondition(
            inputCotangents.count == node.inputs.count,
            "\(node.operation): pullback returned \(inputCotangents.count) cotangents")
        for (index, input) in node.inputs.enumerated() where needed[index] {
            guard let contribution = inputCotangents[index] else { continue }
            precondition(
                contribution.shape == input.shape,
                "\(node.operation): cotangent \(contribution.shape) for input \(input.shape)")
            let inputID = ObjectIdentifier(input)
            if let existing = cotangents[inputID] {
                cotangents[inputID] = existing + contribution
            } else {
                cotangents[inputID] = contribution
            }
        }
    }
    let results = targets.map { target in
        let gradient = cotangents[ObjectIdentifier(target)] ?? Variable(Tensor.zeros(target.shape))
        return createGraph ? gradient : gradient.detached()
    }
    if let onFinal {
        for index in targets.indices where !emitted[index] { onFinal(index, results[index]) }
    }
    return results
}

/// The gradients of `output` as plain tensors (no graph kept).
public func gradientTensors(of output: Variable, wrt targets: [Variable], seed: Tensor? = nil)
    -> [Tensor]
{
    gradients(of: output, wrt: targets, seed: seed).map { $0.value }
}

/// The graph nodes below `output` in topological order, and the set of nodes from which some
/// target is reachable (only their cotangents are needed).
private func relevantNodes(below output: Variable, reaching targets: Set<ObjectIdentifier>)
    -> (nodes: [Variable], relevant: Set<ObjectIdentifier>)
{
    var order: [Variable] = []
    var visited = Set<ObjectIdentifier>()
    var relevant = Set<ObjectIdentifier>()
    // Iterative post-order DFS: deep graphs (long training unrolls) never overflow the stack.
    var stack: [(node: Variable, nextInput: Int)] = []
    if output.requiresGradient {
        stack.append((output, 0))
        visited.insert(ObjectIdentifier(output))
    }
    while let top = stack.last {
        if top.nextInput < top.node.inputs.count {
            stack[stack.count - 1].nextInput += 1
            let input = top.node.inputs[top.nextInput]
            let id = ObjectIdentifier(input)
            if input.requiresGradient && !visited.contains(id) {
                visited.insert(id)
                stack.append((input, 0))
            }
        } else {
            stack.removeLast()
            let node = top.node
            let id = ObjectIdentifier(node)
            if targets.contains(id)
                || node.inputs.contains(where: { relevant.contains(ObjectIdentifier($0)) })
            {
                relevant.insert(id)
            }
            order.append(node)
        }
    }
    return (order, relevant)
}
