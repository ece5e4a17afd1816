/// Builds the manifest of a model file or directory, as model-signing's `hashing.Config().hash`
/// does, but streaming every file (or shard) through SHA-256 on all cores.
///
/// ```swift
/// let manifest = try await ModelHasher.manifest(of: "models/resnet", options: HashingOptions())
/// print(manifest.rootDigest.map { String(format: "%02x", $0) }.joined())
/// ```
///
/// Cost: one read of every byte of the model; memory is a few MiB per core whatever the size.
public enum ModelHasher {
    /// Most shards a manifest may have (10 million, a 10 PB model at the default shard size).
    public static let maxShards: Int64 = 10_000_000

    /// The manifest of the model at `path` under `options`.
    ///
    /// - Throws: ``SigningError`` with ``SigningError/Code/unsupportedPath`` for a symbolic link
    ///   without `allowSymlinks`, a special file or a non-UTF-8 name, ``SigningError/Code/io``
    ///   for unreadable files.
    public static func manifest(of path: String, options: HashingOptions) async throws(SigningError) -> ModelManifest {
        let ignore = options.effectiveIgnorePaths
        let files = try ModelWalker.files(at: path, ignoring: ignore, allowSymlinks: options.allowSymlinks)
        let serialization = SerializationDescription(method: options.method, allowSymlinks: options.allowSymlinks, ignorePaths: ignore)
        var keys: [ManifestKey] = []
        var jobs: [HashJob] = []
        switch options.method {
        case .files:
            for file in files {
                keys.append(ManifestKey(path: file.relativePath))
                jobs.append(HashJob(path: file.absolutePath, start: 0, end: nil))
            }
        case .shards(let size):
            guard size > 0 else { throw SigningError(.hashingMismatch, "shard size must be positive, got \(size)") }
            // A hostile signature could ask for 1-byte shards; bound the work list.
            var shardCount: Int64 = 0
            for file in files where file.size > 0 {
                shardCount += (file.size - 1) / size + 1
                guard shardCount <= maxShards else {
                    throw SigningError(.hashingMismatch, "shard size \(size) would cut the model into more than \(maxShards) shards")
                }
            }
            for file in files where file.size > 0 {
                guard !file.relativePath.contains(":") else {
                    throw SigningError(.unsupportedPath, "'\(file.relativePath)' contains ':', which shard names cannot hold; use --hashing files")
                }
                var start: Int64 = 0
                while start < file.size {
                    let (sum, overflow) = start.addingReportingOverflow(size)
                    let end = overflow ? file.size : min(file.size, sum)
                    keys.append(ManifestKey(path: file.relativePath, range: start..<end))
                    jobs.append(HashJob(path: file.absolutePath, start: start, end: end))
                    start = end
                }
            }
        }
        let digests = try await ParallelHasher.digests(of: jobs, parallelism: options.parallelism)
        let algorithm = serialization.resourceAlgorithm
        let items = zip(keys, digests).map { key, digest in
            (key: key, descriptor: ResourceDescriptor(name: key.description, algorithm: algorithm, digest: digest))
        }
        return ModelManifest(modelName: ModelWalker.modelName(of: path), serialization: serialization, items: items,
                             byteCount: files.reduce(0) { $0 + $1.size })
    }
}
