import MnemonetEngine

/// The addressing equations of the Differentiable Neural Computer (Graves et al. 2016, Nature, Methods), one small
/// named function per equation, in the extensions of this namespace (one concept per file: `ContentWeighting`,
/// `Usage`, `Allocation`, `MemoryWrite`, `TemporalLinks`, `ReadModes`).
///
/// Conventions (those of deepmind/dnc `addressing.py`): every tensor has a leading batch dimension B; N is the number
/// of memory slots, W the word size, R the number of read heads and H_w the number of write heads. All functions are
/// compositions of the engine's differentiable ops, so gradients flow through every one of them (no detach).
public enum DNCAddressing {
    /// ε of the DNC (deepmind's `_EPSILON`): added under the vector norms, to the cosine's denominator and to the
    /// usage before the allocation's cumulative product.
    public static let epsilon: Float = 1e-6

    /// oneplus(x) = 1 + log(1 + eˣ) ∈ [1, ∞): the paper's map for key strengths β.
    public static func oneplus(_ x: Variable) -> Variable { 1 + x.softplus() }
}
