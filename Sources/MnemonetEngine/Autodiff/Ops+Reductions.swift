/// Reductions: sum and mean over all elements or over chosen axes. Pullback: broadcast the gradient back.

extension Variable {
    /// Σ of all elements → rank 0.
    public func sum() -> Variable {
        let x = self
        return Variable.make(Tensor(scalar: VectorMath.sum(value.pointer, count: count)), x, pullback: { g, _ in
            accumulate(into: x, g.expand(to: x.shape))
        })
    }

    /// Σ over `axes` (negative axes count from the end); the reduced dimensions are kept with size 1 when `keepDims`.
    public func sum(axes: [Int], keepDims: Bool = false) -> Variable {
        let r = rank
        let ax = axes.map { normalizeAxis($0, rank: r) }  // a few axes: linear `contains` beats hashing
        if !keepDims && !ax.isEmpty && ax.count <= r && (0..<ax.count).allSatisfy({ ax.contains($0) }) {
            return sumToShape(Array(shape[ax.count...]))  // leading axes (e.g. a bias gradient): one pass, no reshape
        }
        let kept = shape.enumerated().map { ax.contains($0.offset) ? 1 : $0.element }
        let s = sumToShape(kept)
        return keepDims ? s : s.reshaped(shape.enumerated().filter { !ax.contains($0.offset) }.map(\.element))
    }

    /// Σ over one axis.
    public func sum(axis: Int, keepDims: Bool = false) -> Variable { sum(axes: [axis], keepDims: keepDims) }

    /// Mean of all elements → rank 0.
    public func mean() -> Variable { sum() * (1 / Float(max(count, 1))) }

    /// Mean over `axes`.
    public func mean(axes: [Int], keepDims: Bool = false) -> Variable {
        let ax = axes.map { normalizeAxis($0, rank: rank) }
        let n = ax.enumerated().reduce(1) { acc, e in ax[..<e.offset].contains(e.element) ? acc : acc * shape[e.element] }
        return sum(axes: axes, keepDims: keepDims) * (1 / Float(max(n, 1)))
    }

    /// Mean over one axis.
    public func mean(axis: Int, keepDims: Bool = false) -> Variable { mean(axes: [axis], keepDims: keepDims) }
}
