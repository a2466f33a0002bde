/// Reverse-mode differentiation over the graph of `Variable`s.
///
/// One topological sort (iterative DFS, inputs before outputs) per call; pullbacks run in reverse order and only for
/// nodes that lead to a requested target. Gradients are accumulated in place when the accumulator is a tensor the
/// pass allocated itself (never one an op may still hold), and with differentiable `+` when `createGraph`.

/// Adds `gradient` to `v`'s accumulated gradient during a backward pass (called by pullbacks).
@inlinable
public func accumulate(into v: Variable, _ gradient: Variable) {
    guard v._needed else { return }
    assert(gradient.shape == v.shape || gradient.count == v.count,
           "accumulate: gradient \(gradient.shape) for a variable of shape \(v.shape)")
    guard let existing = v._grad else {
        v._grad = gradient
        v._gradOwned = false
        return
    }
    if GradMode.isEnabled && (existing.requiresGrad || gradient.requiresGrad) {
        v._grad = existing + gradient
        v._gradOwned = false
    } else if v._gradOwned {
        VectorMath.axpy(1, gradient.value.pointer, existing.value.pointer, count: existing.count)
    } else {
        let sum = Tensor(uninitializedShape: v.shape)
        VectorMath.zip(existing.value.pointer, gradient.value.pointer, sum.pointer, count: sum.count) { $0 + $1 }
        v._grad = Variable(sum)
        v._gradOwned = true
    }
}

/// `accumulate(into:_:)` for a gradient tensor the pullback has just allocated and hands over (it keeps no
/// reference): the first contribution is adopted as the accumulator, so a later one is added in place, and when an
/// accumulator another op may hold is already there, it is added into `fresh`, which then becomes the accumulator —
/// no new tensor either way (a fused kernel's [B, H_w, N, N] link gradient meets the next step's in place).
public func accumulate(into v: Variable, fresh gradient: Tensor) {
    guard v._needed else { return }
    precondition(gradient.count == v.count, "accumulate: gradient \(gradient.shape) for a variable of shape \(v.shape)")
    guard let existing = v._grad else {
        v._grad = Variable(gradient)
        v._gradOwned = true
        return
    }
    if GradMode.isEnabled && existing.requiresGrad {
        accumulate(into: v, Variable(gradient))
    } else if v._gradOwned {
        VectorMath.axpy(1, gradient.pointer, existing.value.pointer, count: existing.count)
    } else {
        VectorMath.axpy(1, existing.value.pointer, gradient.pointer, count: gradient.count)
        v._grad = Variable(gradient)
        v._gradOwned = true
    }
}

/// Nodes reachable from `root` through inputs that require grad, inputs before outputs.
@usableFromInline
func topologicalOrder(_ root: Variable) -> [Variable] {
    var order: [Variable] = []
    // An explicit DFS stack (no recursion limit): the node and the index of its next input to visit.
    var nodes: [Variable] = [root]
    var next: [Int] = [0]
    root._visited = true
    while let node = nodes.last {
        let i = next[next.count - 1]
        if i < node.inputCount {
            next[next.count - 1] = i + 1
            let child = node.input(i)
            if child.requiresGrad && !child._visited {
                child._visited = true
                nodes.append(child)
                next.append(0)
            }
        } else {
            order.append(node)
            nodes.removeLast()
            next.removeLast()
        }
    }
    return order
}

/// Runs the backward pass from `root` (seeded with `seed`, ones by default) and returns the gradients of `targets`
/// (zeros for a target that `root` does not depend on).
@usableFromInline
func runBackward(_ root: Variable, seed: Variable?, targets: [Variable], createGraph: Bool) -> [Variable] {
    precondition(seed == nil || seed!.count == root.count, "gradients: seed of shape \(seed!.shape) for output \(root.shape)")
    guard root.requiresGrad else { return targets.map { Variable(Tensor(shape: $0.shape)) } }
    for t in targets { t._isTarget = true }
    let order = topologicalOrder(root)
    for node in order {
        var needed = node._isTarget
        if !needed { for i in 0..<node.inputCount where node.input(i)._needed { needed = true; break } }
        node._needed = needed
    }
    let old = GradMode.set(createGraph)
    root._grad = seed ?? Variable(Tensor(shape: root.shape, repeating: 1))
    for node in order.reversed() where node._needed {
        guard let g = node._grad else { continue }
        if let pb = node.pullback { pb(g, node) }
        if !node._isTarget { node._grad = nil }
    }
    GradMode.set(old)
    let result = targets.map { t in t._grad ?? Variable(Tensor(shape: t.shape)) }
    for node in order {
        node._grad = nil; node._gradOwned = false; node._visited = false; node._needed = false; node._isTarget = false
    }
    for t in targets { t._grad = nil; t._isTarget = false; t._needed = false; t._visited = false }
    return result
}

/// ∂y/∂xᵢ for each `xs[i]` (PyTorch's `torch.autograd.grad(y, xs, grad_outputs=seed, create_graph=…)`).
///
/// - `y`: usually a scalar; otherwise `seed` (same shape as `y`, default ones) gives the vector-Jacobian product.
/// - `createGraph`: when true the returned gradients are graph nodes (differentiable again); when false they are
///   constants and no graph is built while computing them.
/// A target that `y` does not depend on gets zeros (PyTorch's `allow_unused=True`, materialised).
public func gradients(of y: Variable, wrt xs: [Variable], seed: Variable? = nil, createGraph: Bool = false) -> [Variable] {
    runBackward(y, seed: seed, targets: xs, createGraph: createGraph)
}

extension Variable {
    /// Accumulates ∂self/∂leaf into `leaf.value.grad` for every leaf that requires grad (PyTorch's `backward()`).
    /// For a non-scalar `self`, `seed` defaults to ones (PyTorch requires it explicitly).
    public func backward(seed: Variable? = nil) {
        guard requiresGrad else { return }
        let order = topologicalOrder(self)
        for node in order { node._visited = false }
        let leaves = order.filter { $0.pullback == nil }
        let grads = runBackward(self, seed: seed, targets: leaves, createGraph: false)
        for (leaf, g) in zip(leaves, grads) {
            if let existing = leaf.value.grad {
                precondition(existing.count == leaf.count, "backward: .grad of shape \(existing.shape) on a leaf of shape \(leaf.shape)")
                VectorMath.axpy(1, g.value.pointer, existing.pointer, count: existing.count)
            } else {
                leaf.value.grad = g.value.reshaped(leaf.shape)
            }
        }
    }
}
