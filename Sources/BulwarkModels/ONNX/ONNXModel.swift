public import Foundation
public import BulwarkTensor

/// A classifier imported from an ONNX file, differentiable with respect to its input.
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
public struct ONNXModel: DifferentiableClassifier {
    let graph: ONNXGraph
    /// Shape of one example, without the batch axis (from the graph's first input).
    public let inputShape: [Int]
    /// Number of classes (width of the graph's first output).
    public let classCount: Int

    /// Loads and validates the ONNX file at `url`; external data is read from `url`'s folder only.
    public init(contentsOf url: URL, limits: ONNXLoadLimits = ONNXLoadLimits()) throws(ONNXError) {
        let bytes = try ONNXLoader.readFile(url, limits: limits)
        var loader = ONNXLoader(limits: limits, folder: url.deletingLastPathComponent(), fileLabel: url.lastPathComponent)
        try self.init(graph: try loader.decode(bytes))
    }

    /// Loads and validates an ONNX model held in memory (external data is refused).
    public init(serialized bytes: Data, limits: ONNXLoadLimits = ONNXLoadLimits()) throws(ONNXError) {
        var loader = ONNXLoader(limits: limits, folder: nil, fileLabel: "<memory>")
        try self.init(graph: try loader.decode(bytes))
    }

    init(graph: ONNXGraph) throws(ONNXError) {
        self.graph = graph
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
            let out = try ONNXExecutor(graph: graph).run(tape.constant(Tensor.zeros([batch] + shape)))
            guard out.shape.count == 2, out.shape[0] == batch, classes == nil || classes == out.shape[1] else {
                throw ONNXError(.unsupported, "output '\(graph.outputs[0].name)' should be batch × classes, got \(out.shape) for a batch of \(batch)")
            }
            classes = out.shape[1]
        }
        classCount = classes ?? 0
    }

    /// Differentiable logits on `input`'s tape. `input` must be N × `inputShape` (a programming error otherwise).
    public func logits(_ input: Variable) -> Variable {
        precondition(Array(input.shape.dropFirst()) == inputShape, "ONNXModel: input \(input.shape) does not match [N] + \(inputShape)")
        do {
            return try ONNXExecutor(graph: graph).run(input)
        } catch {
            // The graph ran at load time at batches 1, 2 and 3; only a graph whose shapes depend on the
            // batch size in another way gets here.
            preconditionFailure("ONNXModel: \(error)")
        }
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
