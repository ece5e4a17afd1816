/// The structure of an ONNX `ModelProto`, read from its protobuf wire format without a
/// protobuf library and without loading weights: producer, opsets, operators, initializers
/// (name, dtype, shape, element count) and external-data references.
///
/// Used by `bulwark scan` (external data that escapes the model folder, custom operator
/// domains) and by the ML-BOM (parameter count, opset, producer). Nested graphs (If/Loop
/// bodies, functions) are walked to a depth of 8.
///
/// ```swift
/// let data = try Data(contentsOf: URL(fileURLWithPath: "model.onnx"))
/// let info = try OnnxModelInfo(bytes: [UInt8](data))
/// print(info.producerName, info.opsets, info.parameterCount)
/// ```
struct OnnxModelInfo: Sendable, Equatable {
    /// An `OperatorSetIdProto`: an operator domain ("" is the default ai.onnx) and version.
    struct Opset: Sendable, Equatable { var domain: String; var version: Int64 }
    /// A node's operator type and domain.
    struct Operator: Sendable, Equatable, Hashable { var domain: String; var opType: String }
    /// An initializer tensor (a weight).
    struct Tensor: Sendable, Equatable {
        var name: String
        /// ONNX `TensorProto.DataType` code (1 float, 7 int64, 10 float16, 16 bfloat16, ...).
        var dataType: Int32
        var dims: [Int64]
        /// Product of dims, nil when a dim is negative or the product overflows.
        var elementCount: Int64?
        /// `location` key of external data, nil when stored inline.
        var externalLocation: String?
        /// `data_location` is EXTERNAL.
        var isExternal = false
        /// A `segment` is set (the tensor is stored in chunks).
        var hasSegment = false
        /// Bytes of `raw_data`, nil when absent.
        var rawDataBytes: Int?
        /// Typed data fields present (4 float_data, 5 int32_data, 6 string_data, 7 int64_data,
        /// 10 double_data, 11 uint64_data), in first-seen order.
        var typedFields: [UInt64] = []
        /// Values held by the typed data fields, nil when a packed field's length does not
        /// divide into whole values.
        var typedValueCount: Int? = 0
    }

    var irVersion: Int64 = 0
    var producerName = ""
    var producerVersion = ""
    var domain = ""
    var modelVersion: Int64 = 0
    var opsets: [Opset] = []
    /// Distinct operators used in the main graph and nested graphs, in first-seen order.
    var operators: [Operator] = []
    var initializers: [Tensor] = []
    /// Number of nodes across all graphs walked.
    var nodeCount = 0

    /// Sum of initializer element counts (nil if any is unknown).
    var parameterCount: Int64? {
        var total: Int64 = 0
        for t in initializers {
            guard let n = t.elementCount else { return nil }
            let (s, o) = total.addingReportingOverflow(n)
            if o { return nil }
            total = s
        }
        return total
    }

    /// Parses a serialized `ModelProto`.
    init(bytes: [UInt8]) throws(FormatError) {
        var r = ProtobufReader(bytes)
        var sawGraph = false
        var seenOps = Set<Operator>()
        while let (field, value) = try r.next() {
            switch (field, value) {
            case (1, .varint(let v)): irVersion = Int64(truncatingIfNeeded: v)
            case (2, .bytes(let b)): producerName = r.string(b)
            case (3, .bytes(let b)): producerVersion = r.string(b)
            case (4, .bytes(let b)): domain = r.string(b)
            case (5, .varint(let v)): modelVersion = Int64(truncatingIfNeeded: v)
            case (7, .bytes(let b)):
                sawGraph = true
                try readGraph(bytes, b, depth: 0, seen: &seenOps)
            case (8, .bytes(let b)):
                var o = ProtobufReader(bytes, range: b)
                var opset = Opset(domain: "", version: 0)
                while let (f, v) = try o.next() {
                    if f == 1, case .bytes(let s) = v { opset.domain = o.string(s) }
                    if f == 2, case .varint(let n) = v { opset.version = Int64(truncatingIfNeeded: n) }
                }
                opsets.append(opset)
            case (25, .bytes(let b)): // FunctionProto: node = 3
                var fr = ProtobufReader(bytes, range: b)
                while let (f, v) = try fr.next() {
                    if f == 3, case .bytes(let n) = v { try readNode(bytes, n, depth: 1, seen: &seenOps) }
                }
            default: break
            }
        }
        guard sawGraph || irVersion > 0 else { throw FormatError("onnx: no ir_version and no graph; not an ONNX ModelProto") }
    }

    private mutating func readGraph(_ bytes: [UInt8], _ range: Range<Int>, depth: Int, seen: inout Set<Operator>) throws(FormatError) {
        guard depth < 8 else { throw FormatError("onnx: graphs nested deeper than 8") }
        var g = ProtobufReader(bytes, range: range)
        while let (field, value) = try g.next() {
            guard case .bytes(let b) = value else { continue }
            if field == 1 { try readNode(bytes, b, depth: depth, seen: &seen) }
            if field == 5 { initializers.append(try Self.readTensor(bytes, b)) }
        }
    }

    private mutating func readNode(_ bytes: [UInt8], _ range: Range<Int>, depth: Int, seen: inout Set<Operator>) throws(FormatError) {
        nodeCount += 1
        var n = ProtobufReader(bytes, range: range)
        var op = Operator(domain: "", opType: "")
        while let (field, value) = try n.next() {
            guard case .bytes(let b) = value else { continue }
            switch field {
            case 4: op.opType = n.string(b)
            case 7: op.domain = n.string(b)
            case 5: // AttributeProto: g = 6 (graph), graphs = 11
                var a = ProtobufReader(bytes, range: b)
                while let (af, av) = try a.next() {
                    if af == 6 || af == 11, case .bytes(let gb) = av { try readGraph(bytes, gb, depth: depth + 1, seen: &seen) }
                }
            default: break
            }
        }
        if seen.insert(op).inserted { operators.append(op) }
    }

    private static func readTensor(_ bytes: [UInt8], _ range: Range<Int>) throws(FormatError) -> Tensor {
        var t = ProtobufReader(bytes, range: range)
        var tensor = Tensor(name: "", dataType: 0, dims: [], elementCount: nil, externalLocation: nil)
        while let (field, value) = try t.next() {
            switch (field, value) {
            case (1, .varint(let v)): tensor.dims.append(Int64(truncatingIfNeeded: v))
            case (1, .bytes(let b)): // packed dims
                var p = ProtobufReader(bytes, range: b)
                while !p.isAtEnd { tensor.dims.append(Int64(truncatingIfNeeded: try p.readVarint())) }
            case (2, .varint(let v)): tensor.dataType = Int32(truncatingIfNeeded: v)
            case (8, .bytes(let b)): tensor.name = t.string(b)
            case (3, .bytes): tensor.hasSegment = true
            case (9, .bytes(let b)): tensor.rawDataBytes = (tensor.rawDataBytes ?? 0) + b.count
            case (14, .varint(let v)): tensor.isExternal = v == 1
            case (4, _), (5, _), (6, _), (7, _), (10, _), (11, _):
                if !tensor.typedFields.contains(field) { tensor.typedFields.append(field) }
                let n = Self.valueCount(field: field, value, bytes)
                if let c = tensor.typedValueCount, let n { tensor.typedValueCount = c + n } else { tensor.typedValueCount = nil }
            case (13, .bytes(let b)): // StringStringEntryProto key=1 value=2
                var e = ProtobufReader(bytes, range: b)
                var key = "", val = ""
                while let (f, v) = try e.next() {
                    if case .bytes(let s) = v { if f == 1 { key = e.string(s) } else if f == 2 { val = e.string(s) } }
                }
                if key == "location" { tensor.externalLocation = val }
            default: break
            }
        }
        var count: Int64? = 1
        for d in tensor.dims {
            guard let c = count, d >= 0 else { count = nil; break }
            let (m, o) = c.multipliedReportingOverflow(by: d)
            count = o ? nil : m
        }
        tensor.elementCount = count
        return tensor
    }

    /// Values in one occurrence of a typed data field: 1 when unpacked, else the packed
    /// payload's length in fixed-width values or varints (nil when it does not divide evenly
    /// or ends inside a varint).
    private static func valueCount(field: UInt64, _ value: ProtobufReader.Value, _ bytes: [UInt8]) -> Int? {
        guard case .bytes(let r) = value else { return 1 }
        switch field {
        case 6: return 1                                    // string_data: one bytes value each
        case 4: return r.count % 4 == 0 ? r.count / 4 : nil // packed float
        case 10: return r.count % 8 == 0 ? r.count / 8 : nil // packed double
        default:                                            // packed varints
            guard r.isEmpty || bytes[r.upperBound - 1] & 0x80 == 0 else { return nil }
            return bytes[r].reduce(0) { $0 + ($1 & 0x80 == 0 ? 1 : 0) }
        }
    }
}
