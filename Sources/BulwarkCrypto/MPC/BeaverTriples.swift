/// One party's shares of elementwise Beaver multiplication triples over ℤ/2⁶⁴ℤ: random a and b
/// and c = a · b (wrapping), each additively shared (Beaver, "Efficient Multiparty Protocols
/// Using Circuit Randomization", CRYPTO 1991).
///
/// A triple is used once: opening x − a and y − b reveals nothing because a and b are uniform
/// and secret; reusing one would reveal x − x′.
public struct BeaverTriple: Sendable, Hashable {
    /// Shares of a, b and c = a·b, each of ``count`` elements.
    public var a: [UInt64], b: [UInt64], c: [UInt64]
    /// The number of triples.
    public var count: Int { a.count }

    /// A triple share from its three parts (of equal length).
    public init(a: [UInt64], b: [UInt64], c: [UInt64]) {
        self.a = a
        self.b = b
        self.c = c
    }
}

/// One party's shares of a matrix Beaver triple for a product of shapes
/// (`rows` × `inner`) · (`inner` × `columns`): random A and B and C = A·B over ℤ/2⁶⁴ℤ, row-major.
/// One matrix triple masks a whole matrix product with (rows·inner + inner·columns) opened
/// elements instead of rows·inner·columns scalar triples (Mohassel and Zhang, SecureML §4.1).
public struct MatrixBeaverTriple: Sendable, Hashable {
    /// The shape of the product.
    public let rows: Int, inner: Int, columns: Int
    /// Shares of A (rows × inner), B (inner × columns) and C = A·B (rows × columns).
    public var a: [UInt64], b: [UInt64], c: [UInt64]

    /// A matrix triple share from its shape and parts.
    public init(rows: Int, inner: Int, columns: Int, a: [UInt64], b: [UInt64], c: [UInt64]) {
        self.rows = rows
        self.inner = inner
        self.columns = columns
        self.a = a
        self.b = b
        self.c = c
    }
}

/// One party's XOR shares of binary Beaver triples: random words a and b and c = a AND b, each
/// word 64 independent bit triples.
public struct BinaryBeaverTriple: Sendable, Hashable {
    /// Shares of a, b and c = a & b.
    public var a: [UInt64], b: [UInt64], c: [UInt64]
    /// The number of words.
    public var count: Int { a.count }

    /// A binary triple share from its three parts (of equal length).
    public init(a: [UInt64], b: [UInt64], c: [UInt64]) {
        self.a = a
        self.b = b
        self.c = c
    }
}

/// Where a party's correlated randomness comes from: a trusted dealer (``InProcessDealer``) or a
/// two-party protocol (``PaillierTripleGeneration``).
///
/// Every party of a computation asks for the same material in the same order; a source may talk
/// over `channel` to make it, and adds what that cost to `cost` (kept apart from the online
/// cost by ``MPCParty``).
public protocol MPCPreprocessing: Sendable {
    /// This party's shares of `count` elementwise multiplication triples.
    mutating func beaverTriples(count: Int, channel: any MPCChannel, cost: inout MPCCost) async throws(CryptoError) -> BeaverTriple
    /// This party's shares of a matrix triple for a (`rows` × `inner`)·(`inner` × `columns`) product.
    mutating func matrixTriple(rows: Int, inner: Int, columns: Int, channel: any MPCChannel, cost: inout MPCCost) async throws(CryptoError) -> MatrixBeaverTriple
    /// This party's shares of `count` words of binary AND triples.
    mutating func binaryTriples(count: Int, channel: any MPCChannel, cost: inout MPCCost) async throws(CryptoError) -> BinaryBeaverTriple
}
