import BulwarkAccess

/// The element types of the Open Inference Protocol (KServe v2) that a classifier's input can
/// be sent as. Every one is read as numbers from JSON and converted to `Float`; `BYTES` is
/// refused (a classifier takes numbers).
public enum InferenceDatatype: String, Sendable, CaseIterable, Codable {
    /// Booleans (`true`/`false` or 0/1).
    case bool = "BOOL"
    /// Unsigned 8-bit integers (0…255).
    case uint8 = "UINT8"
    /// Unsigned 16-bit integers.
    case uint16 = "UINT16"
    /// Unsigned 32-bit integers.
    case uint32 = "UINT32"
    /// Unsigned 64-bit integers.
    case uint64 = "UINT64"
    /// Signed 8-bit integers.
    case int8 = "INT8"
    /// Signed 16-bit integers.
    case int16 = "INT16"
    /// Signed 32-bit integers.
    case int32 = "INT32"
    /// Signed 64-bit integers.
    case int64 = "INT64"
    /// Half-precision floats (sent as JSON numbers).
    case fp16 = "FP16"
    /// Single-precision floats.
    case fp32 = "FP32"
    /// Double-precision floats.
    case fp64 = "FP64"

    /// Whether elements must be whole numbers.
    var isInteger: Bool {
        switch self {
        case .fp16, .fp32, .fp64: false
        default: true
        }
    }

    /// The closed range an element must lie in, or `nil` when any finite number fits.
    var range: ClosedRange<Double>? {
        switch self {
        case .bool: 0...1
        case .uint8: 0...255
        case .uint16: 0...65_535
        case .uint32: 0...4_294_967_295
        case .uint64: 0...18_446_744_073_709_551_615
        case .int8: -128...127
        case .int16: -32_768...32_767
        case .int32: -2_147_483_648...2_147_483_647
        case .int64: -9_223_372_036_854_775_808...9_223_372_036_854_775_807
        case .fp16: -65_504...65_504
        case .fp32: -3.4028234663852886e38...3.4028234663852886e38
        case .fp64: nil
        }
    }
}

/// An input of an inference request.
public typealias InferenceInput = InferenceTensor
/// An output of an inference response (`FP32` probabilities, `INT64` labels).
public typealias InferenceOutput = InferenceTensor

/// One tensor of the protocol, in a request or a response: its name, shape, datatype and the
/// elements in row-major order (as `Float`).
public struct InferenceTensor: Sendable, Equatable {
    /// The tensor's name (the model's metadata lists the ones it takes and gives).
    public var name: String
    /// The tensor's shape, batch axis first.
    public var shape: [Int]
    /// The datatype declared.
    public var datatype: InferenceDatatype
    /// The elements, row-major, as `Float`.
    public var data: [Float]

    /// A tensor with every field given.
    public init(name: String, shape: [Int], datatype: InferenceDatatype, data: [Float]) {
        self.name = name
        self.shape = shape
        self.datatype = datatype
        self.data = data
    }
}

/// Bounds on what an inference request may hold, checked while it is parsed (before any
/// allocation grows past them).
public struct InferenceRequestLimits: Sendable, Equatable {
    /// Most tensor elements over all inputs.
    public var maxElements: Int
    /// Most inputs.
    public var maxInputs: Int
    /// Deepest nesting of JSON arrays and objects.
    public var maxDepth: Int
    /// Longest string (names, ids, parameter values), in bytes.
    public var maxStringBytes: Int

    /// Limits with defaults fit for image classifiers (4 M elements, 8 inputs, depth 32, 4 KiB strings).
    public init(maxElements: Int = 4 << 20, maxInputs: Int = 8, maxDepth: Int = 32, maxStringBytes: Int = 4096) {
        self.maxElements = maxElements
        self.maxInputs = maxInputs
        self.maxDepth = maxDepth
        self.maxStringBytes = maxStringBytes
    }
}

/// A parsed Open Inference Protocol (KServe v2 REST) inference request:
/// `{"id": …, "parameters": {…}, "inputs": [{"name", "shape", "datatype", "data"}], "outputs": [{"name"}]}`.
///
/// `data` may be flat (row-major) or nested arrays; nested arrays are flattened. Parameters are
/// read and ignored (answers are always JSON, even when `binary_data_output` asks for binary);
/// binary input data (`binary_data_size`) is refused.
///
/// ```swift
/// let body = #"{"inputs":[{"name":"x","shape":[1,2],"datatype":"FP32","data":[0.5,1]}]}"#
/// let request = try InferenceRequest(json: Array(body.utf8))
/// print(request.inputs[0].data)   // [0.5, 1.0]
/// ```
public struct InferenceRequest: Sendable, Equatable {
    /// The client's request id, echoed in the response.
    public var id: String?
    /// The inputs, in the order sent.
    public var inputs: [InferenceInput]
    /// The output names the client asked for (empty: all).
    public var requestedOutputs: [String]

    /// A request with every field given.
    public init(id: String? = nil, inputs: [InferenceInput], requestedOutputs: [String] = []) {
        self.id = id
        self.inputs = inputs
        self.requestedOutputs = requestedOutputs
    }

    /// Parses the JSON body of an inference request.
    ///
    /// - Throws: ``ServingError`` `.invalidRequest` with a one-line message naming the field
    ///   (malformed JSON, a missing or mistyped field, a shape whose element count differs from
    ///   the data's, a value outside its datatype, a limit exceeded).
    public init(json bytes: some Collection<UInt8>, limits: InferenceRequestLimits = InferenceRequestLimits()) throws(ServingError) {
        let array = Array(bytes)
        var parsed: InferenceRequest?
        var failure: ServingError?
        array.withUnsafeBufferPointer { buffer in
            var reader = InferenceJSONReader(buffer, limits: limits)
            do throws(ServingError) {
                parsed = try reader.request()
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
        guard let parsed else { throw ServingError(.invalidRequest, "request body: expected a JSON object") }
        self = parsed
    }
}

/// An Open Inference Protocol inference response:
/// `{"model_name", "model_version", "id", "parameters", "outputs": [{"name", "shape", "datatype", "data"}]}`.
public struct InferenceResponse: Sendable, Equatable {
    /// The model's name.
    public var modelName: String
    /// The version that answered.
    public var modelVersion: String
    /// The request's id, when it had one.
    public var id: String?
    /// Response parameters (e.g. `bulwark_flagged`), string or number values written as given.
    public var parameters: [(String, String)]
    /// The outputs.
    public var outputs: [InferenceOutput]

    /// A response with every field given.
    public init(modelName: String, modelVersion: String, id: String? = nil, parameters: [(String, String)] = [], outputs: [InferenceOutput]) {
        self.modelName = modelName
        self.modelVersion = modelVersion
        self.id = id
        self.parameters = parameters
        self.outputs = outputs
    }

    /// Whether two responses have the same fields.
    public static func == (lhs: InferenceResponse, rhs: InferenceResponse) -> Bool {
        lhs.modelName == rhs.modelName && lhs.modelVersion == rhs.modelVersion && lhs.id == rhs.id
            && lhs.parameters.map(\.0) == rhs.parameters.map(\.0) && lhs.parameters.map(\.1) == rhs.parameters.map(\.1)
            && lhs.outputs == rhs.outputs
    }

    /// The response as JSON bytes. Parameter values that parse as numbers or booleans are written
    /// bare, others as strings; floats use the shortest text that reads back exactly.
    public func json() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(64 + outputs.reduce(0) { $0 + $1.data.count * 12 })
        out.append(contentsOf: #"{"model_name":"#.utf8)
        CanonicalJSON.writeString(modelName, into: &out)
        out.append(contentsOf: #","model_version":"#.utf8)
        CanonicalJSON.writeString(modelVersion, into: &out)
        if let id {
            out.append(contentsOf: #","id":"#.utf8)
            CanonicalJSON.writeString(id, into: &out)
        }
        if !parameters.isEmpty {
            out.append(contentsOf: #","parameters":{"#.utf8)
            for (index, (key, value)) in parameters.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                CanonicalJSON.writeString(key, into: &out)
                out.append(UInt8(ascii: ":"))
                if value == "true" || value == "false" || Double(value)?.isFinite == true {
                    out.append(contentsOf: value.utf8)
                } else {
                    CanonicalJSON.writeString(value, into: &out)
                }
            }
            out.append(UInt8(ascii: "}"))
        }
        out.append(contentsOf: #","outputs":["#.utf8)
        for (index, output) in outputs.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: #"{"name":"#.utf8)
            CanonicalJSON.writeString(output.name, into: &out)
            out.append(contentsOf: #","datatype":""#.utf8)
            out.append(contentsOf: output.datatype.rawValue.utf8)
            out.append(contentsOf: #"","shape":["#.utf8)
            out.append(contentsOf: output.shape.map(String.init).joined(separator: ",").utf8)
            out.append(contentsOf: #"],"data":["#.utf8)
            for (i, value) in output.data.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                if output.datatype.isInteger {
                    out.append(contentsOf: String(Int64(value)).utf8)
                } else if value.isFinite {
                    out.append(contentsOf: value.description.utf8)
                } else {
                    out.append(contentsOf: "null".utf8)
                }
            }
            out.append(contentsOf: "]}".utf8)
        }
        out.append(contentsOf: "]}".utf8)
        return out
    }
}
