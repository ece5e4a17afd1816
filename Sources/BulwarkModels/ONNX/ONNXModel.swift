public import Foundation
public import BulwarkTensor

/// A classifier imported from an ONNX file, differentiable with respect to its input, and a
/// ``TrainableModel``: it can be fine-tuned and written back with ``ONNXExporter``.
///
/// Loading validates everything before any tensor is allocated at the size a file asks for:
/// the file size, opset (13 to 21), that every operator is supported (an unsupported one is
/// reported with the node's name), the graph's topological order (cycles are refused), every
/// initializer's type, shape and byte count, and external-data locations (which must stay inside
/// the model's folder). Then the graph is run once on a batch of two zero inputs so that a shape
/// error surfaces as a thrown `ONNXError` at load time rather than at attack time.
///
/// ```swift
/// let model = try ONNXModel(contentsOf: URL(fileURLWithPath: "mlp.onnx"))
/// let x = Tensor.zeros([2] + model.inputShape), y = [3, 7]   // a batch of two examples
/// let (loss, grad) = model.lossAndInputGradient(x, labels: y)
/// ```
///
/// Trainable parameters are the float initializers that are weights or biases: inputs 1–2 of
/// `Conv` and `Gemm`, initializer operands of `MatMul` and `Add`, and the scale and bias of
/// `BatchNormalization`; integer initializers (shapes, indices) never are. Parameters are named
/// by their initializer names and ordered by first use in the graph. The running mean and
/// variance of `BatchNormalization` are buffers: a training-mode forward pass normalises with
/// batch statistics and updates them as PyTorch does (ONNX `momentum` m keeps m of the old
/// value, i.e. PyTorch's momentum 1 − m; the variance folded in is the unbiased batch variance).
/// `Dropout` stays the identity in training.
public struct ONNXModel: TrainableModel {
    var graph: ONNXGraph
    /// The executor's fusions, made once from the graph's nodes (training changes only weights).
    let plan: ONNXExecutionPlan
    /// The file's bytes as loaded; ``ONNXExporter`` rewrites only initializer values in them.
    let source: Data
    /// Names of the trainable initializers, in order of first use.
    public let parameterNames: [String]
    /// Names of the batch-normalisation running statistics (`mean`, `var` initializers), in order of first use.
    public let bufferNames: [String]
    /// Shape of one example, without the batch axis (from the graph's first input).
    public let inputShape: [Int]
    /// Number of classes (width of the graph's first output).
    public let classCount: Int

    /// Loads and validates the ONNX file at `url`; external data is read from `url`'s folder only.
    public init(contentsOf url: URL, limits: ONNXLoadLimits = ONNXLoadLimits()) throws(ONNXError) {
        let bytes = try ONNXLoader.readFile(url, limits: limits)
        var loader = ONNXLoader(limits: limits, folder: url.deletingLastPathComponent(), fileLabel: url.lastPathComponent)
        try self.init(graph: try loader.decode(bytes), source: bytes)
    }

    /// Loads and validates an ONNX model held in memory (external data is refused).
    public init(serialized bytes: Data, limits: ONNXLoadLimits = ONNXLoadLimits()) throws(ONNXError) {
        var loader = ONNXLoader(limits: limits, folder: nil, fileLabel: "<memory>")
        try self.init(graph: try loader.decode(bytes), source: bytes)
    }

    init(graph: ONNXGraph, source: Data) throws(ONNXError) {
        self.graph = graph
        self.plan = ONNXExecutionPlan(graph: graph)
        self.source = source
        (parameterNames, bufferNames) = Self.trainableInitializers(graph)
        guard graph.inputs.count == 1, let input = graph.inputs.first else {
            throw ONNXError(.unsupported, "a classifier needs exactly one non-initializer graph input, found \(graph.inputs.count)")
        }
        guard input.elementType == "float" else {
            throw ONNXError(.unsupported, "input '\(input.name)' has element type \(input.elementType); only float inputs are supported")
        }
        guard input.dimensions.count >= 2 else {
            throw ONNXError(.unsupported, "input '\(input.name)' should be batch × features, got rank \(input.dimensions.count)")
        }
        var shape: [Int] = []
        for (i, d) in input.dimensions.dropFirst().enumerated() {
            guard let d, d > 0 else {
                throw ONNXError(.unsupported, "input '\(input.name)' has a non-static dimension at position \(i + 1)")
            }
            shape.append(d)
        }
        guard graph.outputs.count >= 1 else { throw ONNXError(.invalidGraph, "the graph declares no output") }
        inputShape = shape
        // Dry runs at batches 2, 1 and 3 turn shape errors — including graphs that hard-code a batch
        // size — into load-time errors, so `logits` does not meet them later on a user's batch.
        var classes: Int?
        for batch in [2, 1, 3] {
            let tape = Tape()
            let out = try ONNXExecutor(graph: graph, plan: plan).run(tape.constant(Tensor.zeros([batch] + shape)))
            guard out.shape.count == 2, out.shape[0] == batch, classes == nil || classes == out.shape[1] else {
                throw ONNXError(.unsupported, "output '\(graph.outputs[0].name)' should be batch × classes, got \(out.shape) for a batch of \(batch)")
            }
            classes = out.shape[1]
        }
        classCount = classes ?? 0
        // Training mode differs only in batch normalisation (batch statistics): one dry run in that
        // mode too, so `forward` does not meet a shape error on a graph that trains.
        if !bufferNames.isEmpty {
            let tape = Tape()
            _ = try ONNXExecutor(graph: graph, plan: plan).run(tape.constant(Tensor.zeros([2] + shape)), parameters: [:], training: true)
        }
    }

    /// Differentiable logits on `input`'s tape. `input` must be N × `inputShape` (a programming error otherwise).
    ///
    /// The load-time dry runs do not prove that every batch size works: a graph can slice the
    /// batch axis to a constant length or take a shape from its input's values. When the batch
    /// fails (or answers a different number of rows) it is run row by row, and a row the graph
    /// cannot compute gets not-a-number logits. Callers already treat NaN as failure: the
    /// gateway answers 500 for such rows, training stops as diverged, detectors count a NaN
    /// score as fired. Nothing here stops the process, so a hostile graph cannot crash a server.
    public func logits(_ input: Variable) -> Variable {
        precondition(Array(input.shape.dropFirst()) == inputShape, "ONNXModel: input \(input.shape) does not match [N] + \(inputShape)")
        let n = input.shape[0]
        if let out = try? ONNXExecutor(graph: graph, plan: plan).run(input), out.shape == [n, classCount] { return out }
        return rowByRow(input) { row throws(ONNXError) in try ONNXExecutor(graph: graph, plan: plan).run(row) }
    }

    /// Logits computed one example at a time by `run`; NaN rows where `run` fails or answers
    /// another shape. See ``logits(_:)``.
    func rowByRow(_ input: Variable, run: (Variable) throws(ONNXError) -> Variable) -> Variable {
        let n = input.shape[0], width = Tensor.elementCount(inputShape)
        guard n > 0 else { return input.tape.constant(Tensor.zeros([0, classCount])) }
        var rows: [Variable] = []
        rows.reserveCapacity(n)
        for r in 0..<n {
            let row = recordIndexed(input, outShape: [1] + inputShape, table: Array(r * width..<(r + 1) * width))
            if let out = try? run(row), out.shape == [1, classCount] {
                rows.append(out)
            } else {
                rows.append(input.tape.constant(Tensor(repeating: .nan, shape: [1, classCount])))
            }
        }
        return concatenate(rows, axis: 0)
    }

    // MARK: training

    /// Float initializers that are weights or biases (parameters) or running statistics (buffers).
    static func trainableInitializers(_ graph: ONNXGraph) -> (parameters: [String], buffers: [String]) {
        var parameters: [String] = [], buffers: [String] = [], seen = Set<String>()
        for node in graph.nodes {
            let weightSlots: [Int], bufferSlots: [Int]
            switch node.opType {
            case "Conv", "Gemm": (weightSlots, bufferSlots) = ([1, 2], [])
            case "MatMul", "Add": (weightSlots, bufferSlots) = ([0, 1], [])
            case "BatchNormalization": (weightSlots, bufferSlots) = ([1, 2], [3, 4])
            default: continue
            }
            for (slot, isBuffer) in weightSlots.map({ ($0, false) }) + bufferSlots.map({ ($0, true) }) where slot < node.inputs.count {
                let name = node.inputs[slot]
                guard !seen.contains(name), case .float? = graph.initializers[name] else { continue }
                seen.insert(name)
                if isBuffer { buffers.append(name) } else { parameters.append(name) }
            }
        }
        return (parameters, buffers)
    }

    func initializer(_ name: String) -> Tensor {
        guard case .float(let t)? = graph.initializers[name] else { preconditionFailure("ONNXModel: '\(name)' is not a float initializer") }
        return t
    }

    /// The trainable initializers, in the order of ``parameterNames``. Setting replaces them
    /// one-to-one; each new tensor must keep its shape (a programming error otherwise).
    public var parameters: [Tensor] {
        get { parameterNames.map(initializer) }
        set {
            precondition(newValue.count == parameterNames.count, "expected \(parameterNames.count) parameters, got \(newValue.count)")
            for (name, t) in zip(parameterNames, newValue) {
                precondition(t.shape == initializer(name).shape, "parameter '\(name)': shape \(t.shape), expected \(initializer(name).shape)")
                graph.initializers[name] = .float(t)
            }
        }
    }

    /// Batch-normalisation running statistics, in the order of ``bufferNames``.
    public var buffers: [Tensor] { bufferNames.map(initializer) }

    /// Parameters then buffers, each under its initializer name.
    public var namedTensors: [(name: String, tensor: Tensor)] {
        zip(parameterNames, parameters).map { ($0, $1) } + zip(bufferNames, buffers).map { ($0, $1) }
    }

    /// The graph run with ``parameters`` supplied as tape variables; in training mode batch
    /// normalisation uses batch statistics and the new running statistics are returned by name.
    public func forward(_ input: Variable, parameters: [Variable], context: inout ForwardContext)
        -> (output: Variable, bufferUpdates: [String: Tensor]) {
        precondition(parameters.count == parameterNames.count, "ONNXModel: \(parameters.count) parameters for \(parameterNames.count)")
        precondition(Array(input.shape.dropFirst()) == inputShape, "ONNXModel: input \(input.shape) does not match [N] + \(inputShape)")
        var bound: [String: Variable] = [:]
        for (name, v) in zip(parameterNames, parameters) { bound[name] = v }
        let n = input.shape[0]
        if let result = try? ONNXExecutor(graph: graph, plan: plan).run(input, parameters: bound, training: context.training),
           result.output.shape == [n, classCount] {
            return result
        }
        // A batch the graph cannot compute (see `logits`): NaN logits, which training reports as
        // divergence; no running statistics change.
        return (input.tape.constant(Tensor(repeating: .nan, shape: [n, classCount])), [:])
    }

    /// Installs the running statistics returned by ``forward(_:parameters:context:)``.
    public mutating func applyBufferUpdates(_ updates: [String: Tensor]) {
        for (name, t) in updates where bufferNames.contains(name) { graph.initializers[name] = .float(t) }
    }

    /// A summary of the model: declared inputs and outputs, opset, operators and parameter count.
    public var summary: ONNXSummary {
        var counts: [String: Int] = [:]
        for n in graph.nodes { counts[n.opType, default: 0] += 1 }
        return ONNXSummary(inputs: graph.inputs, outputs: graph.outputs, opsetVersion: graph.opsetVersion,
                           producer: graph.producer, operatorCounts: counts,
                           parameterCount: graph.initializers.values.reduce(0) { $0 + $1.elementCount })
    }
}

/// What `bulwark inspect` prints about an ONNX model.
public struct ONNXSummary: Codable, Sendable, Equatable {
    /// Declared graph inputs (initializers excluded).
    public var inputs: [ONNXTensorInfo]
    /// Declared graph outputs.
    public var outputs: [ONNXTensorInfo]
    /// Version of the default-domain opset.
    public var opsetVersion: Int
    /// The exporter that wrote the file (as it claims).
    public var producer: String
    /// How many nodes use each operator.
    public var operatorCounts: [String: Int]
    /// Number of scalar parameters held in initializers.
    public var parameterCount: Int
}

/// Loads a classifier from `url`: ONNX (`.onnx`) through `ONNXModel`.
///
/// Throws `ONNXError` for a file that is not a supported ONNX model.
public func loadONNXClassifier(_ url: URL) throws(ONNXError) -> any DifferentiableClassifier {
    try ONNXModel(contentsOf: url)
}
