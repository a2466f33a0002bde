/// Shape ops: reshape, transpose/permute, concat, slice/split. All are linear; each pullback is the adjoint shape op.

/// `axis` in `0..<rank` for a possibly negative axis.
@inlinable func normalizeAxis(_ axis: Int, rank: Int) -> Int {
    let a = axis < 0 ? axis + rank : axis
    precondition(a >= 0 && a < max(rank, 1), "axis \(axis) out of range for rank \(rank)")
    return a
}

extension Variable {
    /// The same values with a new shape of equal element count (one entry may be −1: inferred). No copy: the result's
    /// value is a view of this one's buffer.
    public func reshaped(_ newShape: [Int]) -> Variable {
        var s = newShape
        if let i = s.firstIndex(of: -1) {
            let known = s.enumerated().reduce(1) { $1.offset == i ? $0 : $0 * $1.element }
            s[i] = known == 0 ? 0 : count / known
        }
        if s == shape { return self }
        let x = self
        // A view: op values are never written in place, so sharing the buffer is safe.
        return Variable.make(Tensor(viewing: value, shape: s), x, pullback: { g, _ in accumulate(into: x, g.reshaped(x.shape)) })
    }

    /// The dimensions reordered: result dimension i is input dimension `dims[i]`.
    public func permuted(_ dims: [Int]) -> Variable {
        let r = rank
        precondition(dims.count == r && Set(dims) == Set(0..<r), "permuted: \(dims) is not a permutation of 0..<\(r)")
        if dims == Array(0..<r) { return self }
        let outShape = dims.map { shape[$0] }
        let inStrides = Tensor.strides(of: shape)
        let permStrides = dims.map { inStrides[$0] }  // stride in the input for each output dimension
        let out = Tensor(uninitializedShape: outShape)
        let src = value.pointer, dst = out.pointer
        if r == 2 {
            let (m, n) = (shape[0], shape[1])
            for i in 0..<m { for j in 0..<n { dst[j * m + i] = src[i * n + j] } }
        } else {
            let n = outShape.last!, inner = permStrides.last!
            Broadcast.forEachRow(outShape, permStrides, permStrides) { row, off, _ in
                let o = dst + row * n
                for j in 0..<n { o[j] = src[off + j * inner] }
            }
        }
        var inverse = [Int](repeating: 0, count: r)
        for (i, d) in dims.enumerated() { inverse[d] = i }
        let x = self
        return Variable.make(out, x, pullback: { g, _ in accumulate(into: x, g.permuted(inverse)) })
    }

    /// The transpose of a matrix, or the last two dimensions swapped for rank > 2.
    public func transposed() -> Variable {
        precondition(rank >= 2, "transposed: rank \(rank)")
        var dims = Array(0..<rank)
        dims.swapAt(rank - 1, rank - 2)
        return permuted(dims)
    }

    /// Elements `start..<start+length` along `axis`.
    public func slice(axis: Int, start: Int, length: Int) -> Variable {
        let ax = normalizeAxis(axis, rank: rank)
        precondition(start >= 0 && length >= 0 && start + length <= shape[ax],
                     "slice: \(start)..<\(start + length) out of 0..<\(shape[ax]) on axis \(ax) of \(shape)")
        if start == 0 && length == shape[ax] { return self }
        var outShape = shape
        outShape[ax] = length
        let out = Tensor(uninitializedShape: outShape)
        let outer = shape[..<ax].reduce(1, *), inner = shape[(ax + 1)...].reduce(1, *)
        for o in 0..<outer {
            (out.pointer + o * length * inner).update(from: value.pointer + (o * shape[ax] + start) * inner, count: length * inner)
        }
        let x = self
        return Variable.make(out, x, pullback: { g, _ in
            accumulate(into: x, g.padded(axis: ax, before: start, after: x.shape[ax] - start - length))
        })
    }

    /// Zeros added along `axis` (`before` in front, `after` behind). The adjoint of `slice`.
    public func padded(axis: Int, before: Int, after: Int) -> Variable {
        let ax = normalizeAxis(axis, rank: rank)
        if before == 0 && after == 0 { return self }
        var outShape = shape
        outShape[ax] += before + after
        let out = Tensor(shape: outShape, repeating: 0)
        let outer = shape[..<ax].reduce(1, *), inner = shape[(ax + 1)...].reduce(1, *), len = shape[ax]
        for o in 0..<outer {
            (out.pointer + (o * outShape[ax] + before) * inner).update(from: value.pointer + o * len * inner, count: len * inner)
        }
        let x = self
        return Variable.make(out, x, pullback: { g, _ in accumulate(into: x, g.slice(axis: ax, start: before, length: len)) })
    }

    /// Consecutive pieces of the given sizes along `axis` (sizes must add up to the dimension).
    public func split(axis: Int, sizes: [Int]) -> [Variable] {
        let ax = normalizeAxis(axis, rank: rank)
        precondition(sizes.reduce(0, +) == shape[ax], "split: sizes \(sizes) do not add up to \(shape[ax])")
        var start = 0
        return sizes.map { n in
            defer { start += n }
            return slice(axis: ax, start: start, length: n)
        }
    }
}

/// The concatenation of `xs` along `axis` (all other dimensions equal; `torch.cat`).
public func concat(_ xs: [Variable], axis: Int) -> Variable {
    precondition(!xs.isEmpty, "concat: no tensors")
    if xs.count == 1 { return xs[0] }
    let r = xs[0].rank, ax = normalizeAxis(axis, rank: r)
    var outShape = xs[0].shape
    outShape[ax] = 0
    for x in xs {
        var s = x.shape
        precondition(s.count == r, "concat: ranks differ: \(xs.map(\.shape))")
        outShape[ax] += s[ax]
        s[ax] = xs[0].shape[ax]
        precondition(s == xs[0].shape, "concat: shapes differ off axis \(ax): \(xs.map(\.shape))")
    }
    let out = Tensor(uninitializedShape: outShape)
    let outer = outShape[..<ax].reduce(1, *), inner = outShape[(ax + 1)...].reduce(1, *)
    var offset = 0
    for x in xs {
        let len = x.shape[ax] * inner
        for o in 0..<outer {
            (out.pointer + o * outShape[ax] * inner + offset).update(from: x.value.pointer + o * len, count: len)
        }
        offset += len
    }
    return Variable.make(out, xs) { g, _ in
        var start = 0
        for x in xs {
            if x.needsGradient { accumulate(into: x, g.slice(axis: ax, start: start, length: x.shape[ax])) }
            start += x.shape[ax]
        }
    }
}
