public import Foundation

/// Single-use recovery codes: the way back in when the authenticator is lost.
///
/// Each code is 16 characters of Crockford's base32 alphabet (`0-9a-z` without `i l o u`), 80
/// random bits, shown to the user once as `7k2m-9qxd-…` groups of four. Entering a code
/// normalises it: case, spaces and dashes are ignored and the look-alikes `i`/`l` → `1`,
/// `o` → `0` are mapped, as Crockford's alphabet intends.
///
/// **Only SHA-256 digests are stored, not Argon2id hashes.** A slow, salted hash protects
/// *guessable* secrets: passwords come from a small human-chosen space. A recovery code is 80
/// uniformly random bits, so an attacker holding the digests still needs about 2⁷⁹ SHA-256
/// evaluations per code, far beyond reach; salt adds nothing because no code repeats across
/// users. Argon2id would instead cost 64 MiB and ~100 ms per stored code on every redemption
/// (ten of them), an easy denial of service on an unauthenticated endpoint. Digests are
/// domain-separated (`bulwark recovery code v1`) and compared in constant time.
///
/// ```swift
/// let (codes, stored) = try RecoveryCodes.generate()       // show `codes` once, store `stored`
/// let updated = try stored.redeeming("7K2M 9QXD 4R8T 0ZWE", at: .now)   // persist `updated`
/// ```
public struct RecoveryCodes: Codable, Sendable, Equatable {
    /// One stored code: its digest and when it was used, if it was.
    public struct Entry: Codable, Sendable, Equatable {
        /// Lower-case hexadecimal SHA-256 of the domain label and the normalised code.
        public let digest: String
        /// When the code was redeemed; a used code is refused.
        public var usedAt: Date?
    }

    /// The stored codes, in the order they were shown.
    public private(set) var entries: [Entry]

    /// Characters per code.
    public static let codeLength = 16
    /// Crockford's base32 alphabet, lower case.
    private static let alphabet = Array("0123456789abcdefghjkmnpqrstvwxyz".utf8)
    private static let domain = "bulwark recovery code v1"

    /// Stored codes as a store loads them, in the order they were shown.
    init(entries: [Entry]) { self.entries = entries }

    /// Codes not yet used.
    public var remaining: Int { entries.count(where: { $0.usedAt == nil }) }

    /// `count` fresh codes, formatted for a person, and the digests to store.
    ///
    /// - Throws: ``AccessError`` `.invalidParameter` unless `count` is 1...50.
    public static func generate(count: Int = 10) throws(AccessError) -> (codes: [String], stored: RecoveryCodes) {
        guard (1...50).contains(count) else {
            throw AccessError(.invalidParameter, "recovery codes: count \(count), expected 1...50")
        }
        var codes: [String] = []
        var entries: [Entry] = []
        for _ in 0..<count {
            let random = SecretBytes.random(count: 10)  // 80 bits = 16 characters of 5 bits
            var characters: [UInt8] = []
            var accumulator: UInt32 = 0
            var bits = 0
            for byte in random {
                accumulator = (accumulator << 8) | UInt32(byte)
                bits += 8
                while bits >= 5 {
                    bits -= 5
                    characters.append(alphabet[Int((accumulator >> UInt32(bits)) & 0x1F)])
                }
                accumulator &= (1 << UInt32(bits)) - 1
            }
            let groups = stride(from: 0, to: codeLength, by: 4).map { String(decoding: characters[$0..<$0 + 4], as: UTF8.self) }
            codes.append(groups.joined(separator: "-"))
            entries.append(Entry(digest: SecretBytes.hex(SecretBytes.digest(characters, domain: domain)), usedAt: nil))
        }
        return (codes, RecoveryCodes(entries: entries))
    }

    /// The canonical form of an entered code (16 lower-case alphabet characters), or `nil` when
    /// it cannot be a code.
    public static func normalized(_ code: String) -> String? {
        var out: [UInt8] = []
        for byte in code.utf8 {
            if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "-") { continue }
            var character = (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte + 32 : byte
            if character == UInt8(ascii: "i") || character == UInt8(ascii: "l") { character = UInt8(ascii: "1") }
            if character == UInt8(ascii: "o") { character = UInt8(ascii: "0") }
            guard alphabet.contains(character), out.count < codeLength else { return nil }
            out.append(character)
        }
        return out.count == codeLength ? String(decoding: out, as: UTF8.self) : nil
    }

    /// The codes with `code` marked used at `now`; persist the result.
    ///
    /// Every stored digest is compared, in constant time.
    ///
    /// - Throws: ``AccessError`` `.unauthenticated`: "recovery code is not valid", or "recovery
    ///   code was already used". Never quotes the code.
    public func redeeming(_ code: String, at now: Date) throws(AccessError) -> RecoveryCodes {
        let invalid = AccessError(.unauthenticated, "recovery code is not valid")
        guard let canonical = Self.normalized(code) else { throw invalid }
        let digest = Array(SecretBytes.hex(SecretBytes.digest(Array(canonical.utf8), domain: Self.domain)).utf8)
        var match: Int?
        var used = false
        for (index, entry) in entries.enumerated() where SecretBytes.constantTimeEquals(Array(entry.digest.utf8), digest) {
            if entry.usedAt == nil { match = index } else { used = true }
        }
        guard let match else {
            throw used ? AccessError(.unauthenticated, "recovery code was already used") : invalid
        }
        var updated = self
        updated.entries[match].usedAt = now
        return updated
    }
}
