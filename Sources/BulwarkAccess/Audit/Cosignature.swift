public import Crypto
public import Foundation

/// A witness's Ed25519 cosigning key (c2sp.org/tlog-cosignature, type 0x04): it signs
/// `cosignature/v1\ntime <T>\n` followed by a checkpoint's body, stating that at time T this was
/// the largest consistent tree it had seen for the log.
///
/// Bulwark's server is a log, not a witness; the signer exists so tests and `bulwark audit`
/// tooling can stand up a witness of their own.
///
/// ```swift
/// let witness = try CosignatureSigner.generate(name: "witness.example/w1")
/// let head = Checkpoint(origin: "bulwark.example/audit", size: 0, rootHash: .emptyTree)
/// let line = try witness.cosign(head.body, at: Date())
/// let time = try witness.verifier.verify(line, checkpointBody: head.body)
/// ```
public struct CosignatureSigner: Sendable {
    /// The witness's key name.
    public let name: String
    private let privateKey: Curve25519.Signing.PrivateKey
    /// The matching verifier.
    public let verifier: CosignatureVerifier

    /// A signer named `name` with `privateKey`; throws `.invalidParameter` for an invalid key name.
    public init(name: String, privateKey: Curve25519.Signing.PrivateKey) throws(AccessError) {
        self.name = name
        self.privateKey = privateKey
        verifier = try CosignatureVerifier(name: name, publicKey: Array(privateKey.publicKey.rawRepresentation))
    }

    /// A new random key named `name`.
    public static func generate(name: String) throws(AccessError) -> CosignatureSigner {
        try CosignatureSigner(name: name, privateKey: Curve25519.Signing.PrivateKey())
    }

    /// The cosignature of the checkpoint with note text `checkpointBody`, made at `time`.
    public func cosign(_ checkpointBody: String, at time: Date) throws(AccessError) -> NoteSignature {
        let seconds = UInt64(max(0, time.timeIntervalSince1970.rounded(.down)))
        do {
            let signature = try privateKey.signature(for: CosignatureVerifier.message(checkpointBody, seconds: seconds))
            return NoteSignature(name: name, keyID: verifier.keyID, signature: CosignatureVerifier.bigEndian(seconds) + Array(signature))
        } catch {
            throw AccessError(.invalidParameter, "cosigner \(name): cannot sign", underlying: error)
        }
    }
}

/// Checks a witness's Ed25519 cosignatures (c2sp.org/tlog-cosignature, type 0x04).
///
/// Text form (a vkey): `<name>+<key id, 8 hex digits>+<base64(0x04 ‖ 32-byte public key)>`, the
/// key id being SHA-256(name ‖ 0x0A ‖ 0x04 ‖ public key)[0..<4].
public struct CosignatureVerifier: Sendable, Hashable {
    /// The witness's key name.
    public let name: String
    /// The key id.
    public let keyID: UInt32
    /// The 32-byte Ed25519 public key.
    public let publicKey: [UInt8]

    /// A verifier named `name` for the 32-byte Ed25519 `publicKey`.
    ///
    /// - Throws: ``AccessError`` `.invalidParameter` for an invalid name or key length.
    public init(name: String, publicKey: [UInt8]) throws(AccessError) {
        guard NoteVerifier.isValidKeyName(name), publicKey.count == 32 else {
            throw AccessError(.invalidParameter, "cosigner key: expected a key name without spaces or '+' and a 32-byte Ed25519 key")
        }
        self.name = name
        self.publicKey = publicKey
        let digest = Array(SHA256.hash(data: Array(name.utf8) + [0x0A, 0x04] + publicKey))
        keyID = digest[0..<4].reduce(0) { $0 << 8 | UInt32($1) }
    }

    /// Parses a cosigner vkey; throws `.malformed` for other text or a key id that does not match.
    public init(verifierKey: String) throws(AccessError) {
        let parts = verifierKey.split(separator: "+", maxSplits: 2, omittingEmptySubsequences: false)
        guard verifierKey.utf8.count <= 1024, parts.count == 3, NoteVerifier.isValidKeyName(parts[0]),
              let keyID = NoteVerifier.parseKeyID(parts[1]),
              let material = Base64.decode(parts[2]), material.count == 33, material[0] == 0x04 else {
            throw AccessError(.malformed, "witness key: expected <name>+<8 hex digits>+<base64 of 0x04 and an Ed25519 public key>")
        }
        try self.init(name: String(parts[0]), publicKey: Array(material[1...]))
        guard self.keyID == keyID else { throw AccessError(.malformed, "witness key: key id does not match the key name and key") }
    }

    /// The vkey text.
    public var verifierKey: String { "\(name)+\(NoteVerifier.hex(keyID))+\(Base64.encode([0x04] + publicKey))" }

    /// Whether `signature` names this key (name and key id); other lines are to be ignored.
    public func names(_ signature: NoteSignature) -> Bool { signature.name == name && signature.keyID == keyID }

    /// Verifies `signature` over the checkpoint with note text `checkpointBody`; returns the
    /// cosignature's time.
    ///
    /// - Throws: ``AccessError`` `.unauthenticated` when the line is another key's, `.tampered`
    ///   when it is this key's and does not verify.
    public func verify(_ signature: NoteSignature, checkpointBody: String) throws(AccessError) -> Date {
        guard names(signature) else { throw AccessError(.unauthenticated, "cosignature: not by \(name)") }
        guard signature.signature.count == 72,
              let key = try? Curve25519.Signing.PublicKey(rawRepresentation: publicKey) else {
            throw AccessError(.tampered, "cosignature by \(name): expected an 8-byte time and a 64-byte Ed25519 signature")
        }
        let seconds = signature.signature[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard seconds <= UInt64(Int64.max),
              key.isValidSignature(Array(signature.signature[8...]), for: Self.message(checkpointBody, seconds: seconds)) else {
            throw AccessError(.tampered, "cosignature by \(name) does not verify")
        }
        return Date(timeIntervalSince1970: Double(seconds))
    }

    static func message(_ body: String, seconds: UInt64) -> [UInt8] {
        Array("cosignature/v1\ntime \(seconds)\n".utf8) + Array(body.utf8)
    }

    static func bigEndian(_ value: UInt64) -> [UInt8] {
        (0..<8).map { UInt8((value >> (56 - 8 * UInt64($0))) & 0xFF) }
    }
}
