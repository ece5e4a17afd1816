import BulwarkArchive
import Foundation
import SwiftProtobuf
import BulwarkTensor

/// Limits the ONNX loader enforces before it allocates anything an untrusted file asks for.
public struct ONNXLoadLimits: Sendable {
    /// Largest model file accepted, in bytes.
    public var maxFileBytes: Int
    /// Largest number of elements one tensor (initializer, constant or declared input) may have.
    public var maxTensorElements: Int
    /// Largest number of elements of all initializers together.
    public var maxTotalElements: Int
    /// Largest number of nodes in the graph.
    public var maxNodes: Int

    /// Defaults: 1 GiB files, 64 Mi elements per tensor, 256 Mi in all, 100 000 nodes.
    public init(maxFileBytes: Int = 1 << 30, maxTensorElements: Int = 1 << 26,
                maxTotalElements: Int = 1 << 28, maxNodes: Int = 100_000) {
        self.maxFileBytes = maxFileBytes
        self.maxTensorElements = maxTensorElements
        self.maxTotalElements = maxTotalElements
        self.maxNodes = maxNodes
    }
}

/// Turns ONNX bytes into a validated `ONNXGraph`.
struct ONNXLoader {
    static let supportedOpsets = 13...21
    static let supportedOperators: Set<String> = [
        "Gemm", "MatMul", "Add", "Sub", "Mul", "Div", "Neg", "Sqrt", "Pow", "Exp", "Log", "Relu",
        "LeakyRelu", "Elu", "Sigmoid", "Tanh", "Softmax", "LogSoftmax", "Conv", "MaxPool",
        "AveragePool", "GlobalAveragePool", "BatchNormalization", "Flatten", "Reshape", "Transpose",
        "Concat", "Squeeze", "Unsqueeze", "Gather", "Slice", "Constant", "Identity", "Dropout", "Clip",
        "Pad", "ReduceMean", "ReduceSum", "Shape", "Cast", "Erf", "ConstantOfShape",
    ]

    let limits: ONNXLoadLimits
    /// Folder external data must stay inside; `nil` when loading from memory (external data refused).
    let folder: URL?
    let fileLabel: String
    var totalElements = 0

    init(limits: ONNXLoadLimits, folder: URL?, fileLabel: String) {
        self.limits = limits
        self.folder = folder
        self.fileLabel = fileLabel
    }

    static func readFile(_ url: URL, limits: ONNXLoadLimits) throws(ONNXError) -> Data {
        let size: Int
        do {
            let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
            size = (attributes[.size] as? NSNumber)?.intValue ?? -1
        } catch {
            throw ONNXError(.io, "\(url.lastPathComponent): cannot read the file", underlying: error)
        }
        guard size >= 0 else { throw ONNXError(.io, "\(url.lastPathComponent): cannot read the file size") }
        guard size <= limits.maxFileBytes else {
            throw ONNXError(.io, "\(url.lastPathComponent): \(size) bytes is over the \(limits.maxFileBytes)-byte limit")
        }
        do { try FileChecks.requireRegularFile(url.path) } catch { throw ONNXError(.io, error.message, underlying: error) }
        do { return try Data(contentsOf: url) } catch {
            throw ONNXError(.io, "\(url.lastPathComponent): cannot read the file", underlying: error)
        }
    }

    mutating func decode(_ bytes: Data) throws(ONNXError) -> ONNXGraph {
        guard bytes.count <= limits.maxFileBytes else {
            throw ONNXError(.io, "\(fileLabel): \(bytes.count) bytes is over the \(limits.maxFileBytes)-byte limit")
        }
        let model: Onnx_ModelProto
        do {
            var options = BinaryDecodingOptions()
            options.messageDepthLimit = 64
            model = try Onnx_ModelProto(serializedBytes: bytes, options: options)
        } catch {
            throw ONNXError(.malformed, "\(fileLabel): not a valid ONNX protobuf (\(error))", underlying: error)
        }
        guard model.hasGraph else { throw ONNXError(.malformed, "\(fileLabel): the model has no graph") }
        var opset: Int?
        for entry in model.opsetImport where entry.domain.isEmpty || entry.domain == "ai.onnx" {
            opset = Int(entry.version)
        }
        guard let opset else { throw ONNXError(.malformed, "\(fileLabel): no opset import for the default ONNX domain") }
        guard Self.supportedOpsets.contains(opset) else {
            throw ONNXError(.unsupported, "\(fileLabel): opset \(opset) is not supported (supported: 13 to 21)")
        }
        let g = model.graph
        guard g.node.count <= limits.maxNodes else {
            throw ONNXError(.malformed, "\(fileLabel): \(g.node.count) nodes is over the \(limits.maxNodes)-node limit")
        }

        var initializers: [String: ONNXConstant] = [:]
        for t in g.initializer {
            let value = try decodeTensor(t, what: "initializer '\(t.name)'")
            // Non-finite weights make every output meaningless: refused, like a malformed file.
            if case .float(let tensor) = value, let bad = tensor.scalars.firstIndex(where: { !$0.isFinite }) {
                throw ONNXError(.malformed, "\(fileLabel): initializer '\(t.name)' holds a non-finite value (\(tensor.scalars[bad]) at element \(bad))")
            }
            initializers[t.name] = value
        }
        let inputs = try g.input.filter { initializers[$0.name] == nil }.map { (v) throws(ONNXError) in try decodeInfo(v, what: "input") }
        let outputs = try g.output.map { (v) throws(ONNXError) in try decodeInfo(v, what: "output") }

        var nodes: [ONNXNode] = []
        nodes.reserveCapacity(g.node.count)
        for n in g.node {
            let label = n.name.isEmpty ? "\(n.opType) -> \(n.output.first ?? "?")" : n.name
            guard n.domain.isEmpty || n.domain == "ai.onnx" else {
                throw ONNXError(.unsupported, "\(fileLabel): node '\(label)' uses operator \(n.domain).\(n.opType), which is not supported")
            }
            guard Self.supportedOperators.contains(n.opType) else {
                throw ONNXError(.unsupported, "\(fileLabel): node '\(label)' uses operator \(n.opType), which is not supported")
            }
            var attributes: [String: ONNXAttribute] = [:]
            for a in n.attribute {
                if let value = try decodeAttribute(a, node: label) { attributes[a.name] = value }
            }
            nodes.append(ONNXNode(name: n.name, opType: n.opType, inputs: n.input, outputs: n.output, attributes: attributes))
        }
        let ordered = try Self.topologicalOrder(nodes, available: Set(inputs.map(\.name)).union(initializers.keys), file: fileLabel)
        for o in outputs where !ordered.contains(where: { $0.outputs.contains(o.name) }) && initializers[o.name] == nil
            && !inputs.contains(where: { $0.name == o.name }) {
            throw ONNXError(.invalidGraph, "\(fileLabel): graph output '\(o.name)' is produced by no node")
        }
        return ONNXGraph(nodes: ordered, initializers: initializers, inputs: inputs, outputs: outputs,
                         opsetVersion: opset, producer: model.producerName, maxValueElements: limits.maxTensorElements)
    }

    /// Kahn's algorithm; refuses cycles and values that nothing produces.
    static func topologicalOrder(_ nodes: [ONNXNode], available: Set<String>, file: String) throws(ONNXError) -> [ONNXNode] {
        var producer: [String: Int] = [:]
        for (i, n) in nodes.enumerated() {
            for o in n.outputs where !o.isEmpty {
                if producer[o] != nil || available.contains(o) {
                    throw ONNXError(.invalidGraph, "\(file): value '\(o)' is produced twice (node '\(n.label)')")
                }
                producer[o] = i
            }
        }
        var pending = [Int](repeating: 0, count: nodes.count)
        var consumers = [[Int]](repeating: [], count: nodes.count)
        for (i, n) in nodes.enumerated() {
            for input in n.inputs where !input.isEmpty && !available.contains(input) {
                guard let p = producer[input] else {
                    throw ONNXError(.invalidGraph, "\(file): node '\(n.label)' reads '\(input)', which no node, input or initializer provides")
                }
                pending[i] += 1
                consumers[p].append(i)
            }
        }
        var ready = (0..<nodes.count).filter { pending[$0] == 0 }
        var order: [ONNXNode] = []
        order.reserveCapacity(nodes.count)
        var cursor = 0
        while cursor < ready.count {
            let i = ready[cursor]
            cursor += 1
            order.append(nodes[i])
            for c in consumers[i] {
                pending[c] -= 1
                if pending[c] == 0 { ready.append(c) }
            }
        }
        if order.count != nodes.count {
            let stuck = (0..<nodes.count).first { pending[$0] > 0 }.map { nodes[$0].label } ?? "?"
            throw ONNXError(.invalidGraph, "\(file): the graph has a cycle (through node '\(stuck)')")
        }
        return order
    }

    func decodeInfo(_ v: Onnx_ValueInfoProto, what: String) throws(ONNXError) -> ONNXTensorInfo {
        let tt = v.type.tensorType
        var dims: [Int?] = []
        var names: [String] = []
        for d in tt.shape.dim {
            switch d.value {
            case .dimValue(let x)?:
                guard x >= 0, x <= Int64(limits.maxTensorElements) else {
                    throw ONNXError(.malformed, "\(fileLabel): \(what) '\(v.name)' declares dimension \(x), outside 0...\(limits.maxTensorElements)")
                }
                dims.append(Int(x)); names.append("")
            case .dimParam(let p)?: dims.append(nil); names.append(p)
            case nil: dims.append(nil); names.append("")
            }
        }
        let known = dims.compactMap { $0 }
        if Tensor.checkedElementCount(known).map({ $0 > limits.maxTensorElements }) ?? true {
            throw ONNXError(.malformed, "\(fileLabel): \(what) '\(v.name)' declares \(known) — too many elements (limit \(limits.maxTensorElements))")
        }
        return ONNXTensorInfo(name: v.name, elementType: Self.typeName(Int(tt.elemType)), dimensions: dims, dimensionNames: names)
    }

    static func typeName(_ t: Int) -> String {
        switch t {
        case 1: "float"; case 2: "uint8"; case 3: "int8"; case 4: "uint16"; case 5: "int16"; case 6: "int32"
        case 7: "int64"; case 8: "string"; case 9: "bool"; case 10: "float16"; case 11: "double"
        case 12: "uint32"; case 13: "uint64"; case 16: "bfloat16"
        default: "type\(t)"
        }
    }

    mutating func decodeAttribute(_ a: Onnx_AttributeProto, node: String) throws(ONNXError) -> ONNXAttribute? {
        switch a.type {
        case .int: return .int(try checkedInt(a.i, what: "attribute '\(a.name)' of node '\(node)'"))
        case .float: return .float(a.f)
        case .string: return .string(String(decoding: a.s, as: UTF8.self))
        case .ints:
            guard a.ints.count <= 4096 else { throw ONNXError(.malformed, "\(fileLabel): attribute '\(a.name)' of node '\(node)' has too many ints") }
            var out: [Int] = []
            for x in a.ints { out.append(try checkedInt(x, what: "attribute '\(a.name)' of node '\(node)'")) }
            return .ints(out)
        case .floats: return .floats(a.floats)
        case .tensor: return .tensor(try decodeTensor(a.t, what: "attribute '\(a.name)' of node '\(node)'"))
        default:
            // Attribute kinds no supported operator reads (graphs, sparse tensors, …): refuse rather than ignore.
            throw ONNXError(.unsupported, "\(fileLabel): attribute '\(a.name)' of node '\(node)' has an unsupported kind (\(a.type))")
        }
    }

    func checkedInt(_ x: Int64, what: String) throws(ONNXError) -> Int {
        // Attributes are small (axes, pads, strides); clamp the range so later arithmetic cannot overflow.
        guard x >= -(1 << 40), x <= (1 << 40) else { throw ONNXError(.malformed, "\(fileLabel): \(what) has out-of-range value \(x)") }
        return Int(x)
    }

    mutating func decodeTensor(_ t: Onnx_TensorProto, what: String) throws(ONNXError) -> ONNXConstant {
        var shape: [Int] = []
        for d in t.dims {
            guard d >= 0, d <= Int64(limits.maxTensorElements) else {
                throw ONNXError(.malformed, "\(fileLabel): \(what) has dimension \(d), outside 0...\(limits.maxTensorElements)")
            }
            shape.append(Int(d))
        }
        guard let count = Tensor.checkedElementCount(shape), count <= limits.maxTensorElements else {
            throw ONNXError(.malformed, "\(fileLabel): \(what) has shape \(shape), over the \(limits.maxTensorElements)-element limit")
        }
        totalElements += count
        guard totalElements <= limits.maxTotalElements else {
            throw ONNXError(.malformed, "\(fileLabel): initializers exceed \(limits.maxTotalElements) elements in all")
        }
        let type = Int(t.dataType)
        let width: Int
        switch type {
        case 1, 6: width = 4
        case 7, 11: width = 8
        case 9, 2, 3: width = 1
        default:
            throw ONNXError(.unsupported, "\(fileLabel): \(what) has element type \(Self.typeName(type)), not supported (float, double, int32, int64, int8, uint8, bool)")
        }
        var raw: Data?
        if t.dataLocation == .external {
            raw = try readExternal(t, byteCount: count * width, what: what)
        } else if !t.rawData.isEmpty || count == 0 {
            raw = t.rawData
        }
        if let raw {
            guard raw.count == count * width else {
                throw ONNXError(.malformed, "\(fileLabel): \(what) has \(raw.count) bytes of data, expected \(count * width) for shape \(shape)")
            }
            return Self.fromRaw(raw, type: type, shape: shape, count: count)
        }
        func expect(_ n: Int, _ field: String) throws(ONNXError) {
            guard n == count else { throw ONNXError(.malformed, "\(fileLabel): \(what) has \(n) values in \(field), expected \(count) for shape \(shape)") }
        }
        switch type {
        case 1:
            try expect(t.floatData.count, "float_data")
            return .float(Tensor(shape: shape, scalars: t.floatData))
        case 11:
            try expect(t.doubleData.count, "double_data")
            return .float(Tensor(shape: shape, scalars: t.doubleData.map { Float($0) }))
        case 7:
            try expect(t.int64Data.count, "int64_data")
            return .ints(shape: shape, values: t.int64Data.map { Int($0) })
        default:
            try expect(t.int32Data.count, "int32_data")
            return .ints(shape: shape, values: t.int32Data.map { Int($0) })
        }
    }

    static func fromRaw(_ raw: Data, type: Int, shape: [Int], count: Int) -> ONNXConstant {
        let bytes = [UInt8](raw)
        func word32(_ i: Int) -> UInt32 {
            UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24
        }
        func word64(_ i: Int) -> UInt64 { UInt64(word32(i)) | UInt64(word32(i + 4)) << 32 }
        switch type {
        case 1: return .float(Tensor(shape: shape, scalars: (0..<count).map { Float(bitPattern: word32($0 * 4)) }))
        case 11: return .float(Tensor(shape: shape, scalars: (0..<count).map { Float(Double(bitPattern: word64($0 * 8))) }))
        case 6: return .ints(shape: shape, values: (0..<count).map { Int(Int32(bitPattern: word32($0 * 4))) })
        case 7: return .ints(shape: shape, values: (0..<count).map { Int(Int64(bitPattern: word64($0 * 8))) })
        case 3: return .ints(shape: shape, values: bytes.map { Int(Int8(bitPattern: $0)) })
        default: return .ints(shape: shape, values: bytes.map { Int($0) })
        }
    }

    /// Reads an external-data blob, refusing absolute locations and any that leave the model's folder.
    func readExternal(_ t: Onnx_TensorProto, byteCount: Int, what: String) throws(ONNXError) -> Data {
        var location = "", offset = 0, length: Int?
        for e in t.externalData {
            switch e.key {
            case "location": location = e.value
            case "offset":
                guard let v = Int(e.value), v >= 0 else { throw ONNXError(.malformed, "\(fileLabel): \(what) has a bad external offset '\(e.value)'") }
                offset = v
            case "length":
                guard let v = Int(e.value), v >= 0 else { throw ONNXError(.malformed, "\(fileLabel): \(what) has a bad external length '\(e.value)'") }
                length = v
            default: break
            }
        }
        guard let folder else {
            throw ONNXError(.unsafePath, "\(fileLabel): \(what) uses external data, which needs the model to be loaded from a file")
        }
        guard !location.isEmpty else { throw ONNXError(.malformed, "\(fileLabel): \(what) has external data without a location") }
        let components = location.split(separator: "/", omittingEmptySubsequences: false)
        guard !location.hasPrefix("/"), !location.contains("\\"), !location.contains("\0"),
              !components.contains(where: { $0 == ".." }) else {
            throw ONNXError(.unsafePath, "\(fileLabel): \(what) has external data at '\(location)', which is absolute or leaves the model's folder")
        }
        let base = folder.standardizedFileURL.resolvingSymlinksInPath().path
        let target = folder.appendingPathComponent(location).standardizedFileURL.resolvingSymlinksInPath()
        guard target.path.hasPrefix(base + "/") else {
            throw ONNXError(.unsafePath, "\(fileLabel): \(what) has external data at '\(location)', which resolves outside the model's folder")
        }
        let want = length ?? byteCount
        guard want == byteCount else {
            throw ONNXError(.malformed, "\(fileLabel): \(what) declares \(want) external bytes, expected \(byteCount)")
        }
        guard FileChecks.nonRegularKind(target.path) == nil, let handle = try? FileHandle(forReadingFrom: target) else {
            throw ONNXError(.io, "\(fileLabel): \(what): cannot open external data file '\(location)'")
        }
        defer { try? handle.close() }
        do {
            let end = try handle.seekToEnd()
            guard offset <= Int(end), want <= Int(end) - offset else {
                throw ONNXError(.malformed, "\(fileLabel): \(what): external file '\(location)' is \(end) bytes, too short for offset \(offset) + \(want)")
            }
            try handle.seek(toOffset: UInt64(offset))
            let data = try handle.read(upToCount: want) ?? Data()
            guard data.count == want else { throw ONNXError(.io, "\(fileLabel): \(what): short read from '\(location)'") }
            return data
        } catch let e as ONNXError {
            throw e
        } catch {
            throw ONNXError(.io, "\(fileLabel): \(what): cannot read external data file '\(location)'", underlying: error)
        }
    }
}
