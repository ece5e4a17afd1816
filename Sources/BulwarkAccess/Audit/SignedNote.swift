public import Crypto

/// The Ed25519 key that signs notes (C2SP signed-note, signature type 0x01) under a key name.
///
/// The key's text form is Go's `golang.org/x/mod/sumdb/note` signer key,
/// `PRIVATE+KEY+<name>+<key id, 8 hex digits>+<base64(0x01 ‖ 32-byte seed)>`; it is a secret —
/// keep it in a file only the server reads.
///
/// ```swift
/// let signer = try NoteSigner.generate(name: "bulwark.example/audit")
/// let note = try SignedNote.sign("hello\n", by: [signer]).text
/// ```
public struct NoteSigner: Sendable {
    /// The key name written in signature lines; by convention the log's origin.
    public let name: String
    /// The Ed25519 private key.
    private let privateKey: Curve25519.Signing.PrivateKey
    /// The verifier for this signer's signatures.
    public let verifier: NoteVerifier

    /// A signer named `name` with `privateKey`; throws `.invalidParameter` when the name is not a
    /// valid key name (empty, or containing a space, `+` or a control character).
    public init(name: String, privateKey: Curve25519.Signing.PrivateKey) throws(AccessError) {
        self.name = name
        self.privateKey = privateKey
        verifier = try NoteVerifier(name: name, publicKey: privateKey.publicKey)
    }

    /// A new random key named `name`.
    public static func generate(name: String) throws(AccessError) -> NoteSigner {
        try NoteSigner(name: name, privateKey: Curve25519.Signing.PrivateKey())
    }

    /// Parses a signer key string (see the type's documentation); throws `.malformed` for any
    /// other text, or when its key id does not match its name and key.
    public init(signerKey: String) throws(AccessError) {
        // The base64 key may itself contain '+': split off the four fields before it only.
        let parts = signerKey.split(separator: "+", maxSplits: 4, omittingEmptySubsequences: false)
        guard signerKey.utf8.count <= 1024, parts.count == 5, parts[0] == "PRIVATE", parts[1] == "KEY",
              let keyID = NoteVerifier.parseKeyID(parts[3]),
              let material = Base64.decode(parts[4]), material.count == 33, material[0] == 0x01,
              NoteVerifier.isValidKeyName(parts[2]),
              let privateKey = try? Curve25519.Signing.PrivateKey(rawRepresentation: Array(material[1...])) else {
            throw AccessError(.malformed, "signer key: expected PRIVATE+KEY+<name>+<8 hex digits>+<base64 Ed25519 seed>")
        }
        try self.init(name: String(parts[2]), privateKey: privateKey)
        guard verifier.keyID == keyID else {
            throw AccessError(.malformed, "signer key: key id does not match the key name and key")
        }
    }

    /// The signer key string (a secret).
    public var signerKey: String {
        "PRIVATE+KEY+\(name)+\(NoteVerifier.hex(verifier.keyID))+\(Base64.encode([0x01] + Array(privateKey.rawRepresentation)))"
    }

    /// Signs `text` (a note text, ending in a newline).
    public func signature(for text: String) throws(AccessError) -> NoteSignature {
        do {
            let bytes = try privateKey.signature(for: Array(text.utf8))
            return NoteSignature(name: name, keyID: verifier.keyID, signature: Array(bytes))
        } catch {
            throw AccessError(.invalidParameter, "note signer \(name): cannot sign", underlying: error)
        }
    }
}

/// The public half of a ``NoteSigner``: checks Ed25519 signatures on notes.
///
/// Text form: `<name>+<key id, 8 hex digits>+<base64(0x01 ‖ 32-byte public key)>`, where the key
/// id is the first four bytes of SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key), big-endian
/// (c2sp.org/signed-note).
public struct NoteVerifier: Sendable, Hashable {
    /// The key name.
    public let name: String
    /// The key id: SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key)[0..<4], big-endian.
    public let keyID: UInt32
    /// The 32-byte Ed25519 public key.
    public let publicKey: [UInt8]

    /// The most bytes a key name may have.
    public static let maximumNameBytes = 256

    /// A verifier named `name` for `publicKey`; throws `.invalidParameter` for an invalid name.
    public init(name: String, publicKey: Curve25519.Signing.PublicKey) throws(AccessError) {
        guard Self.isValidKeyName(name) else {
            throw AccessError(.invalidParameter, "note key name: expected 1 to \(Self.maximumNameBytes) bytes without spaces, '+' or control characters")
        }
        self.name = name
        self.publicKey = Array(publicKey.rawRepresentation)
        keyID = Self.keyID(name: name, publicKey: self.publicKey)
    }

    /// Parses a verifier key string; throws `.malformed` for any other text or a key id that does
    /// not match.
    public init(verifierKey: String) throws(AccessError) {
        // The base64 key may itself contain '+': split off the two fields before it only.
        let parts = verifierKey.split(separator: "+", maxSplits: 2, omittingEmptySubsequences: false)
        guard verifierKey.utf8.count <= 1024, parts.count == 3, Self.isValidKeyName(parts[0]),
              let keyID = Self.parseKeyID(parts[1]),
              let material = Base64.decode(parts[2]), material.count == 33, material[0] == 0x01,
              let key = try? Curve25519.Signing.PublicKey(rawRepresentation: Array(material[1...])) else {
            throw AccessError(.malformed, "verifier key: expected <name>+<8 hex digits>+<base64 Ed25519 public key>")
        }
        try self.init(name: String(parts[0]), publicKey: key)
        guard self.keyID == keyID else {
            throw AccessError(.malformed, "verifier key: key id does not match the key name and key")
        }
    }

    /// The verifier key string.
    public var verifierKey: String { "\(name)+\(Self.hex(keyID))+\(Base64.encode([0x01] + publicKey))" }

    /// Whether `signature` is this key's signature of `text`.
    public func isValidSignature(_ signature: NoteSignature, for text: String) -> Bool {
        guard signature.name == name, signature.keyID == keyID, signature.signature.count == 64,
              let key = try? Curve25519.Signing.PublicKey(rawRepresentation: publicKey) else { return false }
        return key.isValidSignature(signature.signature, for: Array(text.utf8))
    }

    /// Whether `name` may name a key: 1 to ``maximumNameBytes`` bytes, no Unicode space, no `+`,
    /// no control character.
    static func isValidKeyName(_ name: some StringProtocol) -> Bool {
        guard !name.isEmpty, name.utf8.count <= maximumNameBytes else { return false }
        return !name.unicodeScalars.contains { $0.properties.isWhitespace || $0 == "+" || $0.value < 0x20 || $0.value == 0x7F }
    }

    static func keyID(name: String, publicKey: [UInt8]) -> UInt32 {
        let digest = Array(SHA256.hash(data: Array(name.utf8) + [0x0A, 0x01] + publicKey))
        return digest[0..<4].reduce(0) { $0 << 8 | UInt32($1) }
    }

    static func parseKeyID(_ text: some StringProtocol) -> UInt32? {
        guard text.utf8.count == 8, text.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) else { return nil }
        return UInt32(text, radix: 16)
    }

    static func hex(_ keyID: UInt32) -> String {
        let digits = String(keyID, radix: 16)
        return String(repeating: "0", count: 8 - digits.count) + digits
    }
}

/// One signature line of a note: `— <name> <base64(key id ‖ signature)>`.
public struct NoteSignature: Hashable, Sendable {
    /// The signing key's name.
    public var name: String
    /// The signing key's id (big-endian on the wire).
    public var keyID: UInt32
    /// The signature bytes after the key id (64 for Ed25519).
    public var signature: [UInt8]

    /// A signature by key `name` / `keyID`.
    public init(name: String, keyID: UInt32, signature: [UInt8]) {
        self.name = name
        self.keyID = keyID
        self.signature = signature
    }

    /// The signature line, with its final newline.
    public var line: String {
        let id: [UInt8] = [UInt8(keyID >> 24), UInt8((keyID >> 16) & 0xFF), UInt8((keyID >> 8) & 0xFF), UInt8(keyID & 0xFF)]
        return "\u{2014} \(name) \(Base64.encode(id + signature))\n"
    }
}

/// A C2SP signed note (c2sp.org/signed-note): a text ending in a newline, a blank line, and one
/// or more signature lines.
///
/// ``parse(_:)`` treats its input as hostile: at most ``maximumBytes`` bytes and
/// ``maximumSignatures`` signatures, valid UTF-8 without control characters other than newline,
/// canonical base64. Parsing checks no signature; ``verifiedText(by:)`` does.
///
/// ```swift
/// let signer = try NoteSigner.generate(name: "bulwark.example/audit")
/// let received = try SignedNote.sign("hello\n", by: [signer]).serialized
/// let note = try SignedNote.parse(received)
/// let text = try note.verifiedText(by: [signer.verifier])   // throws unless a trusted key signed it
/// ```
public struct SignedNote: Hashable, Sendable {
    /// The signed text, including its final newline.
    public var text: String
    /// The signature lines, in order.
    public var signatures: [NoteSignature]

    /// The most bytes a note may have.
    public static let maximumBytes = 64 * 1024
    /// The most signature lines a note may have (the spec asks verifiers to accept 16).
    public static let maximumSignatures = 100

    /// A note of `text` with `signatures`.
    public init(text: String, signatures: [NoteSignature]) {
        self.text = text
        self.signatures = signatures
    }

    /// Signs `text` with each of `signers`; throws `.malformed` when `text` is not a valid note
    /// text (it must end in a newline and hold no control character other than newline).
    public static func sign(_ text: String, by signers: [NoteSigner]) throws(AccessError) -> SignedNote {
        guard text.utf8.last == 0x0A, !text.utf8.contains(where: { ($0 < 0x20 && $0 != 0x0A) || $0 == 0x7F }) else {
            throw AccessError(.malformed, "note text: expected text ending in a newline, without control characters")
        }
        var signatures: [NoteSignature] = []
        for signer in signers { signatures.append(try signer.signature(for: text)) }
        return SignedNote(text: text, signatures: signatures)
    }

    /// The note as it is sent: text, blank line, signature lines.
    public var serialized: String { text + "\n" + signatures.map(\.line).joined() }

    /// Parses a note; throws `.malformed` naming the first rule it breaks.
    public static func parse(_ note: some Collection<UInt8>) throws(AccessError) -> SignedNote {
        guard note.count <= maximumBytes else {
            throw AccessError(.malformed, "signed note: \(note.count) bytes exceed the limit of \(maximumBytes)")
        }
        let bytes = Array(note)
        guard let decoded = String(validating: bytes, as: UTF8.self) else {
            throw AccessError(.malformed, "signed note: not valid UTF-8")
        }
        guard !bytes.contains(where: { ($0 < 0x20 && $0 != 0x0A) || $0 == 0x7F }) else {
            throw AccessError(.malformed, "signed note: contains a control character other than newline")
        }
        // The text ends at the last blank line: find the last "\n\n".
        var split: Int?
        var position = bytes.count - 1
        while position > 0 {
            if bytes[position] == 0x0A, bytes[position - 1] == 0x0A { split = position - 1; break }
            position -= 1
        }
        guard let split else { throw AccessError(.malformed, "signed note: no blank line before the signatures") }
        let text = String(decoding: bytes[...split], as: UTF8.self)
        let block = bytes[(split + 2)...]
        guard !block.isEmpty, block.last == 0x0A else {
            throw AccessError(.malformed, "signed note: expected signature lines ending in a newline")
        }
        var signatures: [NoteSignature] = []
        for line in block.dropLast().split(separator: 0x0A, omittingEmptySubsequences: false) {
            guard signatures.count < maximumSignatures else {
                throw AccessError(.malformed, "signed note: more than \(maximumSignatures) signatures")
            }
            signatures.append(try parseSignature(line, number: signatures.count + 1))
        }
        _ = decoded
        return SignedNote(text: text, signatures: signatures)
    }

    /// Parses a note from text.
    public static func parse(_ note: String) throws(AccessError) -> SignedNote {
        try parse(Array(note.utf8))
    }

    /// The text, once a signature by one of `verifiers` checks.
    ///
    /// Signatures from keys not among `verifiers` (another name or another key id) are ignored,
    /// as the spec requires. Throws `.tampered` when a signature from a known key fails, and
    /// `.unauthenticated` when no known key signed the note.
    public func verifiedText(by verifiers: [NoteVerifier]) throws(AccessError) -> String {
        var verified = false
        for signature in signatures {
            for verifier in verifiers where verifier.name == signature.name && verifier.keyID == signature.keyID {
                guard verifier.isValidSignature(signature, for: text) else {
                    throw AccessError(.tampered, "signed note: the signature by \(verifier.name) does not verify")
                }
                verified = true
            }
        }
        guard verified else {
            throw AccessError(.unauthenticated, "signed note: no signature by a trusted key (\(verifiers.map(\.name).joined(separator: ", ")))")
        }
        return text
    }

    private static func parseSignature(_ line: ArraySlice<UInt8>, number: Int) throws(AccessError) -> NoteSignature {
        let dash: [UInt8] = [0xE2, 0x80, 0x94, 0x20]  // "— "
        guard line.starts(with: dash) else {
            throw AccessError(.malformed, "signed note: signature line \(number) does not start with an em dash and a space")
        }
        let rest = line.dropFirst(dash.count)
        let fields = rest.split(separator: 0x20, omittingEmptySubsequences: false)
        guard fields.count == 2 else {
            throw AccessError(.malformed, "signed note: signature line \(number): expected a key name and a signature")
        }
        let name = String(decoding: fields[0], as: UTF8.self)
        guard NoteVerifier.isValidKeyName(name) else {
            throw AccessError(.malformed, "signed note: signature line \(number): invalid key name")
        }
        guard let blob = Base64.decode(String(decoding: fields[1], as: UTF8.self)), blob.count > 4 else {
            throw AccessError(.malformed, "signed note: signature line \(number): expected base64 of a key id and a signature")
        }
        let keyID = blob[0..<4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        return NoteSignature(name: name, keyID: keyID, signature: Array(blob[4...]))
    }
}
