import MnemonetBase
import MnemonetEngine

/// The whole recurrent state of a DNC between steps.
public struct DNCState {
    /// The LSTM controller's (h_t, s_t), each [B, H]; `nil` for a feedforward controller.
    public var controller: LSTMState?
    /// The memory, usage, links, precedence and read/write weightings.
    public var access: DNCAccessState
    /// r_t [B, R, W], the read vectors fed to the controller at t + 1.
    public var readVectors: Variable

    /// A state from its parts.
    public init(controller: LSTMState?, access: DNCAccessState, readVectors: Variable) {
        self.controller = controller
        self.access = access
        self.readVectors = readVectors
    }

    /// All tensors in a fixed order: (h, c if LSTM), the six access components, r.
    public var components: [Variable] {
        (controller.map { [$0.h, $0.c] } ?? []) + access.components + [readVectors]
    }

    /// A state from `components` order (`hasController`: whether the first two are h, c).
    public init(components c: [Variable], hasController: Bool) {
        let k = hasController ? 2 : 0
        controller = hasController ? LSTMState(h: c[0], c: c[1]) : nil
        access = DNCAccessState(components: Array(c[k..<(k + 6)]))
        readVectors = c[k + 6]
    }

    /// The same values as constants (the cut of truncated backpropagation through time).
    public func detached() -> DNCState {
        DNCState(components: components.map { $0.detached() }, hasController: controller != nil)
    }

    /// state where m = 1, `previous` where m = 0: s' = s_prev + m (s − s_prev), with m [B] the step's sequence mask
    /// (a finished sequence keeps its state).
    public func masked(_ mask: Variable, previous: DNCState) -> DNCState {
        let b = mask.count
        let blended = zip(components, previous.components).map { new, old -> Variable in
            let m = mask.reshaped([b] + [Int](repeating: 1, count: new.rank - 1))
            return old + m * (new - old)
        }
        return DNCState(components: blended, hasController: controller != nil)
    }
}

/// The learnable weights of a DNC, with PyTorch names (`controller.weight_ih_l0`, …, `interface.weight`,
/// `output.weight`, …) so that a `state_dict` moves between PyTorch and mnemonet unchanged.
public struct DNCParameters {
    /// LSTM controller weights (PyTorch `nn.LSTM` layout, input [x_t; r_{t−1}] of X + R·W); `nil` for feedforward.
    public var lstm: LSTMWeights?
    /// Feedforward controller W_c [H, X + R·W] and b_c [H]; `nil` for an LSTM.
    public var feedforwardWeight: Variable?, feedforwardBias: Variable?
    /// W_ξ [S, H], b_ξ [S]: ξ_t = W_ξ h_t + b_ξ.
    public var interfaceWeight: Variable, interfaceBias: Variable
    /// W_y [Y, H + R·W], b_y [Y]: y_t = W_y [h_t; r_t] + b_y.
    public var outputWeight: Variable, outputBias: Variable

    /// PyTorch's default initialisation (U(±1/√H) for the LSTM, U(±1/√fan_in) for linear layers), from `rng`.
    public init(config c: DNCConfig, rng: inout Xoshiro256) {
        let h = c.hiddenSize, ci = c.controllerInputSize
        switch c.controller {
        case .lstm:
            let bound = Init.pytorchDefaultBound(fanIn: h)
            lstm = LSTMWeights(weightIH: Init.uniformParameter([4 * h, ci], bound: bound, rng: &rng),
                               weightHH: Init.uniformParameter([4 * h, h], bound: bound, rng: &rng),
                               biasIH: Init.uniformParameter([4 * h], bound: bound, rng: &rng),
                               biasHH: Init.uniformParameter([4 * h], bound: bound, rng: &rng))
        case .feedforward:
            let bound = Init.pytorchDefaultBound(fanIn: ci)
            feedforwardWeight = Init.uniformParameter([h, ci], bound: bound, rng: &rng)
            feedforwardBias = Init.uniformParameter([h], bound: bound, rng: &rng)
        }
        let bi = Init.pytorchDefaultBound(fanIn: h), bo = Init.pytorchDefaultBound(fanIn: c.outputLayerInputSize)
        interfaceWeight = Init.uniformParameter([c.interfaceSize, h], bound: bi, rng: &rng)
        interfaceBias = Init.uniformParameter([c.interfaceSize], bound: bi, rng: &rng)
        outputWeight = Init.uniformParameter([c.outputSize, c.outputLayerInputSize], bound: bo, rng: &rng)
        outputBias = Init.uniformParameter([c.outputSize], bound: bo, rng: &rng)
    }

    /// The parameters in `named_parameters()` order: controller, interface, output.
    public var named: [NamedParameter] {
        var p: [NamedParameter] = []
        if let w = lstm {
            p += [NamedParameter(name: "controller.weight_ih_l0", variable: w.weightIH),
                  NamedParameter(name: "controller.weight_hh_l0", variable: w.weightHH),
                  NamedParameter(name: "controller.bias_ih_l0", variable: w.biasIH),
                  NamedParameter(name: "controller.bias_hh_l0", variable: w.biasHH)]
        }
        if let w = feedforwardWeight, let b = feedforwardBias {
            p += [NamedParameter(name: "controller.weight", variable: w), NamedParameter(name: "controller.bias", variable: b)]
        }
        return p + [NamedParameter(name: "interface.weight", variable: interfaceWeight),
                    NamedParameter(name: "interface.bias", variable: interfaceBias),
                    NamedParameter(name: "output.weight", variable: outputWeight),
                    NamedParameter(name: "output.bias", variable: outputBias)]
    }
}

/// One DNC step (Graves et al. 2016, Methods, "controller network"):
///
///     h_t = controller([x_t; r_{t−1}], h_{t−1})          (LSTM or tanh layer)
///     ξ_t = W_ξ h_t + b_ξ                                  (split by `DNCInterface`)
///     r_t, memory_t = access(ξ_t, memory_{t−1})           (`DNCMemoryAccess`)
///     y_t = W_y [h_t; r_t] + b_y
///
/// x_t [B, X] → y_t [B, Y]. A pure function of its parameters: `(input, state) -> (output, state)`.
public func dncCell(_ x: Variable, _ state: DNCState, parameters p: DNCParameters, config: DNCConfig) -> (output: Variable, state: DNCState) {
    let b = x.shape[0], rw = config.memory.numReadHeads * config.memory.memoryDim
    let input = concat([x, state.readVectors.reshaped([b, rw])], axis: 1)
    let controller: LSTMState?
    let h: Variable
    if let w = p.lstm, let s = state.controller {
        let next = lstmCell(input, s, w)
        controller = next
        h = next.h
    } else {
        controller = nil
        h = linear(input, p.feedforwardWeight!, p.feedforwardBias!, activation: .tanh)
    }
    let xi = DNCInterface(linear(h, p.interfaceWeight, p.interfaceBias), memory: config.memory)
    let (r, access) = DNCMemoryAccess(memory: config.memory)(xi, state.access)
    let y = linear(concat([h, r.reshaped([b, rw])], axis: 1), p.outputWeight, p.outputBias)
    return (y, DNCState(controller: controller, access: access, readVectors: r))
}
