import Crypto

/// Helpers shared by the identity code: constant-time comparison, random bytes from the system
/// generator and SHA-256 digests for high-entropy secrets. `package` access: callers use the
/// typed APIs (``PasswordHasher``, ``TOTP``, ``APIToken``, ``SessionToken``).
package enum SecretBytes {
    /// True when `lhs` and `rhs` hold the same bytes, in time that depends only on their
    /// lengths (never on where they first differ). Lengths are public (a tag or digest length),
    /// so unequal lengths return `false` at once.
    package static func constantTimeEquals(_ lhs: some Collection<UInt8>, _ rhs: some Collection<UInt8>) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for (left, right) in zip(lhs, rhs) { difference |= left ^ right }
        return difference == 0
    }

    /// `count` bytes from `SystemRandomNumberGenerator` (getrandom(2) on Linux, a CSPRNG).
    package static func random(count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count)
        while bytes.count < count {
            var word = generator.next()
            for _ in 0..<Swift.min(8, count - bytes.count) {
                bytes.append(UInt8(truncatingIfNeeded: word))
                word >>= 8
            }
        }
        return bytes
    }

    /// SHA-256 of `bytes` after a domain label and a zero byte, so a digest made for one purpose
    /// (an API token) never equals one made for another (a recovery code).
    package static func digest(_ bytes: some Sequence<UInt8>, domain: String) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(data: Array(domain.utf8) + [0])
        hasher.update(data: Array(bytes))
        return Array(hasher.finalize())
    }

    /// Lower-case hexadecimal for a digest, as a store keeps it.
    package static func hex(_ bytes: some Sequence<UInt8>) -> String { lowercaseHex(bytes) }
}
