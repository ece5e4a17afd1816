/// The operators of a TensorFlow SavedModel (`saved_model.pb`), read from its protobuf wire
/// format without TensorFlow: for every `MetaGraphDef`, the `GraphDef` nodes and the nodes of
/// every `FunctionDef` in its function library, with the functions each node calls.
///
/// Wire layout (tensorflow/core/protobuf/saved_model.proto, meta_graph.proto, graph.proto,
/// node_def.proto, function.proto, attr_value.proto): SavedModel{1 schema_version, 2 meta_graphs}
/// → MetaGraphDef{1 meta_info_def{4 tags}, 2 graph_def, 3 saver_def} → GraphDef{1 node,
/// 2 library{1 function}} → FunctionDef{1 signature{1 name}, 3 node_def}; NodeDef{1 name, 2 op,
/// 5 attr{1 key, 2 AttrValue{10 func{1 name}, 1 list{9 func}}}}.
///
/// Bounded: at most `maxNodes` nodes in all, attribute nesting at most 2 levels; anything past
/// the bytes or malformed throws `FormatError`.
///
/// ```swift
/// let data = try Data(contentsOf: URL(fileURLWithPath: "saved_model/saved_model.pb"))
/// let info = try SavedModelInfo(bytes: [UInt8](data))
/// for node in info.nodes where node.op == "ReadFile" { print(node.name, node.function ?? "graph") }
/// ```
struct SavedModelInfo: Sendable, Equatable {
    /// One node: its name, operator, the function it belongs to (nil: the top-level graph)
    /// and the functions its attributes name (PartitionedCall `f`, While `body`, …).
    struct Node: Sendable, Equatable {
        var name: String
        var op: String
        var function: String?
        var calls: [String]
    }
    /// Schema version (1 for every SavedModel written so far).
    var schemaVersion: Int64 = 0
    /// Tags of each meta graph ("serve", "train"…).
    var tags: [[String]] = []
    /// All nodes of all meta graphs and their function libraries.
    var nodes: [Node] = []
    /// Names of the functions defined in the libraries.
    var functions: [String] = []
    /// Whether a meta graph has a SaverDef.
    var hasSaver = false
    /// `metadata` of the object graph's user objects (MetaGraphDef 7 → SavedObjectGraph 1 →
    /// SavedObject 4 → SavedUserObject 3): the Keras layer JSON that TF ≤ 2.5 stored there.
    var userObjectMetadata: [String] = []

    static let maxNodes = 2_000_000

    /// Parses a serialized `SavedModel`. Throws when the bytes are not one.
    init(bytes: [UInt8]) throws(FormatError) {
        var r = ProtobufReader(bytes)
        var metaGraphs = 0
        while let (field, value) = try r.next() {
            switch (field, value) {
            case (1, .varint(let v)): schemaVersion = Int64(bitPattern: v)
            case (2, .bytes(let range)):
                metaGraphs += 1
                try readMetaGraph(bytes, range)
            default: throw FormatError("SavedModel: unexpected top-level field \(field)")
            }
        }
        guard metaGraphs > 0 else { throw FormatError("SavedModel: no meta graph") }
    }

    private mutating func readMetaGraph(_ b: [UInt8], _ range: Range<Int>) throws(FormatError) {
        var r = ProtobufReader(b, range: range)
        var graphTags: [String] = []
        while let (field, value) = try r.next() {
            guard field <= 7 else { throw FormatError("MetaGraphDef: unexpected field \(field)") }
            guard case .bytes(let sub) = value else { throw FormatError("MetaGraphDef: field \(field) is not a message") }
            switch field {
            case 1:
                var m = ProtobufReader(b, range: sub)
                while let (f, v) = try m.next() { if f == 4, case .bytes(let t) = v { graphTags.append(m.string(t)) } }
            case 2: try readGraph(b, sub)
            case 3: hasSaver = true
            case 7:
                var graph = ProtobufReader(b, range: sub)
                while let (f, v) = try graph.next() {
                    guard f == 1, case .bytes(let object) = v else { continue }
                    var o = ProtobufReader(b, range: object)
                    while let (k, w) = try o.next() {
                        guard k == 4, case .bytes(let user) = w else { continue }
                        var u = ProtobufReader(b, range: user)
                        while let (m, x) = try u.next() {
                            if m == 3, case .bytes(let text) = x, !text.isEmpty, userObjectMetadata.count < 100_000 { userObjectMetadata.append(u.string(text)) }
                        }
                    }
                }
            default: break
            }
        }
        tags.append(graphTags)
    }

    private mutating func readGraph(_ b: [UInt8], _ range: Range<Int>) throws(FormatError) {
        var r = ProtobufReader(b, range: range)
        while let (field, value) = try r.next() {
            switch (field, value) {
            case (1, .bytes(let sub)): try readNode(b, sub, function: nil)
            case (2, .bytes(let sub)):
                var lib = ProtobufReader(b, range: sub)
                while let (f, v) = try lib.next() {
                    if f == 1, case .bytes(let fn) = v { try readFunction(b, fn) }
                }
            case (3...5, _): break
            default: throw FormatError("GraphDef: unexpected field \(field)")
            }
        }
    }

    private mutating func readFunction(_ b: [UInt8], _ range: Range<Int>) throws(FormatError) {
        var r = ProtobufReader(b, range: range)
        var name = ""
        var bodies: [Range<Int>] = []
        while let (field, value) = try r.next() {
            guard case .bytes(let sub) = value else { continue }
            if field == 1 {
                var sig = ProtobufReader(b, range: sub)
                while let (f, v) = try sig.next() { if f == 1, case .bytes(let n) = v { name = sig.string(n) } }
            } else if field == 3 {
                bodies.append(sub)
            }
        }
        functions.append(name)
        for body in bodies { try readNode(b, body, function: name) }
    }

    private mutating func readNode(_ b: [UInt8], _ range: Range<Int>, function: String?) throws(FormatError) {
        guard nodes.count < Self.maxNodes else { throw FormatError("SavedModel: more than \(Self.maxNodes) nodes") }
        var r = ProtobufReader(b, range: range)
        var node = Node(name: "", op: "", function: function, calls: [])
        while let (field, value) = try r.next() {
            guard case .bytes(let sub) = value else { continue }
            switch field {
            case 1: node.name = r.string(sub)
            case 2: node.op = r.string(sub)
            case 5:
                var entry = ProtobufReader(b, range: sub)
                while let (f, v) = try entry.next() {
                    if f == 2, case .bytes(let attr) = v { node.calls += try Self.functionNames(b, attr, depth: 0) }
                }
            default: break
            }
        }
        nodes.append(node)
    }

    /// Function names in an AttrValue: `func` (10) or `list.func` (1 → 9).
    private static func functionNames(_ b: [UInt8], _ range: Range<Int>, depth: Int) throws(FormatError) -> [String] {
        var r = ProtobufReader(b, range: range)
        var names: [String] = []
        while let (field, value) = try r.next() {
            guard case .bytes(let sub) = value else { continue }
            if field == 10 || (field == 9 && depth == 1) {
                var f = ProtobufReader(b, range: sub)
                while let (k, v) = try f.next() { if k == 1, case .bytes(let n) = v { names.append(f.string(n)) } }
            } else if field == 1 && depth == 0 {
                names += try functionNames(b, sub, depth: 1)
            }
        }
        return names
    }
}
