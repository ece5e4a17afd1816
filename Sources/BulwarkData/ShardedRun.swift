/// What a partial result records about the run it is a part of: the shard, and what every
/// shard of one run shares — seed, dataset digest, tool version and the dataset's size.
/// A merge accepts parts only when everything but the shard agrees
/// (``checkComplete(_:)``); each threat module compares its own configuration on top.
public struct ShardedRun: Codable, Sendable, Equatable {
    /// This part's shard.
    public var shard: Shard
    /// The run's seed.
    public var seed: UInt64
    /// SHA-256 (hex) of the whole dataset the run reads (every shard reads all of it).
    public var dataDigest: String
    /// Version of the tool that wrote the part.
    public var toolVersion: String
    /// Examples in the whole dataset (the sum over the shards' blocks).
    public var examples: Int

    /// A record.
    public init(shard: Shard, seed: UInt64, dataDigest: String, toolVersion: String, examples: Int) {
        self.shard = shard
        self.seed = seed
        self.dataDigest = dataDigest
        self.toolVersion = toolVersion
        self.examples = examples
    }

    /// Checks that `parts` are shards 1…N of one run — the same N, seed, data digest, tool
    /// version and dataset size, each shard exactly once — and returns the positions of
    /// `parts` in shard order.
    /// - Throws: ``DataError`` in one line naming the first field that differs (with both
    ///   values and the parts' positions), or the duplicate or missing shard.
    public static func checkComplete(_ parts: [ShardedRun]) throws(DataError) -> [Int] {
        guard let first = parts.first else { throw DataError(.shapeMismatch, "merge: no parts given") }
        for (p, part) in parts.enumerated().dropFirst() {
            let differs: (String, String, String)?
            if part.shard.count != first.shard.count {
                differs = ("shard count", String(first.shard.count), String(part.shard.count))
            } else if part.seed != first.seed {
                differs = ("seed", String(first.seed), String(part.seed))
            } else if part.dataDigest != first.dataDigest {
                differs = ("dataset digest", String(first.dataDigest.prefix(16)), String(part.dataDigest.prefix(16)))
            } else if part.toolVersion != first.toolVersion {
                differs = ("tool version", first.toolVersion, part.toolVersion)
            } else if part.examples != first.examples {
                differs = ("dataset size", String(first.examples), String(part.examples))
            } else {
                differs = nil
            }
            if let (field, a, b) = differs {
                throw DataError(.shapeMismatch, "merge: part 1 and part \(p + 1) differ in \(field) (\(a) vs \(b)): they are not shards of one run")
            }
        }
        var position = [Int?](repeating: nil, count: first.shard.count)
        for (p, part) in parts.enumerated() {
            if let earlier = position[part.shard.index - 1] {
                throw DataError(.shapeMismatch, "merge: shard \(part.shard) given twice (parts \(earlier + 1) and \(p + 1))")
            }
            position[part.shard.index - 1] = p
        }
        let missing = position.indices.filter { position[$0] == nil }.map { "\($0 + 1)/\(first.shard.count)" }
        guard missing.isEmpty else {
            let shown = missing.prefix(5).joined(separator: ", ") + (missing.count > 5 ? ", … (\(missing.count) missing)" : "")
            throw DataError(.shapeMismatch, "merge: missing shard \(shown)")
        }
        return position.compactMap { $0 }
    }
}
