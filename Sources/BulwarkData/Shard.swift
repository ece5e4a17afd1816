/// One of `count` parts of a run over a dataset, written `K/N` (1 ≤ K ≤ N ≤ 10 000): the
/// unit a long evaluation is split into so several machines can run it, each writing a partial
/// result that `bulwark report merge` combines.
///
/// **Split rule.** Shard K of N owns the contiguous block of example indices
/// `⌊(K−1)·n/N⌋ ..< ⌊K·n/N⌋` of a dataset of `n` examples: blocks are in data order, cover
/// every index exactly once, and their sizes differ by at most one (a shard may be empty when
/// N > n). Concatenating the blocks of shards 1…N gives `0..<n` in order.
///
/// **Seeds.** Randomness that belongs to one example is drawn from a stream seeded by
/// ``exampleSeed(run:index:)`` of the run's seed and the example's *global* index, never its
/// position inside a shard or a batch, so a figure does not depend on how the examples were
/// grouped.
///
/// ```swift
/// let shard = try Shard(parsing: "2/4")
/// shard.range(of: 10)          // 2..<5
/// Shard.exampleSeed(run: 7, index: 3)
/// ```
public struct Shard: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The 1-based shard number K.
    public let index: Int
    /// The number of shards N.
    public let count: Int

    /// The largest number of shards a run may be split into.
    public static let maximumCount = 10_000

    /// The whole run as one shard (`1/1`).
    public static let whole = Shard(checkedIndex: 1, count: 1)

    private init(checkedIndex index: Int, count: Int) {
        self.index = index
        self.count = count
    }

    /// Shard `index` of `count`.
    /// - Throws: ``DataError`` unless 1 ≤ index ≤ count ≤ ``maximumCount``.
    public init(index: Int, count: Int) throws(DataError) {
        guard count >= 1, count <= Self.maximumCount, index >= 1, index <= count else {
            throw DataError(.malformed, "shard \(index)/\(count): expected K/N with 1 ≤ K ≤ N ≤ \(Self.maximumCount)")
        }
        self.init(checkedIndex: index, count: count)
    }

    /// Parses `"K/N"`, e.g. `"3/8"`.
    /// - Throws: ``DataError`` naming the text when it is not two integers with 1 ≤ K ≤ N ≤ 10 000.
    public init(parsing text: String) throws(DataError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        let shown = text.count > 40 ? String(text.prefix(40)) + "…" : text
        guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty && $0.count <= 6 && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
              let k = Int(parts[0]), let n = Int(parts[1]) else {
            throw DataError(.malformed, "shard '\(shown)': expected K/N with 1 ≤ K ≤ N ≤ \(Self.maximumCount), e.g. 2/4")
        }
        try self.init(index: k, count: n)
    }

    /// `"K/N"`.
    public var description: String { "\(index)/\(count)" }

    /// Whether this is the whole run (`1/1`).
    public var isWhole: Bool { count == 1 }

    /// The global example indices this shard owns in a dataset of `total` examples (see the
    /// split rule above); empty for `total ≤ 0`.
    public func range(of total: Int) -> Range<Int> {
        guard total > 0 else { return 0..<0 }
        let lower = Int((Int64(index - 1) * Int64(total)) / Int64(count))
        let upper = Int((Int64(index) * Int64(total)) / Int64(count))
        return lower..<upper
    }

    /// The seed of example `index`'s random stream in a run seeded by `run`: a SplitMix64
    /// finalisation of both, so neighbouring indices and seeds give unrelated streams. Depends
    /// only on the run seed and the global index.
    public static func exampleSeed(run: UInt64, index: Int) -> UInt64 {
        var z = run ^ (UInt64(bitPattern: Int64(index)) &* 0x9E37_79B9_7F4A_7C15)
        z &+= 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    enum CodingKeys: String, CodingKey { case index, count }

    /// Decodes and validates `{"index": K, "count": N}`.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(index: c.decode(Int.self, forKey: .index), count: c.decode(Int.self, forKey: .count))
    }

    /// Encodes `{"index": K, "count": N}`.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(index, forKey: .index)
        try c.encode(count, forKey: .count)
    }
}
