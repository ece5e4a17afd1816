import Crypto
import SwiftProtobuf

/// Flower's object store format (flwr ≥ 1.20): a message travels as a tree of content-addressed
/// objects — the message (metadata) → its `RecordDict` → each record → each `Array` → the
/// `ArrayChunk`s of its `.npy` bytes (5 MiB each). Every object is
/// `"<Type> <child-id,child-id,…> <body length>" 0x00 <body>` and its id is the lowercase hex
/// SHA-256 of those bytes; the SuperLink checks ids against contents on push, and so does
/// Bulwark on pull.
///
/// Bodies: a `RecordDict` or `ArrayRecord` is a JSON object mapping each name to its child's id
/// (names keep their order; equal children share one id); an `Array` is JSON with `dtype`,
/// `shape`, `stype` and `arraychunk_ids` (indexes into the head's child list); config and
/// metric records are their protobuf messages; a message is its protobuf `Message` with an
/// empty `message_id` and no content.
enum FlowerObjects {
    /// The largest chunk an `Array`'s bytes are cut into (Flower's default, 5 MiB).
    static let chunkSize = 5 * 1024 * 1024
    /// The largest object Bulwark accepts from a SuperLink (an array of 1 GiB; chunks are smaller).
    static let maximumObjectBytes = 1 << 30

    /// A deflated object: its id, its bytes and the trees of its children.
    struct Deflated {
        var id: String
        var content: [UInt8]
        var tree: Flwr_Proto_ObjectTree
        /// Every object of the tree (this one last), children before parents, ids unique.
        var all: [(id: String, content: [UInt8])]
    }

    /// A parsed object: its type name, its children's ids and its body.
    struct Parsed {
        var type: String
        var children: [String]
        var body: ArraySlice<UInt8>
    }

    // MARK: ids and heads

    /// The object id of `content`: lowercase hex SHA-256.
    static func objectID(_ content: [UInt8]) -> String {
        SHA256.hash(data: content).map { byte in
            let digits = Array("0123456789abcdef")
            return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0f)]])
        }.joined()
    }

    /// Whether `id` is 64 lowercase or uppercase hex digits.
    static func isObjectID(_ id: String) -> Bool {
        id.utf8.count == 64 && id.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) || (65...70).contains($0) }
    }

    /// The object of type `type` with `children` and `body`.
    static func object(type: String, children: [String], body: [UInt8]) -> [UInt8] {
        var out = Array("\(type) \(children.joined(separator: ",")) \(body.count)".utf8)
        out.append(0)
        out.append(contentsOf: body)
        return out
    }

    /// Splits an object into head fields and body; throws `malformed` naming what is wrong.
    static func parse(_ content: [UInt8], expecting type: String, id: String) throws(FederatedError) -> Parsed {
        guard let divider = content.firstIndex(of: 0) else {
            throw FederatedError(.malformed, "Flower object \(id.prefix(12)): no head/body divider")
        }
        guard let head = String(validating: content[..<divider], as: UTF8.self) else {
            throw FederatedError(.malformed, "Flower object \(id.prefix(12)): head is not UTF-8")
        }
        let fields = head.split(separator: " ", omittingEmptySubsequences: false)
        guard fields.count == 3, let length = Int(fields[2]) else {
            throw FederatedError(.malformed, "Flower object \(id.prefix(12)): head '\(head.prefix(80))' is not '<type> <children> <length>'")
        }
        guard fields[0] == type else {
            throw FederatedError(.malformed, "Flower object \(id.prefix(12)): expected a \(type), got a \(fields[0].prefix(40))")
        }
        let body = content[(divider + 1)...]
        guard body.count == length else {
            throw FederatedError(.malformed, "Flower object \(id.prefix(12)): head says \(length) body bytes, has \(body.count)")
        }
        let children = fields[1].isEmpty ? [] : fields[1].split(separator: ",").map(String.init)
        guard children.allSatisfy(isObjectID) else {
            throw FederatedError(.malformed, "Flower object \(id.prefix(12)): a child id is not a SHA-256 hex digest")
        }
        return Parsed(type: String(fields[0]), children: children, body: body)
    }

    // MARK: deflating (Bulwark → Flower)

    static func combine(type: String, body: [UInt8], children: [Deflated]) -> Deflated {
        var unique: [Deflated] = []
        var seen = Set<String>()
        for child in children where seen.insert(child.id).inserted { unique.append(child) }
        let content = object(type: type, children: unique.map(\.id), body: body)
        let id = objectID(content)
        var tree = Flwr_Proto_ObjectTree()
        tree.objectID = id
        tree.children = unique.map(\.tree)
        var all: [(id: String, content: [UInt8])] = []
        var listed = Set<String>()
        for child in unique {
            for object in child.all where listed.insert(object.id).inserted { all.append(object) }
        }
        if listed.insert(id).inserted { all.append((id, content)) }
        return Deflated(id: id, content: content, tree: tree, all: all)
    }

    static func deflate(_ array: FlowerArray) -> Deflated {
        var chunks: [Deflated] = []
        var start = 0
        while start < array.data.count {
            let end = min(start + chunkSize, array.data.count)
            chunks.append(combine(type: "ArrayChunk", body: Array(array.data[start..<end]), children: []))
            start = end
        }
        var order: [String] = []
        for chunk in chunks where !order.contains(chunk.id) { order.append(chunk.id) }
        let indexes = chunks.map { chunk in order.firstIndex(of: chunk.id) ?? 0 }
        let body = "{\"dtype\": \(FlowerJSON.quote(array.dtype)), \"shape\": [\(array.shape.map(String.init).joined(separator: ", "))], "
            + "\"stype\": \(FlowerJSON.quote(array.stype)), \"arraychunk_ids\": [\(indexes.map(String.init).joined(separator: ", "))]}"
        return combine(type: "Array", body: Array(body.utf8), children: chunks)
    }

    static func deflate(_ record: FlowerRecord) throws(FederatedError) -> Deflated {
        switch record {
        case .arrays(let arrays):
            let children = arrays.map { deflate($0.array) }
            let body = "{" + zip(arrays, children).map { "\(FlowerJSON.quote($0.name)): \(FlowerJSON.quote($1.id))" }.joined(separator: ", ") + "}"
            return combine(type: "ArrayRecord", body: Array(body.utf8), children: children)
        case .metrics(let metrics):
            var proto = Flwr_Proto_MetricRecord()
            proto.items = metrics.map { name, value in
                var item = Flwr_Proto_MetricRecord.Item()
                item.key = name
                item.value = FlowerProtoValues.proto(value)
                return item
            }
            return combine(type: "MetricRecord", body: try serialize(proto), children: [])
        case .config(let config):
            var proto = Flwr_Proto_ConfigRecord()
            proto.items = config.map { name, value in
                var item = Flwr_Proto_ConfigRecord.Item()
                item.key = name
                item.value = FlowerProtoValues.proto(value)
                return item
            }
            return combine(type: "ConfigRecord", body: try serialize(proto), children: [])
        }
    }

    static func deflate(_ content: FlowerRecordDict) throws(FederatedError) -> Deflated {
        var children: [Deflated] = []
        for item in content.items { children.append(try deflate(item.record)) }
        let body = "{" + zip(content.items, children).map { "\(FlowerJSON.quote($0.name)): \(FlowerJSON.quote($1.id))" }.joined(separator: ", ") + "}"
        return combine(type: "RecordDict", body: Array(body.utf8), children: children)
    }

    /// The message object for `metadata` (its `message_id` is cleared) with `content` or `error`.
    static func deflateMessage(metadata: Flwr_Proto_Metadata, content: FlowerRecordDict?, error: Flwr_Proto_Error?) throws(FederatedError) -> Deflated {
        var proto = Flwr_Proto_Message()
        proto.metadata = metadata
        proto.metadata.messageID = ""
        if let error { proto.error = error }
        let children = try content.map { c throws(FederatedError) in [try deflate(c)] } ?? []
        return combine(type: "Message", body: try serialize(proto), children: children)
    }

    static func serialize(_ message: some SwiftProtobuf.Message) throws(FederatedError) -> [UInt8] {
        do { return try message.serializedBytes() } catch {
            throw FederatedError(.malformed, "cannot serialise \(type(of: message)): \(error)")
        }
    }

    // MARK: inflating (Flower → Bulwark)

    /// The record dict of a message whose objects are `objects` (id → bytes), rooted at the
    /// message object `messageID`; `nil` when the message carries no content.
    static func inflateContent(messageID: String, objects: [String: [UInt8]]) throws(FederatedError) -> FlowerRecordDict? {
        let message = try parse(try fetch(messageID, objects), expecting: "Message", id: messageID)
        guard let contentID = message.children.first else { return nil }
        guard message.children.count == 1 else {
            throw FederatedError(.malformed, "Flower message \(messageID.prefix(12)): \(message.children.count) contents, expected one")
        }
        return try inflateRecordDict(contentID, objects)
    }

    static func fetch(_ id: String, _ objects: [String: [UInt8]]) throws(FederatedError) -> [UInt8] {
        guard let content = objects[id] else {
            throw FederatedError(.malformed, "Flower object \(id.prefix(12)) is referenced but was not received")
        }
        return content
    }

    static func inflateRecordDict(_ id: String, _ objects: [String: [UInt8]]) throws(FederatedError) -> FlowerRecordDict {
        let parsed = try parse(try fetch(id, objects), expecting: "RecordDict", id: id)
        let refs = try FlowerJSON.stringMap(parsed.body, what: "RecordDict \(id.prefix(12))")
        try checkChildren(refs.map(\.value), parsed.children, id: id)
        var items: [(name: String, record: FlowerRecord)] = []
        for (name, childID) in refs {
            let content = try fetch(childID, objects)
            let type = content.firstIndex(of: 32).map { String(decoding: content[..<$0], as: UTF8.self) } ?? ""
            switch type {
            case "ArrayRecord": items.append((name, try inflateArrayRecord(childID, objects)))
            case "MetricRecord":
                let body = try parse(content, expecting: "MetricRecord", id: childID).body
                let proto = try decode(Flwr_Proto_MetricRecord.self, body, what: "MetricRecord \(name)")
                items.append((name, .metrics(try proto.items.map { item throws(FederatedError) in
                    (item.key, try FlowerProtoValues.value(item.value, name: item.key))
                })))
            case "ConfigRecord":
                let body = try parse(content, expecting: "ConfigRecord", id: childID).body
                let proto = try decode(Flwr_Proto_ConfigRecord.self, body, what: "ConfigRecord \(name)")
                items.append((name, .config(try proto.items.map { item throws(FederatedError) in
                    (item.key, try FlowerProtoValues.value(item.value, name: item.key))
                })))
            default:
                throw FederatedError(.malformed, "Flower record \(name): unknown object type '\(type.prefix(40))'")
            }
        }
        return FlowerRecordDict(items)
    }

    static func inflateArrayRecord(_ id: String, _ objects: [String: [UInt8]]) throws(FederatedError) -> FlowerRecord {
        let parsed = try parse(try fetch(id, objects), expecting: "ArrayRecord", id: id)
        let refs = try FlowerJSON.stringMap(parsed.body, what: "ArrayRecord \(id.prefix(12))")
        try checkChildren(refs.map(\.value), parsed.children, id: id)
        var arrays: [(name: String, array: FlowerArray)] = []
        for (name, arrayID) in refs { arrays.append((name, try inflateArray(arrayID, name: name, objects))) }
        return .arrays(arrays)
    }

    static func inflateArray(_ id: String, name: String, _ objects: [String: [UInt8]]) throws(FederatedError) -> FlowerArray {
        let parsed = try parse(try fetch(id, objects), expecting: "Array", id: id)
        let meta = try FlowerJSON.arrayMetadata(parsed.body, what: "Array \(name)")
        var data: [UInt8] = []
        for index in meta.chunkIndexes {
            guard parsed.children.indices.contains(index) else {
                throw FederatedError(.malformed, "Flower array \(name): chunk index \(index) outside its \(parsed.children.count) children")
            }
            let chunkID = parsed.children[index]
            data.append(contentsOf: try parse(try fetch(chunkID, objects), expecting: "ArrayChunk", id: chunkID).body)
            guard data.count <= maximumObjectBytes else {
                throw FederatedError(.malformed, "Flower array \(name): larger than \(maximumObjectBytes) bytes")
            }
        }
        return FlowerArray(dtype: meta.dtype, shape: meta.shape, stype: meta.stype, data: data)
    }

    static func checkChildren(_ referenced: [String], _ children: [String], id: String) throws(FederatedError) {
        guard Set(referenced) == Set(children) else {
            throw FederatedError(.malformed, "Flower object \(id.prefix(12)): its body and head name different children")
        }
    }

    static func decode<M: SwiftProtobuf.Message>(_ type: M.Type, _ bytes: ArraySlice<UInt8>, what: String) throws(FederatedError) -> M {
        do { return try M(serializedBytes: Array(bytes)) } catch {
            throw FederatedError(.malformed, "Flower \(what): not a valid protobuf message")
        }
    }
}
