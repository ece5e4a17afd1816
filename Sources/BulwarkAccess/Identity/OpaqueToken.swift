/// The shape shared by API tokens and session tokens: `<prefix>_<id>_<secret>`, where `id` is
/// 80 random bits and `secret` 256 random bits, both lower-case unpadded base32. The id is
/// public (a store's lookup key, safe in logs); only a domain-separated SHA-256 digest of id and
/// secret is stored. Sixty-eight characters after the prefix, no characters needing escaping
/// in a header, a cookie or a URL.
package struct OpaqueToken: Sendable {
    /// The public identifier, 16 characters.
    package let id: String
    /// The secret part, 32 bytes.
    package let secret: [UInt8]

    static let idBytes = 10
    static let secretBytes = 32
    static let idCharacters = 16
    static let secretCharacters = 52

    /// A fresh token.
    package static func generate() -> OpaqueToken {
        OpaqueToken(id: Base32.encode(SecretBytes.random(count: idBytes), padding: false).lowercased(),
                    secret: SecretBytes.random(count: secretBytes))
    }

    private init(id: String, secret: [UInt8]) {
        self.id = id
        self.secret = secret
    }

    /// The token text with `prefix` (`bwk`, `bws`).
    package func text(prefix: String) -> String {
        "\(prefix)_\(id)_\(Base32.encode(secret, padding: false).lowercased())"
    }

    /// Parses `text`, or returns `nil` when it is not a token of `prefix` (length is checked
    /// before anything is decoded).
    package static func parse(_ text: String, prefix: String) -> OpaqueToken? {
        let bytes = Array(text.utf8)
        let head = Array(prefix.utf8) + [UInt8(ascii: "_")]
        guard bytes.count == head.count + idCharacters + 1 + secretCharacters, bytes.starts(with: head),
              bytes[head.count + idCharacters] == UInt8(ascii: "_") else { return nil }
        let idText = String(decoding: bytes[head.count..<head.count + idCharacters], as: UTF8.self)
        let secretText = String(decoding: bytes[(head.count + idCharacters + 1)...], as: UTF8.self)
        guard idText == idText.lowercased(), secretText == secretText.lowercased(),
              let idBytes = try? Base32.decodeUserInput(idText), idBytes.count == Self.idBytes,
              let secret = try? Base32.decodeUserInput(secretText), secret.count == secretBytes,
              Base32.encode(secret, padding: false).lowercased() == secretText else { return nil }
        return OpaqueToken(id: idText, secret: secret)
    }

    /// Hex SHA-256 of `domain`, the id and the secret: what a record stores.
    package func digest(domain: String) -> String {
        SecretBytes.hex(SecretBytes.digest(Array(id.utf8) + [UInt8(ascii: "_")] + secret, domain: domain))
    }

    /// Whether this token's digest equals `stored`, in constant time.
    package func matches(_ stored: String, domain: String) -> Bool {
        SecretBytes.constantTimeEquals(Array(digest(domain: domain).utf8), Array(stored.utf8))
    }
}
