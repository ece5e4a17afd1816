internal import Crypto

/// One hashed item of a model: a file, or a shard `path:start:end` of a file.
public struct ResourceDescriptor: Sendable, Hashable {
    /// The item's name in the manifest: `dir/file`, or `dir/file:0:1000000000` for a shard.
    public let name: String
    /// The digest algorithm as recorded: `sha256`, or `sha256-sharded-<size>` for shards.
    public let algorithm: String
    /// The digest bytes.
    public let digest: [UInt8]

    /// A descriptor of `name` with `digest` computed by `algorithm`.
    public init(name: String, algorithm: String, digest: [UInt8]) {
        self.name = name
        self.algorithm = algorithm
        self.digest = digest
    }

    /// The digest in lowercase hexadecimal.
    public var digestHex: String { hexString(digest) }
}

/// Which file (and which byte range of it) a manifest item stands for.
public struct ManifestKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Path relative to the model root (`.` for a single-file model).
    public let path: String
    /// For a shard, its byte range `start..<end`; `nil` for a whole file.
    public let range: Range<Int64>?

    /// A key for `path` (whole file when `range` is `nil`).
    public init(path: String, range: Range<Int64>? = nil) {
        self.path = path
        self.range = range
    }

    /// Parses a resource name of a manifest made with `method`; `nil` if it is malformed.
    init?(name: String, method: HashingMethod) {
        switch method {
        case .files:
            guard let path = ModelPath.normalize(name) else { return nil }
            self.init(path: path.isEmpty ? "." : path)
        case .shards:
            let parts = name.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 3, let start = Int64(parts[1]), let end = Int64(parts[2]), start >= 0, end > start,
                  let path = ModelPath.normalize(String(parts[0])) else { return nil }
            self.init(path: path.isEmpty ? "." : path, range: start..<end)
        }
    }

    /// The name as written in the manifest.
    public var description: String {
        guard let range else { return path }
        return "\(path):\(range.lowerBound):\(range.upperBound)"
    }

    /// model-signing's order: path component by component, then shard start, then end.
    public static func < (lhs: ManifestKey, rhs: ManifestKey) -> Bool {
        if lhs.path != rhs.path { return ModelPath.precedes(lhs.path, rhs.path) }
        let l = lhs.range ?? 0..<0
        let r = rhs.range ?? 0..<0
        if l.lowerBound != r.lowerBound { return l.lowerBound < r.lowerBound }
        return l.upperBound < r.upperBound
    }
}

/// How a manifest was made (the predicate's `serialization` object).
public struct SerializationDescription: Sendable, Equatable {
    /// Files or shards (with the shard size).
    public var method: HashingMethod
    /// The content hash, always `sha256` here.
    public var hashType: String
    /// Whether symbolic links were followed.
    public var allowSymlinks: Bool
    /// The ignored paths, relative to the model root.
    public var ignorePaths: [String]

    /// A description of a manifest made by `method`.
    public init(method: HashingMethod, hashType: String = "sha256", allowSymlinks: Bool, ignorePaths: [String]) {
        self.method = method
        self.hashType = hashType
        self.allowSymlinks = allowSymlinks
        self.ignorePaths = ignorePaths
    }

    /// The algorithm name each resource carries: `sha256` or `sha256-sharded-<size>`.
    var resourceAlgorithm: String {
        switch method {
        case .files: hashType
        case .shards(let size): "\(hashType)-sharded-\(size)"
        }
    }
}

/// The manifest of a model: every file (or shard) with its SHA-256 digest, in model-signing's
/// canonical order, plus how it was made.
///
/// Two manifests are equal when their items and digests are equal; the model name is only
/// informative (renaming a model directory does not invalidate its signature).
public struct ModelManifest: Sendable, Equatable {
    /// The model's name: the last component of its path when it was hashed.
    public let modelName: String
    /// How the manifest was made.
    public let serialization: SerializationDescription
    /// Each item's key and descriptor, sorted by key.
    public let items: [(key: ManifestKey, descriptor: ResourceDescriptor)]
    /// Bytes hashed to make the manifest (`nil` for a manifest read from a signature).
    public let byteCount: Int64?

    /// A manifest of `items` (sorted here).
    public init(modelName: String, serialization: SerializationDescription, items: [(key: ManifestKey, descriptor: ResourceDescriptor)], byteCount: Int64? = nil) {
        self.modelName = modelName
        self.serialization = serialization
        self.items = items.sorted { $0.key < $1.key }
        self.byteCount = byteCount
    }

    /// The number of distinct files the manifest covers.
    public var fileCount: Int { Set(items.map(\.key.path)).count }

    /// The resource descriptors in canonical order.
    public var resources: [ResourceDescriptor] { items.map(\.descriptor) }

    /// The subject digest: SHA-256 over the concatenated digests of all resources, in order.
    public var rootDigest: [UInt8] {
        var hasher = SHA256()
        for item in items { hasher.update(data: item.descriptor.digest) }
        return Array(hasher.finalize())
    }

    /// Equal items and digests (the model name and ignore list do not count).
    public static func == (lhs: ModelManifest, rhs: ModelManifest) -> Bool {
        lhs.items.count == rhs.items.count
            && zip(lhs.items, rhs.items).allSatisfy { $0.key == $1.key && $0.descriptor.algorithm == $1.descriptor.algorithm && $0.descriptor.digest == $1.descriptor.digest }
    }
}

/// Lowercase hexadecimal of `bytes`.
func hexString(_ bytes: some Sequence<UInt8>) -> String { lowercaseHex(bytes) }

/// The bytes of a hexadecimal string, or `nil` if it is not one.
func bytesFromHex(_ text: String) -> [UInt8]? {
    let utf8 = Array(text.utf8)
    guard utf8.count % 2 == 0 else { return nil }
    var out: [UInt8] = []
    out.reserveCapacity(utf8.count / 2)
    func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
    var i = 0
    while i < utf8.count {
        guard let high = nibble(utf8[i]), let low = nibble(utf8[i + 1]) else { return nil }
        out.append(high << 4 | low)
        i += 2
    }
    return out
}
