public import BulwarkTensor

/// A stack of layers applied in order; a ``DifferentiableClassifier`` when its output is a
/// vector of logits, and a ``TrainableModel``.
///
/// Parameters are named as PyTorch names the `state_dict` of an `nn.Sequential`
/// (`"<layer index>.<name>"`), so weights move between the two unchanged.
public struct Sequential: TrainableModel {
    /// The layers, applied first to last.
    public var layers: [any Layer]
    /// Shape of one input example.
    public let inputShape: [Int]
    /// Width of the output.
    public let classCount: Int

    /// Builds a model and checks that every layer accepts the previous layer's output.
    /// - Throws: ``ModelError`` naming the first layer whose input shape does not fit.
    public init(inputShape: [Int], layers: [any Layer]) throws(ModelError) {
        var shape = inputShape
        for (i, layer) in layers.enumerated() {
            do { shape = try layer.outputShape(for: shape) } catch {
                throw ModelError(error.code, "layer \(i) \(error.message)", underlying: error)
            }
        }
        guard shape.count == 1 else {
            throw ModelError(.shapeMismatch, "the last layer must output a vector of logits, got shape \(shape)")
        }
        self.layers = layers
        self.inputShape = inputShape
        self.classCount = shape[0]
    }

    // MARK: parameters

    /// All trainable tensors, layer by layer.
    public var parameters: [Tensor] {
        get { layers.flatMap(\.parameters) }
        set {
            var k = 0
            for i in layers.indices {
                let n = layers[i].parameterNames.count
                if n > 0 { layers[i].parameters = Array(newValue[k..<(k + n)]) }
                k += n
            }
            precondition(k == newValue.count, "expected \(k) parameters, got \(newValue.count)")
        }
    }

    /// The PyTorch `state_dict` name of each trainable tensor (`"<layer index>.<name>"`), in the
    /// order of ``parameters``.
    public var parameterNames: [String] {
        layers.enumerated().flatMap { i, layer in layer.parameterNames.map { "\(i).\($0)" } }
    }

    /// Total number of trainable scalars.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }

    /// Every saved tensor (parameters and buffers) with its PyTorch `state_dict` name.
    public var namedTensors: [(name: String, tensor: Tensor)] {
        layers.enumerated().flatMap { i, layer in
            zip(layer.parameterNames, layer.parameters).map { ("\(i).\($0)", $1) }
                + zip(layer.bufferNames, layer.buffers).map { ("\(i).\($0)", $1) }
        }
    }

    /// Replaces every saved tensor from `tensors`, checking names and shapes.
    /// - Throws: ``ModelError`` naming a missing, unexpected or mis-shaped tensor; the model is
    ///   unchanged when it throws.
    public mutating func load(_ tensors: [String: Tensor]) throws(ModelError) {
        var copy = layers
        var used = Set<String>()
        for i in copy.indices {
            func fetch(_ names: [String], _ current: [Tensor]) throws(ModelError) -> [Tensor] {
                var out: [Tensor] = []
                for (name, cur) in zip(names, current) {
                    let key = "\(i).\(name)"
                    guard let t = tensors[key] else { throw ModelError(.parameterMismatch, "missing tensor '\(key)'") }
                    guard t.shape == cur.shape else {
                        throw ModelError(.parameterMismatch, "tensor '\(key)' has shape \(t.shape), expected \(cur.shape)")
                    }
                    // A NaN or infinite weight makes every prediction meaningless (and every
                    // attack "succeed"); such a model is refused at load, not evaluated.
                    if let bad = t.scalars.firstIndex(where: { !$0.isFinite }) {
                        throw ModelError(.malformed, "tensor '\(key)' holds a non-finite value (\(t.scalars[bad]) at element \(bad)); refusing to load the model")
                    }
                    used.insert(key)
                    out.append(t)
                }
                return out
            }
            if !copy[i].parameterNames.isEmpty { copy[i].parameters = try fetch(copy[i].parameterNames, copy[i].parameters) }
            if !copy[i].bufferNames.isEmpty { copy[i].buffers = try fetch(copy[i].bufferNames, copy[i].buffers) }
        }
        if let extra = tensors.keys.filter({ !used.contains($0) && !$0.hasSuffix("num_batches_tracked") }).sorted().first {
            throw ModelError(.parameterMismatch, "unexpected tensor '\(extra)' for this architecture")
        }
        layers = copy
    }

    // MARK: forward

    /// The forward pass with parameters supplied as tape variables (training or inference).
    ///
    /// Layers that update buffers in training (batch norm) report them in the returned list,
    /// as (layer index, new buffers); ``applyBufferUpdates(_:)`` installs them.
    public func forward(_ input: Variable, parameters: [Variable], context: inout ForwardContext)
        -> (output: Variable, bufferUpdates: [(Int, [Tensor])]) {
        var x = input
        var k = 0
        var updates: [(Int, [Tensor])] = []
        var i = 0
        while i < layers.count {
            // A convolution whose output only a max pooling reads (ReLU between them moves after
            // the pooling, as below): one fused operation, the same values and gradients without
            // the full-resolution output in memory.
            if let conv = layers[i] as? Conv2D {
                let relu = i + 1 < layers.count && (layers[i + 1] as? Activation)?.kind == .relu
                let poolAt = relu ? i + 2 : i + 1
                if poolAt < layers.count, let pool = layers[poolAt] as? MaxPool2D {
                    let p = parameters[k..<(k + 2)]
                    x = conv2dMaxPool(x, weight: p[p.startIndex], bias: p[p.startIndex + 1], geometry: conv.geometry,
                                      groups: conv.groups, pool: pool.geometry, relu: relu)
                    k += 2
                    i += relu ? 3 : 2
                    continue
                }
            }
            // ReLU then max-pooling: pool first. ReLU is monotone, so max(relu(·)) = relu(max(·))
            // in value and gradient, and ReLU then touches a quarter of the data (for 2×2 windows).
            if i + 1 < layers.count, let a = layers[i] as? Activation, a.kind == .relu, layers[i + 1] is MaxPool2D {
                x = layers[i + 1].forward(x, parameters: parameters[k..<k], context: &context).relu()
                i += 2
                continue
            }
            let layer = layers[i]
            let n = layer.parameterNames.count
            context.updatedBuffers = nil
            x = layer.forward(x, parameters: parameters[k..<(k + n)], context: &context)
            if let b = context.updatedBuffers { updates.append((i, b)) }
            k += n
            i += 1
        }
        return (x, updates)
    }

    /// Installs buffer updates returned by ``forward(_:parameters:context:)``.
    public mutating func applyBufferUpdates(_ updates: [(Int, [Tensor])]) {
        for (i, b) in updates { layers[i].buffers = b }
    }

    /// Differentiable inference-mode logits; parameters enter the tape as constants.
    public func logits(_ input: Variable) -> Variable {
        let tape = input.tape
        var context = ForwardContext(training: false)
        return forward(input, parameters: parameters.map { tape.constant($0) }, context: &context).output
    }

    /// Inference-mode logits computed on plain tensors, with no tape (see
    /// ``inferenceOutput(_:through:)``); the same values as ``logits(_:)-(Variable)``.
    public func logits(_ input: Tensor) -> Tensor {
        inferenceOutput(input, through: layers.count - 1)
    }

    /// The inference-mode output of layers `0...last` for a batch, computed on plain tensors
    /// with no tape.
    ///
    /// Neighbouring layers are fused where that saves a pass over memory and changes no value:
    /// a ``Conv2D`` followed by ReLU and/or ``MaxPool2D`` (in either order) runs as one
    /// convolution whose epilogue pools and clamps each product while it is in cache, a
    /// ``Dense`` followed by ReLU clamps in its bias pass, and ReLU followed by max pooling
    /// pools first (ReLU is monotone, so the values are the same). Fusion never crosses `last`.
    /// - Precondition: `last` is an index into ``layers`` and `input` is `N × inputShape`.
    public func inferenceOutput(_ input: Tensor, through last: Int) -> Tensor {
        precondition(layers.indices.contains(last), "inferenceOutput: layer \(last) is outside 0..<\(layers.count)")
        func isReLU(_ i: Int) -> Bool { i <= last && (layers[i] as? Activation)?.kind == .relu }
        func maxPool(_ i: Int) -> MaxPool2D? { i <= last ? layers[i] as? MaxPool2D : nil }
        var x = input
        var i = 0
        while i <= last {
            if let conv = layers[i] as? Conv2D {
                var j = i + 1
                var relu = false, pool: Conv2DGeometry?
                if isReLU(j) {
                    relu = true; j += 1
                    if let p = maxPool(j) { pool = p.geometry; j += 1 }
                } else if let p = maxPool(j) {
                    pool = p.geometry; j += 1
                    if isReLU(j) { relu = true; j += 1 }
                }
                x = conv.infer(x, maxPool: pool, relu: relu)
                i = j
            } else if let dense = layers[i] as? Dense, isReLU(i + 1) {
                x = dense.infer(x, relu: true)
                i += 2
            } else if isReLU(i), let p = maxPool(i + 1) {
                x = Pooling.maxValues(x, geometry: p.geometry, relu: true)
                i += 2
            } else {
                x = layers[i].infer(x)
                i += 1
            }
        }
        return x
    }

    /// One line per layer with its output shape and parameter count.
    public var summary: String {
        var shape = inputShape
        var lines = ["input \(shape)"]
        for layer in layers {
            shape = (try? layer.outputShape(for: shape)) ?? []
            let n = layer.parameters.reduce(0) { $0 + $1.count }
            lines.append("\(layer.summary) → \(shape)\(n > 0 ? "  (\(n) parameters)" : "")")
        }
        lines.append("total parameters: \(parameterCount)")
        return lines.joined(separator: "\n")
    }
}
