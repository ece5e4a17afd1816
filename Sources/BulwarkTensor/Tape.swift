/// A record of differentiable operations, for reverse-mode automatic differentiation.
///
/// Create a tape per forward/backward pass, wrap inputs with ``variable(_:)`` (gradient wanted)
/// or ``constant(_:)``, compute with ``Variable`` operations, then ask for
/// ``gradients(of:seed:wrt:)``. Operations whose inputs need no gradient record nothing, so an
/// inference pass through a tape costs the same as plain tensor code.
///
/// ```swift
/// let tape = Tape()
/// let x = tape.variable(Tensor([1, 2, 3]))
/// let y = (x * x).sum()
/// let dx = tape.gradients(of: y, wrt: [x])[0]   // [2, 4, 6]
/// ```
///
/// A tape is not thread-safe; use one per task.
public final class Tape {
    /// Maps the upstream gradient to one gradient per input (`nil` for none). `needs[i]` tells
    /// whether input `i` wants a gradient, so expensive adjoints can be skipped.
    public typealias Pullback = (_ upstream: Tensor, _ needs: [Bool]) -> [Tensor?]

    struct Node {
        var shape: [Int]
        var inputs: [Int]
        var pullback: Pullback?
    }

    var nodes: [Node] = []
    var requires: [Bool] = []

    /// Creates an empty tape.
    public init() {}

    /// Number of recorded nodes (leaves included).
    public var count: Int { nodes.count }

    /// A leaf whose gradient can be requested.
    public func variable(_ value: Tensor) -> Variable { leaf(value, requiresGradient: true) }

    /// A leaf that never receives a gradient.
    public func constant(_ value: Tensor) -> Variable { leaf(value, requiresGradient: false) }

    func leaf(_ value: Tensor, requiresGradient: Bool) -> Variable {
        nodes.append(Node(shape: value.shape, inputs: [], pullback: nil))
        requires.append(requiresGradient)
        return Variable(value: value, index: nodes.count - 1, requiresGradient: requiresGradient, tape: self)
    }

    /// Records an operation computed outside this module (the extension point for new ops).
    ///
    /// `pullback` receives the gradient of the output (same shape as `value`) and which inputs
    /// need a gradient, and returns one gradient per input, each shaped like that input, or
    /// `nil`. It is retained only if some input requires a gradient.
    public func record(_ value: Tensor, inputs: [Variable], pullback: @escaping Pullback) -> Variable {
        for v in inputs { precondition(v.tape === self, "variable from another tape") }
        let needs = inputs.contains { $0.requiresGradient }
        nodes.append(Node(shape: value.shape, inputs: inputs.map(\.index), pullback: needs ? pullback : nil))
        requires.append(needs)
        return Variable(value: value, index: nodes.count - 1, requiresGradient: needs, tape: self)
    }

    /// Convenience form of ``record(_:inputs:pullback:)`` for pullbacks that ignore `needs`.
    public func record(_ value: Tensor, inputs: [Variable], pullback: @escaping (Tensor) -> [Tensor?]) -> Variable {
        record(value, inputs: inputs) { (g: Tensor, _: [Bool]) in pullback(g) }
    }

    /// Gradients of `output` with respect to `wrt`, in order (zeros where there is no path).
    ///
    /// `seed` is the gradient of the final objective with respect to `output`; it defaults to
    /// ones (so for a scalar loss the result is d loss / d wrt).
    public func gradients(of output: Variable, seed: Tensor? = nil, wrt: [Variable]) -> [Tensor] {
        precondition(output.tape === self, "output from another tape")
        var grads = [Tensor?](repeating: nil, count: output.index + 1)
        grads[output.index] = seed ?? Tensor.ones(output.shape)
        if let seed { precondition(seed.shape == output.shape, "seed shape \(seed.shape) ≠ output \(output.shape)") }
        let wanted = Set(wrt.map(\.index))
        // Only nodes between an input of interest and the output need visiting.
        for i in stride(from: output.index, through: 0, by: -1) {
            guard let g = grads[i], let pullback = nodes[i].pullback else { continue }
            let inputs = nodes[i].inputs
            let needs = inputs.map { requires[$0] }
            let inputGrads = pullback(g, needs)
            precondition(inputGrads.count == inputs.count, "pullback returned \(inputGrads.count) gradients for \(inputs.count) inputs")
            for (k, j) in inputs.enumerated() where needs[k] {
                guard let gj = inputGrads[k] else { continue }
                precondition(gj.shape == nodes[j].shape, "gradient shape \(gj.shape) ≠ input shape \(nodes[j].shape)")
                if grads[j] == nil { grads[j] = gj } else { grads[j]!.addInPlace(gj) }
            }
            if !wanted.contains(i) { grads[i] = nil }  // free memory early
        }
        return wrt.map { grads.indices.contains($0.index) ? (grads[$0.index] ?? Tensor.zeros($0.shape)) : Tensor.zeros($0.shape) }
    }
}

/// A tensor value recorded on a ``Tape``; operations on variables are differentiable.
public struct Variable {
    /// The computed value.
    public let value: Tensor
    /// Position on the tape.
    public let index: Int
    /// Whether a gradient flows to this variable (a leaf created with `variable`, or an op with such an input).
    public let requiresGradient: Bool
    /// The tape that recorded this variable.
    public let tape: Tape

    /// The value's shape.
    public var shape: [Int] { value.shape }
}
