/// How a model is cut into the items of its manifest (OpenSSF Model Signing "serialization").
public enum HashingMethod: Sendable, Hashable, CustomStringConvertible {
    /// One SHA-256 digest per file (`"method": "files"`), model-signing's default.
    case files
    /// One SHA-256 digest per shard of `size` bytes (`"method": "shards"`); the last shard of a file
    /// may be shorter, and empty files contribute no shard (as in model-signing).
    case shards(size: Int64)

    /// model-signing's default shard size, 1 GB (10⁹ bytes).
    public static let defaultShardSize: Int64 = 1_000_000_000

    /// `files` or `shards`.
    public var name: String {
        switch self {
        case .files: "files"
        case .shards: "shards"
        }
    }

    /// `files`, or `shards(<size>)`.
    public var description: String {
        switch self {
        case .files: "files"
        case .shards(let size): "shards(\(size))"
        }
    }
}

/// What to hash in a model and how; the same options must be used to sign and to verify
/// (verification also honours the ignore list recorded in the signature).
///
/// The defaults are model-signing's: per-file hashing, the git paths (`.git`, `.gitattributes`,
/// `.github`, `.gitignore`) ignored, symbolic links refused.
public struct HashingOptions: Sendable, Equatable {
    /// Files or shards.
    public var method: HashingMethod
    /// Paths relative to the model root to leave out (a directory leaves out all it holds).
    public var ignorePaths: [String]
    /// Leaves out `.git/`, `.gitattributes`, `.github/` and `.gitignore` at the model root.
    public var ignoreGitPaths: Bool
    /// Follows symbolic links to files (hashing their targets' content); without it a link is an error.
    public var allowSymlinks: Bool
    /// Threads that hash at once; `nil` means one per core.
    public var parallelism: Int?

    /// The paths model-signing ignores by default, in the order it lists them.
    public static let gitPaths = [".git", ".gitattributes", ".github", ".gitignore"]

    /// Options with model-signing's defaults unless given.
    public init(
        method: HashingMethod = .files,
        ignorePaths: [String] = [],
        ignoreGitPaths: Bool = true,
        allowSymlinks: Bool = false,
        parallelism: Int? = nil
    ) {
        self.method = method
        self.ignorePaths = ignorePaths
        self.ignoreGitPaths = ignoreGitPaths
        self.allowSymlinks = allowSymlinks
        self.parallelism = parallelism
    }

    /// Every ignored path, normalized and relative to the model root, user paths first; the
    /// order in which they are recorded in a signature.
    var effectiveIgnorePaths: [String] {
        var seen = Set<String>()
        var result: [String] = []
        for path in ignorePaths + (ignoreGitPaths ? Self.gitPaths : []) {
            guard let normalized = ModelPath.normalize(path), !normalized.isEmpty, seen.insert(normalized).inserted else { continue }
            result.append(normalized)
        }
        return result
    }
}
