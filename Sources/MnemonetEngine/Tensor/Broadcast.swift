/// NumPy/PyTorch broadcasting for binary element-wise kernels.
///
/// Shapes are aligned at their last dimension; a missing leading dimension or a dimension of size 1 stretches to the
/// other operand's size; any other mismatch is an error. E.g. [4, 3] ⊕ [3] → [4, 3], [4, 1] ⊕ [1, 5] → [4, 5],
/// [] (a scalar) ⊕ anything → anything.
public enum Broadcast {
    /// The broadcast shape of `a` and `b`, or `nil` when they are incompatible.
    public static func shape(_ a: [Int], _ b: [Int]) -> [Int]? {
        if a == b { return a }
        let r = max(a.count, b.count)
        var out = [Int](repeating: 1, count: r)
        for i in 0..<r {
            let da = i < r - a.count ? 1 : a[i - (r - a.count)]
            let db = i < r - b.count ? 1 : b[i - (r - b.count)]
            if da == db || db == 1 { out[i] = da } else if da == 1 { out[i] = db } else { return nil }
        }
        return out
    }

    /// Strides that read a tensor of `shape` as if it had shape `out` (0 on broadcast dimensions).
    @usableFromInline static func strides(of shape: [Int], broadcastTo out: [Int]) -> [Int] {
        let own = Tensor.strides(of: shape)
        var s = [Int](repeating: 0, count: out.count)
        let offset = out.count - shape.count
        for i in 0..<shape.count where shape[i] != 1 || out[i + offset] == 1 {
            s[i + offset] = shape[i] == 1 ? 0 : own[i]
        }
        return s
    }

    /// Calls `body(row, offsetA, offsetB)` for each of the `Π out[0..<r−1]` rows of `out` (C order), with the element
    /// offsets of that row's first element in A and B given their (broadcast) strides.
    @inlinable @inline(__always)
    static func forEachRow(_ out: [Int], _ sa: [Int], _ sb: [Int], _ body: (Int, Int, Int) -> Void) {
        let r = out.count
        if r <= 1 { body(0, 0, 0); return }
        var index = [Int](repeating: 0, count: r - 1)
        var oa = 0, ob = 0, row = 0
        let rows = out[0..<(r - 1)].reduce(1, *)
        while row < rows {
            body(row, oa, ob)
            row += 1
            var d = r - 2
            while d >= 0 {
                index[d] += 1
                oa += sa[d]
                ob += sb[d]
                if index[d] < out[d] { break }
                oa -= sa[d] * out[d]
                ob -= sb[d] * out[d]
                index[d] = 0
                d -= 1
            }
        }
    }

    /// out = f(a, b) with broadcasting; `f` works on 8 lanes (SIMD) and is also used for single lanes.
    @inlinable @inline(__always)
    public static func binary(_ a: Tensor, _ b: Tensor, _ f: (SIMD8<Float>, SIMD8<Float>) -> SIMD8<Float>) -> Tensor {
        if a.shape == b.shape {
            let out = Tensor(uninitializedShape: a.shape)
            VectorMath.zip(a.pointer, b.pointer, out.pointer, count: out.count, f)
            return out
        }
        guard let shape = Broadcast.shape(a.shape, b.shape) else {
            preconditionFailure("broadcast: incompatible shapes \(a.shape) and \(b.shape)")
        }
        let out = Tensor(uninitializedShape: shape)
        if out.count == 0 { return out }
        if b.count == 1 && a.count == out.count {
            let s = SIMD8<Float>(repeating: b.pointer[0])
            VectorMath.map(a.pointer, out.pointer, count: out.count) { f($0, s) }
            return out
        }
        if a.count == 1 && b.count == out.count {
            let s = SIMD8<Float>(repeating: a.pointer[0])
            VectorMath.map(b.pointer, out.pointer, count: out.count) { f(s, $0) }
            return out
        }
        let sa = strides(of: a.shape, broadcastTo: shape), sb = strides(of: b.shape, broadcastTo: shape)
        let n = shape.last!, ia = sa.last!, ib = sb.last!
        let pa = a.pointer, pb = b.pointer, po = out.pointer
        forEachRow(shape, sa, sb) { row, oa, ob in
            let o = po + row * n
            if ia == 1 && ib == 1 {
                VectorMath.zip(pa + oa, pb + ob, o, count: n, f)
            } else if ia == 1 {
                let s = SIMD8<Float>(repeating: pb[ob])
                VectorMath.map(pa + oa, o, count: n) { f($0, s) }
            } else if ib == 1 {
                let s = SIMD8<Float>(repeating: pa[oa])
                VectorMath.map(pb + ob, o, count: n) { f(s, $0) }
            } else {
                let v = f(SIMD8<Float>(repeating: pa[oa]), SIMD8<Float>(repeating: pb[ob]))[0]
                o.update(repeating: v, count: n)
            }
        }
        return out
    }

    /// Σ of `x` over the dimensions that broadcasting stretched from `target` (the adjoint of broadcasting `target`
    /// to `x.shape`). `target` must broadcast to `x.shape`.
    public static func sum(_ x: Tensor, to target: [Int]) -> Tensor {
        let out = Tensor(shape: target, repeating: 0)
        if x.shape == target { out.assign(x); return out }
        precondition(Broadcast.shape(target, x.shape) == x.shape, "sum(to:): \(target) does not broadcast to \(x.shape)")
        if out.count == 1 {
            out.pointer[0] = VectorMath.sum(x.pointer, count: x.count)
            return out
        }
        let so = strides(of: target, broadcastTo: x.shape), sx = Tensor.strides(of: x.shape)
        let n = x.shape.last!, io = so.last!
        let px = x.pointer, po = out.pointer
        forEachRow(x.shape, sx, so) { _, ox, oo in
            if io == 1 { VectorMath.axpy(1, px + ox, po + oo, count: n) } else { po[oo] += VectorMath.sum(px + ox, count: n) }
        }
        return out
    }

    /// `x` copied to the broadcast shape `shape`.
    public static func expand(_ x: Tensor, to shape: [Int]) -> Tensor {
        if x.shape == shape { return x.copy() }
        precondition(Broadcast.shape(x.shape, shape) == shape, "expand: \(x.shape) does not broadcast to \(shape)")
        return binary(x, Tensor(shape: shape, repeating: 0)) { a, _ in a }
    }
}
