import BulwarkTensor

/// A value flowing through an ONNX graph at load or run time: float data, or integer data
/// (shapes, indices, axes) kept exact as `Int`.
enum ONNXValue {
    case float(Variable)
    case ints(shape: [Int], values: [Int])

    var shape: [Int] {
        switch self {
        case .float(let v): v.shape
        case .ints(let s, _): s
        }
    }
}

/// A constant tensor of an ONNX file after decoding: float or integer.
enum ONNXConstant: Sendable {
    case float(Tensor)
    case ints(shape: [Int], values: [Int])

    var shape: [Int] {
        switch self {
        case .float(let t): t.shape
        case .ints(let s, _): s
        }
    }

    var elementCount: Int {
        switch self {
        case .float(let t): t.count
        case .ints(_, let v): v.count
        }
    }
}

/// One attribute of a node, decoded.
enum ONNXAttribute: Sendable {
    case int(Int)
    case float(Float)
    case string(String)
    case ints([Int])
    case floats([Float])
    case tensor(ONNXConstant)
}

/// One node of the graph, decoded.
struct ONNXNode: Sendable {
    var name: String
    var opType: String
    var inputs: [String]
    var outputs: [String]
    var attributes: [String: ONNXAttribute]

    /// A readable label for error messages: the node's name, or its first output.
    var label: String { name.isEmpty ? "\(opType) -> \(outputs.first ?? "?")" : name }

    func int(_ key: String, default value: Int) throws(ONNXError) -> Int {
        guard let a = attributes[key] else { return value }
        guard case .int(let v) = a else { throw ONNXError(.malformed, "node '\(label)' (\(opType)): attribute '\(key)' should be an int") }
        return v
    }

    func float(_ key: String, default value: Float) throws(ONNXError) -> Float {
        guard let a = attributes[key] else { return value }
        guard case .float(let v) = a else { throw ONNXError(.malformed, "node '\(label)' (\(opType)): attribute '\(key)' should be a float") }
        return v
    }

    func ints(_ key: String) throws(ONNXError) -> [Int]? {
        guard let a = attributes[key] else { return nil }
        guard case .ints(let v) = a else { throw ONNXError(.malformed, "node '\(label)' (\(opType)): attribute '\(key)' should be a list of ints") }
        return v
    }

    func string(_ key: String, default value: String) throws(ONNXError) -> String {
        guard let a = attributes[key] else { return value }
        guard case .string(let v) = a else { throw ONNXError(.malformed, "node '\(label)' (\(opType)): attribute '\(key)' should be a string") }
        return v
    }
}

/// A declared graph input or output.
public struct ONNXTensorInfo: Codable, Sendable, Equatable {
    /// The value's name in the graph.
    public var name: String
    /// ONNX element type name (e.g. `float`).
    public var elementType: String
    /// Declared dimensions; `nil` for a symbolic (or unknown) dimension such as the batch.
    public var dimensions: [Int?]
    /// Symbolic dimension names where declared (same length as `dimensions`, empty string when none).
    public var dimensionNames: [String]
}

/// A validated ONNX graph: nodes in topological order, initializers decoded.
struct ONNXGraph: Sendable {
    var nodes: [ONNXNode]
    var initializers: [String: ONNXConstant]
    var inputs: [ONNXTensorInfo]
    var outputs: [ONNXTensorInfo]
    var opsetVersion: Int
    var producer: String
    /// Largest number of elements any value computed while running the graph may have
    /// (`ONNXLoadLimits.maxTensorElements` of the load).
    var maxValueElements: Int = 1 << 26
}
