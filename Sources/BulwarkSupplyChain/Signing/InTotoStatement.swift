internal import BulwarkArchive
internal import Crypto

/// The in-toto v1 statement that carries a model manifest (model-signing's signing payload).
///
/// Shape, as model-signing v1.x writes it:
/// `{"_type": "https://in-toto.io/Statement/v1", "subject": [{"name": <model>, "digest":
/// {"sha256": <root digest>}}], "predicateType": "https://model_signing/signature/v1.0",
/// "predicate": {"serialization": {...}, "resources": [{"name", "algorithm", "digest"}...]}}`.
enum InTotoStatement {
    static let statementType = "https://in-toto.io/Statement/v1"
    static let predicateType = "https://model_signing/signature/v1.0"
    /// The pre-1.0 predicate (v0.2 of model-signing): the resources are the statement's subjects.
    static let compatPredicateType = "https://model_signing/Digests/v0.1"
    static let payloadType = "application/vnd.in-toto+json"
    /// Largest statement accepted when verifying.
    static let maxPayloadBytes = 256 << 20

    /// The statement's bytes for `manifest`: JSON indented by two spaces, like protobuf's
    /// `MessageToJson` used by model-signing.
    static func encode(_ manifest: ModelManifest) -> [UInt8] {
        var serialization: [JSONMember] = [
            JSONMember("method", .string(manifest.serialization.method.name)),
            JSONMember("hash_type", .string(manifest.serialization.hashType)),
        ]
        if case .shards(let size) = manifest.serialization.method {
            serialization.append(JSONMember("shard_size", .integer(size)))
        }
        serialization.append(JSONMember("allow_symlinks", .bool(manifest.serialization.allowSymlinks)))
        if !manifest.serialization.ignorePaths.isEmpty {
            serialization.append(JSONMember("ignore_paths", .array(manifest.serialization.ignorePaths.map(JSONValue.string))))
        }
        let resources = manifest.resources.map { resource in
            JSONValue.object([
                JSONMember("name", .string(resource.name)),
                JSONMember("algorithm", .string(resource.algorithm)),
                JSONMember("digest", .string(resource.digestHex)),
            ])
        }
        let statement = JSONValue.object([
            JSONMember("_type", .string(statementType)),
            JSONMember("subject", .array([.object([
                JSONMember("name", .string(manifest.modelName)),
                JSONMember("digest", .object([JSONMember("sha256", .string(hexString(manifest.rootDigest)))])),
            ])])),
            JSONMember("predicateType", .string(predicateType)),
            JSONMember("predicate", .object([
                JSONMember("serialization", .object(serialization)),
                JSONMember("resources", .array(resources)),
            ])),
        ])
        return JSONWriter.encode(statement, style: .indented(2))
    }

    /// The manifest a verified payload describes, after the same checks model-signing makes:
    /// statement and predicate types, a single subject, and a root digest that matches the
    /// resources.
    static func decode(_ payload: [UInt8]) throws(SigningError) -> ModelManifest {
        let json: JSONValue
        do {
            json = try JSONParser.parse(payload)
        } catch {
            throw SigningError(.payload, "the signed statement is not valid JSON: \(error.description)", underlying: error)
        }
        guard json["_type"]?.stringValue == statementType else {
            throw SigningError(.payload, "the signed statement's _type is \(describe(json["_type"])), expected \(statementType)")
        }
        switch json["predicateType"]?.stringValue {
        case predicateType?: return try decodeV1(json)
        case compatPredicateType?: return try decodeCompat(json)
        default:
            throw SigningError(.payload, "predicateType is \(describe(json["predicateType"])), expected \(predicateType)")
        }
    }

    private static func describe(_ value: JSONValue?) -> String {
        guard let value else { return "missing" }
        if let s = value.stringValue { return "'\(s)'" }
        return "not a string"
    }

    private static func decodeV1(_ json: JSONValue) throws(SigningError) -> ModelManifest {
        guard let subjects = json["subject"]?.arrayValue, subjects.count == 1 else {
            throw SigningError(.payload, "the statement must have exactly one subject (the model)")
        }
        guard let modelName = subjects[0]["name"]?.stringValue,
              let rootHex = subjects[0]["digest"]?["sha256"]?.stringValue, let expectedRoot = bytesFromHex(rootHex) else {
            throw SigningError(.payload, "the statement's subject lacks a name or a sha256 digest")
        }
        guard let predicate = json["predicate"], let serializationJSON = predicate["serialization"] else {
            throw SigningError(.payload, "the predicate lacks its 'serialization' object")
        }
        let serialization = try decodeSerialization(serializationJSON)
        guard let resourcesJSON = predicate["resources"]?.arrayValue else {
            throw SigningError(.payload, "the predicate lacks its 'resources' list")
        }
        var items: [(key: ManifestKey, descriptor: ResourceDescriptor)] = []
        items.reserveCapacity(resourcesJSON.count)
        var seen = Set<ManifestKey>()
        for (index, resource) in resourcesJSON.enumerated() {
            guard let name = resource["name"]?.stringValue, let algorithm = resource["algorithm"]?.stringValue,
                  let digestHex = resource["digest"]?.stringValue, let digest = bytesFromHex(digestHex) else {
                throw SigningError(.payload, "resource \(index) lacks a name, an algorithm or a hexadecimal digest")
            }
            guard let key = ManifestKey(name: name, method: serialization.method) else {
                throw SigningError(.payload, "resource name '\(name)' is not a valid \(serialization.method.name) name")
            }
            guard seen.insert(key).inserted else {
                throw SigningError(.payload, "resource '\(name)' appears twice in the manifest")
            }
            items.append((key, ResourceDescriptor(name: key.description, algorithm: algorithm, digest: digest)))
        }
        // The root digest is over the digests in the order the resources are listed.
        var root = SHA256()
        for resource in items { root.update(data: resource.descriptor.digest) }
        guard Array(root.finalize()) == expectedRoot else {
            throw SigningError(.payload, "the manifest is inconsistent: its subject digest \(rootHex) does not match its resources")
        }
        return ModelManifest(modelName: modelName, serialization: serialization, items: items)
    }

    private static func decodeSerialization(_ json: JSONValue) throws(SigningError) -> SerializationDescription {
        guard let hashType = json["hash_type"]?.stringValue else {
            throw SigningError(.payload, "serialization lacks 'hash_type'")
        }
        guard hashType == "sha256" else {
            throw SigningError(.payload, "serialization hash_type '\(hashType)' is not supported (only sha256)")
        }
        let method: HashingMethod
        switch json["method"]?.stringValue {
        case "files"?: method = .files
        case "shards"?:
            guard let size = json["shard_size"]?.int64Value, size > 0 else {
                throw SigningError(.payload, "serialization 'shards' lacks a positive integer 'shard_size'")
            }
            method = .shards(size: size)
        case let other?: throw SigningError(.payload, "serialization method '\(other)' is not supported (files or shards)")
        case nil: throw SigningError(.payload, "serialization lacks 'method'")
        }
        let allowSymlinks: Bool
        switch json["allow_symlinks"] {
        case .bool(let b)?: allowSymlinks = b
        case .string(let s)?: allowSymlinks = s.lowercased() == "true"
        default: allowSymlinks = false
        }
        var ignorePaths: [String] = []
        if let list = json["ignore_paths"]?.arrayValue {
            for entry in list {
                guard let path = entry.stringValue else { throw SigningError(.payload, "serialization ignore_paths holds a non-string") }
                ignorePaths.append(path)
            }
        }
        return SerializationDescription(method: method, hashType: hashType, allowSymlinks: allowSymlinks, ignorePaths: ignorePaths)
    }

    /// v0.2 statements list every file as a subject with its sha256 digest.
    private static func decodeCompat(_ json: JSONValue) throws(SigningError) -> ModelManifest {
        guard let subjects = json["subject"]?.arrayValue else {
            throw SigningError(.payload, "the statement lacks its subject list")
        }
        var items: [(key: ManifestKey, descriptor: ResourceDescriptor)] = []
        var seen = Set<ManifestKey>()
        for (index, subject) in subjects.enumerated() {
            guard let name = subject["name"]?.stringValue, let hex = subject["digest"]?["sha256"]?.stringValue,
                  let digest = bytesFromHex(hex), let key = ManifestKey(name: name, method: .files) else {
                throw SigningError(.payload, "subject \(index) lacks a file name or a sha256 digest")
            }
            guard seen.insert(key).inserted else { throw SigningError(.payload, "subject '\(name)' appears twice") }
            items.append((key, ResourceDescriptor(name: key.description, algorithm: "sha256", digest: digest)))
        }
        let serialization = SerializationDescription(method: .files, allowSymlinks: false, ignorePaths: [])
        return ModelManifest(modelName: "compat-undefined-not-present", serialization: serialization, items: items)
    }
}
