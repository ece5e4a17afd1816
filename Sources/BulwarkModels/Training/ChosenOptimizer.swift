public import BulwarkTensor

/// An optimiser picked at run time (from a command-line flag or a configuration file): Adam or
/// SGD with momentum, behind one concrete type, so a training procedure generic over its
/// optimiser is built once whichever was chosen.
///
/// ```swift
/// var optimizer = ChosenOptimizer.sgd(SGD(learningRate: 0.05, momentum: 0.9))
/// print(optimizer.name)   // "sgd"
/// ```
public enum ChosenOptimizer: Optimizer {
    /// Adam (PyTorch's defaults besides the learning rate).
    case adam(Adam)
    /// SGD, optionally with momentum.
    case sgd(SGD)

    /// The chosen optimiser's name (`adam`, `sgd`), recorded in provenance.
    public var name: String {
        switch self {
        case .adam(let a): a.name
        case .sgd(let s): s.name
        }
    }

    /// The chosen optimiser's learning rate.
    public var learningRate: Float {
        switch self {
        case .adam(let a): a.learningRate
        case .sgd(let s): s.learningRate
        }
    }

    /// One step of the chosen optimiser (its state stays inside the case).
    public mutating func update(_ parameters: inout [Tensor], gradients: [Tensor]) {
        // Take the state out of `self` first, so it is uniquely referenced and updated in place
        // (not copied every step).
        let taken = self
        self = .sgd(SGD(learningRate: 0))
        switch taken {
        case .adam(var a):
            a.update(&parameters, gradients: gradients)
            self = .adam(a)
        case .sgd(var s):
            s.update(&parameters, gradients: gradients)
            self = .sgd(s)
        }
    }
}
