public import BulwarkTensor
import CBulwarkKernels
import Foundation

/// Updates parameters from their gradients.
public protocol Optimizer: Sendable {
    /// Short name recorded in a model's provenance (`adam`, `sgd`).
    var name: String { get }
    /// The step size, recorded in a model's provenance.
    var learningRate: Float { get }

    /// Applies one step. `parameters` and `gradients` correspond one-to-one and keep their order
    /// between calls (optimizer state is kept per position).
    mutating func update(_ parameters: inout [Tensor], gradients: [Tensor])
}

/// Stochastic gradient descent with optional (Nesterov) momentum and L2 weight decay, with
/// PyTorch's `torch.optim.SGD` update rule.
public struct SGD: Optimizer {
    /// The step size.
    public var learningRate: Float
    /// The momentum factor μ; 0 is plain gradient descent.
    public var momentum: Float
    /// The L2 penalty added to each gradient as `weightDecay · parameter`.
    public var weightDecay: Float
    /// Whether to use Nesterov momentum (only meaningful with a nonzero `momentum`).
    public var nesterov: Bool
    var velocity: [[Float]] = []
    /// `sgd`.
    public var name: String { "sgd" }

    /// An optimiser with no velocity yet; it is created at the first ``update(_:gradients:)``.
    public init(learningRate: Float, momentum: Float = 0, weightDecay: Float = 0, nesterov: Bool = false) {
        self.learningRate = learningRate
        self.momentum = momentum
        self.weightDecay = weightDecay
        self.nesterov = nesterov
    }

    public mutating func update(_ parameters: inout [Tensor], gradients: [Tensor]) {
        precondition(parameters.count == gradients.count, "SGD: \(parameters.count) parameters, \(gradients.count) gradients")
        if velocity.isEmpty && momentum != 0 { velocity = parameters.map { [Float](repeating: 0, count: $0.count) } }
        let (lr, mu, wd, nesterov) = (learningRate, momentum, weightDecay, nesterov)
        for k in parameters.indices {
            gradients[k].scalars.withUnsafeBufferPointer { g in
                parameters[k].scalars.withUnsafeMutableBufferPointer { p in
                    if mu == 0 {
                        for i in 0..<p.count { p[i] -= lr * (g[i] + wd * p[i]) }
                    } else {
                        velocity[k].withUnsafeMutableBufferPointer { v in
                            for i in 0..<p.count {
                                let d = g[i] + wd * p[i]
                                v[i] = mu * v[i] + d
                                p[i] -= lr * (nesterov ? d + mu * v[i] : v[i])
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Adam (Kingma & Ba 2015) with bias correction and optional L2 weight decay, as
/// PyTorch's `torch.optim.Adam`.
public struct Adam: Optimizer {
    /// The step size α.
    public var learningRate: Float
    /// The decay rates of the first- and second-moment averages, and the ε added to the
    /// denominator for numerical stability.
    public var beta1: Float, beta2: Float, epsilon: Float
    /// The L2 penalty added to each gradient as `weightDecay · parameter` (not decoupled, as AdamW).
    public var weightDecay: Float
    var step = 0
    var m: [[Float]] = [], v: [[Float]] = []
    /// `adam`.
    public var name: String { "adam" }

    /// An optimiser at step 0 with zero moment estimates; PyTorch's defaults.
    public init(learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 0) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
    }

    public mutating func update(_ parameters: inout [Tensor], gradients: [Tensor]) {
        precondition(parameters.count == gradients.count, "Adam: \(parameters.count) parameters, \(gradients.count) gradients")
        if m.isEmpty {
            m = parameters.map { [Float](repeating: 0, count: $0.count) }
            v = m
        }
        step += 1
        let (b1, b2, eps, wd) = (beta1, beta2, epsilon, weightDecay)
        let c1 = 1 - Float(Foundation.pow(Double(b1), Double(step))), c2 = 1 - Float(Foundation.pow(Double(b2), Double(step)))
        let stepSize = learningRate / c1
        let c2Root = c2.squareRoot()
        for k in parameters.indices {
            gradients[k].scalars.withUnsafeBufferPointer { g in
                parameters[k].scalars.withUnsafeMutableBufferPointer { p in
                    m[k].withUnsafeMutableBufferPointer { mk in
                        v[k].withUnsafeMutableBufferPointer { vk in
                            guard let pb = p.baseAddress, let gb = g.baseAddress, let mb = mk.baseAddress, let vb = vk.baseAddress else { return }
                            let (gp, pp, mp, vp) = (UncheckedBox(gb), SharedPointer(pb), SharedPointer(mb), SharedPointer(vb))
                            // element-wise, so chunks on several workers give the serial result
                            parallelChunks(p.count, costPerItem: 4) { range in
                                bulwark_adam_step(pp.base + range.lowerBound, gp.value + range.lowerBound, mp.base + range.lowerBound,
                                                  vp.base + range.lowerBound, range.count, b1, b2, wd, stepSize, c2Root, eps)
                            }
                        }
                    }
                }
            }
        }
    }
}
