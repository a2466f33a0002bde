// MnemonetEngine: Float32 tensors, SIMD/BLAS kernels, reverse-mode autodiff with create-graph, PyTorch-compatible
// layers and optimizers. Clients get MnemonetBase (Xoshiro256, MnemonetError) with it.
@_exported import MnemonetBase
