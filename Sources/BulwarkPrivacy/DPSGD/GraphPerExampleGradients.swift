public import BulwarkModels
public import BulwarkTensor

extension PerExampleGradients {
    /// Runs one forward and one backward pass of an imported ONNX graph on a batch and collects
    /// the factors of every node that holds trainable parameters (``ONNXModel/parameterNames``):
    ///
    /// - `Gemm` (transA = 0) and `MatMul` with an N×K data input: `g_i = α·a_i δ_iᵀ` (or its
    ///   transpose for transB = 1), `‖g_i‖² = α²‖a_i‖²‖δ_i‖²`; the bias C gets `β·δ_i` summed over
    ///   the axes C broadcasts along.
    /// - `Conv` with group = 1: as a zoo Conv2D (batched per-example weight gradients or ghost
    ///   norms), with the geometry the executor built from pads, strides and dilations.
    /// - `Add` of a bias broadcast over the batch: `δ_i` summed over the broadcast axes.
    ///
    /// - Throws: ``PrivacyError`` naming the node when the graph has batch normalisation, shares a
    ///   parameter between nodes, or uses one in another operator or layout (see
    ///   `ONNXModel.perExampleParameterNodes()`), or when the inputs or labels do not fit. No
    ///   parameter is ever left out: each gets a per-example gradient or the model is refused.
    public init(model: ONNXModel, inputs: Tensor, labels: [Int]) throws(PrivacyError) {
        let n = labels.count
        guard inputs.shape.first == n, Array(inputs.shape.dropFirst()) == model.inputShape else {
            throw PrivacyError(parameter: "inputs", message: "expected \(n)×\(model.inputShape) inputs, got \(inputs.shape)")
        }
        let nodes = try Self.parameterNodes(of: model)
        if let bad = labels.first(where: { $0 < 0 || $0 >= model.classCount }) {
            throw PrivacyError(parameter: "labels", message: "label \(bad) outside 0..<\(model.classCount)")
        }
        let shapes = model.parameters.map(\.shape)
        layers = []
        batchSize = n
        if n == 0 {
            graph = GraphFactors(nodes: [], parameterShapes: shapes)
            losses = []; predictions = []; squaredNorms = []
            return
        }
        let tape = Tape()
        let anchor = tape.variable(Tensor(0))
        let logits: Variable, taps: [ONNXNodeTap]
        do throws(ONNXError) {
            (logits, taps) = try model.tappedForward(tape.constant(inputs), anchor: anchor, nodes: nodes)
        } catch {
            throw PrivacyError(parameter: "model", message: error.message)
        }
        // Σ_i ℓ_i, so each error row is example i's own gradient (no 1/N).
        let total = softmaxCrossEntropy(logits: logits, labels: labels) * Float(n)
        _ = tape.gradients(of: total, wrt: [anchor])
        var factors: [GraphFactors.Node] = []
        var sq = [Float](repeating: 0, count: n)
        for t in taps {
            var f = GraphFactors.Node(layout: t.node.layout, input: t.input, error: t.outputError ?? Tensor.zeros(t.outputShape),
                                      geometry: t.geometry, shapes: shapes)
            let part = f.squaredNorms()
            for i in 0..<n { sq[i] += part[i] }
            factors.append(f)
        }
        graph = GraphFactors(nodes: factors, parameterShapes: shapes)
        let logp = logits.value.logSoftmax(axis: 1)
        let c = model.classCount
        losses = (0..<n).map { -logp.scalars[$0 * c + labels[$0]] }
        predictions = logits.value.argmaxRows()
        squaredNorms = sq
    }

    /// The graph's parameter nodes, or a ``PrivacyError`` naming the node that has no per-example gradient.
    static func parameterNodes(of model: ONNXModel) throws(PrivacyError) -> [ONNXParameterNode] {
        do throws(ONNXPerExampleRefusal) {
            return try model.perExampleParameterNodes()
        } catch {
            throw PrivacyError(parameter: "model", message: "\(error.message) (DP-SGD needs a per-example gradient for every parameter)")
        }
    }
}

/// The per-example factors of an imported graph's parameter nodes.
struct GraphFactors {
    struct Node {
        let layout: ONNXParameterNode.Layout
        /// The node's data input (N × …).
        let input: Tensor
        /// ∂(Σ_i ℓ_i)/∂(node output).
        let error: Tensor
        /// Conv only.
        let geometry: Conv2DGeometry?
        /// Shapes of all the model's parameters.
        let shapes: [[Int]]
        /// Conv, when materialised: N × O × (C·kh·kw).
        var perExampleWeight: Tensor? = nil
        /// Per-example bias gradients (before β), N × |bias|.
        var perExampleBias: Tensor? = nil

        init(layout: ONNXParameterNode.Layout, input: Tensor, error: Tensor, geometry: Conv2DGeometry?, shapes: [[Int]]) {
            self.layout = layout
            self.input = input
            self.error = error
            self.geometry = geometry
            self.shapes = shapes
        }

        /// ‖g_i‖² over the node's parameters; keeps what the clipped sum reuses.
        mutating func squaredNorms() -> [Float] {
            let n = error.shape[0]
            var out = [Float](repeating: 0, count: n)
            switch layout {
            case let .linear(weight, _, alpha, bias, beta):
                let d = PerExampleGradients.rowSquaredNorms(error)
                if weight != nil {
                    let a = PerExampleGradients.rowSquaredNorms(input)
                    for i in 0..<n { out[i] += alpha * alpha * a[i] * d[i] }
                }
                if let bias {
                    let b = GraphFactors.reduceToBroadcast(error, shapes[bias])
                    perExampleBias = b
                    let s = b.shape == error.shape ? d : PerExampleGradients.rowSquaredNorms(b)
                    for i in 0..<n { out[i] += beta * beta * s[i] }
                }
            case let .convolution(weight, bias):
                let biasRows: Tensor
                if let weight, let g = geometry {
                    let (total, kept, biases) = PerExampleGradients.convSquaredNorms(input: input, error: error, geometry: g,
                                                                                      weightShape: shapes[weight])
                    perExampleWeight = kept
                    biasRows = biases
                    let b = PerExampleGradients.rowSquaredNorms(biases)
                    // total holds weight + bias parts: drop the bias part when the node has no bias
                    for i in 0..<n { out[i] += bias == nil ? Swift.max(0, total[i] - b[i]) : total[i] }
                } else {
                    biasRows = error.sum(axes: [2, 3])
                    if bias != nil {
                        let b = PerExampleGradients.rowSquaredNorms(biasRows)
                        for i in 0..<n { out[i] += b[i] }
                    }
                }
                if bias != nil { perExampleBias = biasRows }
            case let .bias(parameter):
                let b = GraphFactors.reduceToBroadcast(error, shapes[parameter])
                perExampleBias = b
                out = PerExampleGradients.rowSquaredNorms(b)
            }
            return out
        }
    }

    let nodes: [Node]
    let parameterShapes: [[Int]]

    /// Σ_i c_i·g_i for every parameter, in the model's parameter order. Every parameter belongs
    /// to exactly one node (``ONNXModel/perExampleParameterNodes()`` refuses anything else).
    func clippedSum(_ c: [Float]) -> [Tensor] {
        var out: [Tensor?] = parameterShapes.map { _ in nil }
        for f in nodes {
            switch f.layout {
            case let .linear(weight, transposed, alpha, bias, beta):
                let scaled = PerExampleGradients.scaleRows(f.error, by: c)
                if let weight {
                    // transB = 1: W is out×in, Σ c_i α δ_i a_iᵀ; otherwise in×out, Σ c_i α a_i δ_iᵀ
                    let g = transposed ? Tensor.matmul(scaled, f.input, transposeA: true) : Tensor.matmul(f.input, scaled, transposeA: true)
                    out[weight] = alpha == 1 ? g : g * alpha
                }
                if let bias, let rows = f.perExampleBias {
                    let g = PerExampleGradients.weightedSum(rows, factors: c, shape: parameterShapes[bias])
                    out[bias] = beta == 1 ? g : g * beta
                }
            case let .convolution(weight, bias):
                if let weight, let g = f.geometry {
                    let shape = parameterShapes[weight]
                    if let perExample = f.perExampleWeight {
                        out[weight] = PerExampleGradients.weightedSum(perExample, factors: c, shape: shape)
                    } else {
                        let scaled = PerExampleGradients.scaleRows(f.error, by: c)
                        let dw = Convolution.backward(scaled, f.input, Tensor.zeros(shape), geometry: g, groups: 1,
                                                      needInput: false, needWeight: true).dw
                        out[weight] = dw ?? Tensor.zeros(shape)
                    }
                }
                if let bias, let rows = f.perExampleBias {
                    out[bias] = PerExampleGradients.weightedSum(rows, factors: c, shape: parameterShapes[bias])
                }
            case let .bias(parameter):
                if let rows = f.perExampleBias {
                    out[parameter] = PerExampleGradients.weightedSum(rows, factors: c, shape: parameterShapes[parameter])
                }
            }
        }
        // A node whose output the loss never reaches still has its (zero) gradient above.
        return zip(out, parameterShapes).map { $0 ?? Tensor.zeros($1) }
    }

    /// Example i's gradient of a parameter of `shape` added (broadcast) to an output whose error
    /// is `error` (N × d₁ × … × d_k): `error[i]` summed over the axes the parameter broadcasts
    /// along, as an N × |shape| tensor. A leading axis of size 1 in `shape` is the batch's.
    static func reduceToBroadcast(_ error: Tensor, _ shape: [Int]) -> Tensor {
        let n = error.shape[0]
        let inner = Array(error.shape.dropFirst())
        var s = shape
        if s.count == inner.count + 1 { s.removeFirst() }
        s = [Int](repeating: 1, count: Swift.max(0, inner.count - s.count)) + s
        let axes = inner.indices.filter { s[$0] == 1 && inner[$0] != 1 }.map { $0 + 1 }
        let reduced = axes.isEmpty ? error : error.sum(axes: axes, keepDims: true)
        return reduced.reshaped([n, Tensor.elementCount(shape)])
    }
}
