internal import Crypto
internal import Foundation
internal import X509

/// An ECDSA private key that signs models: NIST P-256 (the usual choice), P-384 or P-521, the
/// curves model-signing accepts. The digest follows the curve (SHA-256, SHA-384, SHA-512).
///
/// The key lives in swift-crypto's BoringSSL-backed type, which wipes it when freed; the PEM
/// bytes read from disk are zeroed as soon as the key is parsed.
public struct ModelSigningPrivateKey: Sendable {
    enum Storage: Sendable {
        case p256(P256.Signing.PrivateKey)
        case p384(P384.Signing.PrivateKey)
        case p521(P521.Signing.PrivateKey)
    }

    let storage: Storage

    init(storage: Storage) { self.storage = storage }

    /// A fresh P-256 key, for tests; callers of the public API read their key from PEM.
    package static func generateP256() -> ModelSigningPrivateKey { .init(storage: .p256(P256.Signing.PrivateKey())) }

    /// Reads a PEM private key (`EC PRIVATE KEY` or unencrypted PKCS #8 `PRIVATE KEY`).
    public init(pemFile path: String) throws(SigningError) {
        var bytes = try readSmallFile(path, limit: PEMBlock.maxFileBytes, what: "private key")
        defer { wipe(&bytes) }
        try self.init(pem: bytes, file: path)
    }

    /// Parses PEM private-key text; `file` names it in errors.
    public init(pem: [UInt8], file: String = "private key") throws(SigningError) {
        var blocks = try PEMBlock.parseAll(pem, file: file)
        defer { for i in blocks.indices { wipe(&blocks[i].der) } }
        if blocks.contains(where: { $0.label == "ENCRYPTED PRIVATE KEY" }) {
            throw SigningError(.key, "'\(file)' holds an encrypted private key; decrypt it first (openssl pkcs8 -in KEY -nocrypt -out PLAIN)")
        }
        guard let block = blocks.first(where: { $0.label == "EC PRIVATE KEY" || $0.label == "PRIVATE KEY" }) else {
            let found = blocks.map(\.label).joined(separator: ", ")
            throw SigningError(.key, "'\(file)' holds no EC PRIVATE KEY or PRIVATE KEY block (found: \(found.isEmpty ? "none" : found))")
        }
        if let key = try? P256.Signing.PrivateKey(derRepresentation: block.der) {
            storage = .p256(key)
        } else if let key = try? P384.Signing.PrivateKey(derRepresentation: block.der) {
            storage = .p384(key)
        } else if let key = try? P521.Signing.PrivateKey(derRepresentation: block.der) {
            storage = .p521(key)
        } else {
            throw SigningError(.key, "'\(file)' is not an elliptic-curve private key on P-256, P-384 or P-521")
        }
    }

    /// The matching public key.
    public var publicKey: ModelSigningPublicKey {
        switch storage {
        case .p256(let key): .init(storage: .p256(key.publicKey))
        case .p384(let key): .init(storage: .p384(key.publicKey))
        case .p521(let key): .init(storage: .p521(key.publicKey))
        }
    }

    /// A DER-encoded ECDSA signature of `message` (hashed with the curve's digest).
    func signature(for message: [UInt8]) throws(SigningError) -> [UInt8] {
        do {
            switch storage {
            case .p256(let key): return Array(try key.signature(for: message).derRepresentation)
            case .p384(let key): return Array(try key.signature(for: message).derRepresentation)
            case .p521(let key): return Array(try key.signature(for: message).derRepresentation)
            }
        } catch {
            throw SigningError(.key, "signing failed: \(error)", underlying: error)
        }
    }
}

/// An ECDSA public key that verifies model signatures (P-256, P-384 or P-521).
public struct ModelSigningPublicKey: Sendable, Equatable {
    enum Storage: Sendable {
        case p256(P256.Signing.PublicKey)
        case p384(P384.Signing.PublicKey)
        case p521(P521.Signing.PublicKey)
    }

    let storage: Storage

    init(storage: Storage) { self.storage = storage }

    /// Reads a PEM `PUBLIC KEY` (SubjectPublicKeyInfo) file.
    public init(pemFile path: String) throws(SigningError) {
        let bytes = try readSmallFile(path, limit: PEMBlock.maxFileBytes, what: "public key")
        try self.init(pem: bytes, file: path)
    }

    /// Parses PEM public-key text; `file` names it in errors.
    public init(pem: [UInt8], file: String = "public key") throws(SigningError) {
        let blocks = try PEMBlock.parseAll(pem, file: file)
        guard let block = blocks.first(where: { $0.label == "PUBLIC KEY" }) else {
            let hint = blocks.contains { $0.label.contains("PRIVATE KEY") } ? " (this is a private key; pass the public key)" : ""
            throw SigningError(.key, "'\(file)' holds no PUBLIC KEY block\(hint)")
        }
        guard let key = Self(spki: block.der) else {
            throw SigningError(.key, "'\(file)' is not an elliptic-curve public key on P-256, P-384 or P-521")
        }
        self = key
    }

    /// A key from DER SubjectPublicKeyInfo, or `nil` for another kind of key.
    init?(spki der: [UInt8]) {
        if let key = try? P256.Signing.PublicKey(derRepresentation: der) {
            storage = .p256(key)
        } else if let key = try? P384.Signing.PublicKey(derRepresentation: der) {
            storage = .p384(key)
        } else if let key = try? P521.Signing.PublicKey(derRepresentation: der) {
            storage = .p521(key)
        } else {
            return nil
        }
    }

    /// The key of a certificate, or `nil` if it is not an ECDSA key on a supported curve.
    init?(certificateKey: Certificate.PublicKey) {
        if let key = P256.Signing.PublicKey(certificateKey) {
            storage = .p256(key)
        } else if let key = P384.Signing.PublicKey(certificateKey) {
            storage = .p384(key)
        } else if let key = P521.Signing.PublicKey(certificateKey) {
            storage = .p521(key)
        } else {
            return nil
        }
    }

    /// The DER SubjectPublicKeyInfo (uncompressed point).
    public var derRepresentation: [UInt8] {
        switch storage {
        case .p256(let key): Array(key.derRepresentation)
        case .p384(let key): Array(key.derRepresentation)
        case .p521(let key): Array(key.derRepresentation)
        }
    }

    /// The PEM text, byte for byte as Python's `cryptography` writes it.
    public var pemRepresentation: String { PEMBlock.encode(derRepresentation, label: "PUBLIC KEY") }

    /// The key identifier model-signing stores in a bundle's `publicKey.hint`: the hex SHA-256 of
    /// the PEM text.
    public var hint: String { hexString(SHA256.hash(data: Array(pemRepresentation.utf8))) }

    /// The curve's name (`P-256`, `P-384`, `P-521`).
    public var curveName: String {
        switch storage {
        case .p256: "P-256"
        case .p384: "P-384"
        case .p521: "P-521"
        }
    }

    /// Whether `signature` (DER ECDSA) signs `message` under this key; malformed signatures are
    /// simply invalid.
    func isValidSignature(_ signature: [UInt8], for message: [UInt8]) -> Bool {
        switch storage {
        case .p256(let key):
            guard let sig = try? P256.Signing.ECDSASignature(derRepresentation: signature) else { return false }
            return key.isValidSignature(sig, for: message)
        case .p384(let key):
            guard let sig = try? P384.Signing.ECDSASignature(derRepresentation: signature) else { return false }
            return key.isValidSignature(sig, for: message)
        case .p521(let key):
            guard let sig = try? P521.Signing.ECDSASignature(derRepresentation: signature) else { return false }
            return key.isValidSignature(sig, for: message)
        }
    }

    /// Same key.
    public static func == (lhs: ModelSigningPublicKey, rhs: ModelSigningPublicKey) -> Bool {
        lhs.derRepresentation == rhs.derRepresentation
    }
}
