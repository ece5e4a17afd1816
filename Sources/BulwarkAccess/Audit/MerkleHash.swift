public import Crypto

/// A 32-byte SHA-256 value in an RFC 6962 Merkle tree: a leaf hash, an interior node hash or a
/// tree head (root).
///
/// Stored inline (no heap allocation), so a log of a million entries keeps its node hashes in
/// flat arrays. Equality compares all 32 bytes.
///
/// ```swift
/// let leaf = MerkleHash.leaf([0x00])        // SHA-256(0x00 ‖ 0x00)
/// let root = MerkleHash.node(leaf, leaf)    // SHA-256(0x01 ‖ leaf ‖ leaf)
/// print(root.hex)
/// ```
public struct MerkleHash: Hashable, Sendable, CustomStringConvertible {
    /// The 32 bytes, in order, as four words laid out contiguously in memory.
    private var words: (UInt64, UInt64, UInt64, UInt64)

    /// The number of bytes in a hash.
    public static let byteCount = 32

    /// The root of the empty tree: SHA-256 of the empty string (RFC 9162 §2.1.1).
    public static let emptyTree = MerkleHash(digest: SHA256.hash(data: [UInt8]()))

    /// A hash from exactly 32 bytes; `nil` for any other length.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == Self.byteCount else { return nil }
        words = (0, 0, 0, 0)
        withUnsafeMutableBytes(of: &words) { raw in
            for (offset, byte) in bytes.enumerated() { raw[offset] = byte }
        }
    }

    /// A hash from a SHA-256 digest.
    public init(digest: SHA256.Digest) {
        words = (0, 0, 0, 0)
        withUnsafeMutableBytes(of: &words) { target in
            digest.withUnsafeBytes { source in target.copyMemory(from: source) }
        }
    }

    /// A hash from 64 lowercase or uppercase hexadecimal digits; `nil` otherwise.
    public init?(hex: String) {
        let digits = Array(hex.utf8)
        guard digits.count == 2 * Self.byteCount else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Self.byteCount)
        var index = 0
        while index < digits.count {
            guard let high = Self.nibble(digits[index]), let low = Self.nibble(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        self.init(bytes: bytes)
    }

    /// The RFC 6962 leaf hash of `data`: SHA-256(0x00 ‖ data).
    public static func leaf(_ data: some Collection<UInt8>) -> MerkleHash {
        var hasher = SHA256()
        hasher.update(data: [0x00] as [UInt8])
        let hashedInPlace = data.withContiguousStorageIfAvailable { buffer in
            hasher.update(bufferPointer: UnsafeRawBufferPointer(buffer))
        } != nil
        if !hashedInPlace { hasher.update(data: Array(data)) }
        return MerkleHash(digest: hasher.finalize())
    }

    /// The RFC 6962 interior node hash: SHA-256(0x01 ‖ left ‖ right).
    public static func node(_ left: MerkleHash, _ right: MerkleHash) -> MerkleHash {
        var hasher = SHA256()
        withUnsafeBytes(of: UInt8(0x01)) { hasher.update(bufferPointer: $0) }
        withUnsafeBytes(of: left.words) { hasher.update(bufferPointer: $0) }
        withUnsafeBytes(of: right.words) { hasher.update(bufferPointer: $0) }
        return MerkleHash(digest: hasher.finalize())
    }

    /// The 32 bytes.
    public var bytes: [UInt8] {
        withUnsafeBytes(of: words) { Array($0) }
    }

    /// The 64 lowercase hexadecimal digits.
    public var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(2 * Self.byteCount)
        withUnsafeBytes(of: words) { raw in
            for byte in raw {
                text.append(digits[Int(byte >> 4)])
                text.append(digits[Int(byte & 0x0F)])
            }
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// The standard base64 encoding (RFC 4648 §4), as in a checkpoint's root hash line.
    public var base64: String { Base64.encode(bytes) }

    /// The hexadecimal digits.
    public var description: String { hex }

    /// Compares all 32 bytes.
    public static func == (lhs: MerkleHash, rhs: MerkleHash) -> Bool {
        lhs.words.0 == rhs.words.0 && lhs.words.1 == rhs.words.1 && lhs.words.2 == rhs.words.2 && lhs.words.3 == rhs.words.3
    }

    /// Feeds all 32 bytes to `hasher`.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(words.0)
        hasher.combine(words.1)
        hasher.combine(words.2)
        hasher.combine(words.3)
    }

    private static func nibble(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
