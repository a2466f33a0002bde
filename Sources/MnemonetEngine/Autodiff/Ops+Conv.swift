/// 1-D convolution (stride 1, optional dilation and padding, causal variant) as im2col + one sgemm.
///
/// x [N, C_in, L], weight [C_out, C_in, K] (PyTorch's `Conv1d` layout), bias [C_out] →
///   y[n, o, t] = b[o] + Σ_{c,k} W[o, c, k] · x[n, c, t + k·d − p_left]   (out-of-range x are zero)
/// with L_out = L + p_left + p_right − d·(K − 1). Causal: p_left = d·(K − 1), p_right = 0 (L_out = L; y[t] sees
/// x[≤ t] only — WaveNet/SNAIL's dilated causal convolution). `im2col` and `col2im` are adjoint linear ops, so
/// gradients of any order flow through the matmul.

/// How a 1-D convolution pads its input.
public enum Conv1dPadding: Sendable, Equatable {
    /// PyTorch's `padding=p`: p zeros on both sides.
    case symmetric(Int)
    /// d·(K−1) zeros on the left only: the output at t depends on inputs ≤ t.
    case causal
}

/// The im2col geometry of one convolution.
@usableFromInline struct Conv1dGeometry: Equatable {
    let n: Int, c: Int, l: Int, k: Int, dilation: Int, padLeft: Int, lOut: Int
}

extension Variable {
    /// cols[(n, t), (c, k)] = x[n, c, t + k·d − p_left] (0 outside) → [N·L_out, C·K].
    @usableFromInline func im2col(_ geo: Conv1dGeometry) -> Variable {
        let out = Tensor(shape: [geo.n * geo.lOut, geo.c * geo.k], repeating: 0)
        let src = value.pointer, dst = out.pointer, ck = geo.c * geo.k
        for n in 0..<geo.n {
            for t in 0..<geo.lOut {
                let row = dst + (n * geo.lOut + t) * ck
                for c in 0..<geo.c {
                    let xrow = src + (n * geo.c + c) * geo.l
                    for k in 0..<geo.k {
                        let s = t + k * geo.dilation - geo.padLeft
                        if s >= 0 && s < geo.l { row[c * geo.k + k] = xrow[s] }
                    }
                }
            }
        }
        let x = self
        return Variable.make(out, x, pullback: { g, _ in accumulate(into: x, g.col2im(geo)) })
    }

    /// The adjoint of `im2col`: scatter-adds [N·L_out, C·K] back to [N, C, L].
    @usableFromInline func col2im(_ geo: Conv1dGeometry) -> Variable {
        let out = Tensor(shape: [geo.n, geo.c, geo.l], repeating: 0)
        let src = value.pointer, dst = out.pointer, ck = geo.c * geo.k
        for n in 0..<geo.n {
            for t in 0..<geo.lOut {
                let row = src + (n * geo.lOut + t) * ck
                for c in 0..<geo.c {
                    let xrow = dst + (n * geo.c + c) * geo.l
                    for k in 0..<geo.k {
                        let s = t + k * geo.dilation - geo.padLeft
                        if s >= 0 && s < geo.l { xrow[s] += row[c * geo.k + k] }
                    }
                }
            }
        }
        let cols = self
        return Variable.make(out, cols, pullback: { g, _ in accumulate(into: cols, g.im2col(geo)) })
    }
}

/// `F.conv1d(x, weight, bias, stride=1, padding, dilation)` for x [N, C_in, L] (or [C_in, L]), weight [C_out, C_in, K].
public func conv1d(
    _ x: Variable, _ weight: Variable, _ bias: Variable?, dilation: Int = 1, padding: Conv1dPadding = .symmetric(0)
) -> Variable {
    if x.rank == 2 {
        let y = conv1d(x.reshaped([1] + x.shape), weight, bias, dilation: dilation, padding: padding)
        return y.reshaped(Array(y.shape.dropFirst()))
    }
    precondition(x.rank == 3 && weight.rank == 3 && weight.shape[1] == x.shape[1],
                 "conv1d: input \(x.shape) (need [N, C_in, L]) for weight \(weight.shape) (need [C_out, C_in, K])")
    precondition(dilation >= 1, "conv1d: dilation \(dilation) < 1")
    let (n, c, l) = (x.shape[0], x.shape[1], x.shape[2]), (cOut, k) = (weight.shape[0], weight.shape[2])
    let (padLeft, padRight): (Int, Int)
    switch padding {
    case .symmetric(let p): (padLeft, padRight) = (p, p)
    case .causal: (padLeft, padRight) = (dilation * (k - 1), 0)
    }
    let lOut = l + padLeft + padRight - dilation * (k - 1)
    precondition(lOut >= 1, "conv1d: output length \(lOut) < 1 for input \(x.shape), kernel \(k), dilation \(dilation)")
    let geo = Conv1dGeometry(n: n, c: c, l: l, k: k, dilation: dilation, padLeft: padLeft, lOut: lOut)
    let cols = x.im2col(geo)
    let y = linear(cols, weight.reshaped([cOut, c * k]), bias)  // [N·L_out, C_out]
    return y.reshaped([n, lOut, cOut]).permuted([0, 2, 1])
}

extension Variable {
    /// Scores [..., T, T] with entries j > i (the future) set to −inf, for causal attention before `softmax()`.
    public func causalMasked() -> Variable {
        precondition(rank >= 2 && shape[rank - 1] == shape[rank - 2], "causalMasked: need [..., T, T], got \(shape)")
        let t = shape[rank - 1]
        let mask = Tensor(shape: [t, t], repeating: 0)
        for i in 0..<t { for j in (i + 1)..<max(t, i + 1) { mask.pointer[i * t + j] = 1 } }
        return maskedFill(mask, with: -.infinity)
    }
}
