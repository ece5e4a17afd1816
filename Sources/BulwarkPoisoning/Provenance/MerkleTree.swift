import Crypto

/// The Merkle tree hash of RFC 6962 (Certificate Transparency, section 2.1) over SHA-256,
/// with domain-separated leaves and nodes so that a leaf can never be passed off as a node:
///
/// - empty list: `SHA-256("")`
/// - one leaf `d`: `SHA-256(0x00 ‖ d)`
/// - `n > 1` leaves: `SHA-256(0x01 ‖ MTH(D[0..<k]) ‖ MTH(D[k..<n]))`, `k` the largest power of
///   two below `n`.
///
/// Cost: `2n − 1` SHA-256 computations.
///
/// ```swift
/// let root = MerkleTree.root(leaves: [Array("a".utf8), Array("b".utf8)])
/// print(MerkleTree.hex(root))
/// ```
public enum MerkleTree {
    /// `SHA-256(0x00 ‖ data)`.
    public static func leafHash(_ data: [UInt8]) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(data: [0x00])
        hasher.update(data: data)
        return Array(hasher.finalize())
    }

    /// `SHA-256(0x01 ‖ left ‖ right)`.
    public static func nodeHash(_ left: [UInt8], _ right: [UInt8]) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(data: [0x01])
        hasher.update(data: left)
        hasher.update(data: right)
        return Array(hasher.finalize())
    }

    /// The tree hash of `leaves`, in the order given.
    public static func root(leaves: [[UInt8]]) -> [UInt8] {
        if leaves.isEmpty { return Array(SHA256.hash(data: [UInt8]())) }
        return root(hashes: leaves.map(leafHash)[...])
    }

    static func root(hashes: ArraySlice<[UInt8]>) -> [UInt8] {
        if hashes.count == 1, let only = hashes.first { return only }
        var k = 1
        while k * 2 < hashes.count { k *= 2 }
        let split = hashes.startIndex + k
        return nodeHash(root(hashes: hashes[..<split]), root(hashes: hashes[split...]))
    }

    /// Lower-case hexadecimal.
    public static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The bytes of a lower-case or upper-case hexadecimal string (nil if it is not one).
    public static func bytes(hex: String) -> [UInt8]? {
        let chars = Array(hex.utf8)
        guard chars.count % 2 == 0 else { return nil }
        func value(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: c - 0x30
            case 0x61...0x66: c - 0x61 + 10
            case 0x41...0x46: c - 0x41 + 10
            default: nil
            }
        }
        var out: [UInt8] = []
        var i = 0
        while i < chars.count {
            guard let hi = value(chars[i]), let lo = value(chars[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }
}
