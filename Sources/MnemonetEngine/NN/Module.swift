/// A parameter with its PyTorch name (`"weight"`, `"lstm.weight_ih_l0"`, …).
public struct NamedParameter {
    /// The PyTorch name.
    public let name: String
    /// The parameter (a leaf that requires grad).
    public let variable: Variable
    /// A named parameter.
    public init(name: String, variable: Variable) {
        self.name = name
        self.variable = variable
    }
}

/// A layer that owns parameters with PyTorch's names and layouts, so a state_dict moves between PyTorch and mnemonet
/// unchanged.
public protocol Module: AnyObject {
    /// The parameters, in PyTorch's `named_parameters()` order.
    var namedParameters: [NamedParameter] { get }
}

extension Module {
    /// The parameter tensors (for the optimizers).
    public var parameters: [Tensor] { namedParameters.map { $0.variable.value } }

    /// name → tensor (the tensors themselves, not copies; PyTorch's `state_dict()` for parameters).
    public func stateDict() -> [String: Tensor] {
        Dictionary(uniqueKeysWithValues: namedParameters.map { ($0.name, $0.variable.value) })
    }

    /// Copies the values of `dict` into the parameters; every name must be present with the same shape.
    public func loadStateDict(_ dict: [String: Tensor]) throws(MnemonetError) {
        for p in namedParameters {
            guard let t = dict[p.name] else { throw .invalidArgument("loadStateDict: missing parameter \(p.name)") }
            guard t.shape == p.variable.shape else {
                throw .invalidArgument("loadStateDict: \(p.name) has shape \(t.shape), expected \(p.variable.shape)")
            }
        }
        for p in namedParameters { p.variable.value.assign(dict[p.name]!) }
    }
}

/// PyTorch's default initialisation draws: U(−bound, bound).
public enum Init {
    /// `kaiming_uniform_(w, a=√5)` as used by Linear/Conv1d: bound = √(6/((1+a²)·fan_in)) = 1/√fan_in; the bias uses
    /// the same bound 1/√fan_in.
    public static func pytorchDefaultBound(fanIn: Int) -> Float { fanIn > 0 ? 1 / Float(fanIn).squareRoot() : 0 }

    /// A leaf parameter of `shape` drawn from U(−bound, bound).
    public static func uniformParameter(_ shape: [Int], bound: Float, rng: inout Xoshiro256) -> Variable {
        Variable(Tensor.uniform(shape: shape, low: -bound, high: bound, rng: &rng), requiresGrad: true)
    }
}
