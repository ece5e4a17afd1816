/// The per-layer metadata of a Keras SavedModel (`keras_metadata.pb`, proto `SavedMetadata`
/// from keras/protobuf/saved_metadata.proto): `nodes` (1) of `SavedObject` whose `metadata` (5)
/// is the layer's JSON config, with `node_path` (3) and `identifier` (4).
///
/// ```swift
/// let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: "saved_model/keras_metadata.pb")))
/// let meta = try KerasSavedMetadata(bytes: bytes)
/// for n in meta.nodes { print(n.path, n.metadata.prefix(80)) }
/// ```
struct KerasSavedMetadata: Sendable, Equatable {
    /// One saved Keras object.
    struct Node: Sendable, Equatable { var path: String; var identifier: String; var metadata: String }
    var nodes: [Node] = []

    /// Parses a serialized `SavedMetadata`; throws when the bytes are not one.
    init(bytes: [UInt8]) throws(FormatError) {
        var r = ProtobufReader(bytes)
        while let (field, value) = try r.next() {
            guard field == 1, case .bytes(let sub) = value else { throw FormatError("keras_metadata.pb: unexpected field \(field)") }
            var n = ProtobufReader(bytes, range: sub)
            var node = Node(path: "", identifier: "", metadata: "")
            while let (f, v) = try n.next() {
                guard case .bytes(let s) = v else { continue }
                switch f {
                case 3: node.path = n.string(s)
                case 4: node.identifier = n.string(s)
                case 5: node.metadata = n.string(s)
                default: break
                }
            }
            nodes.append(node)
            guard nodes.count <= 1_000_000 else { throw FormatError("keras_metadata.pb: more than 10^6 nodes") }
        }
    }
}
