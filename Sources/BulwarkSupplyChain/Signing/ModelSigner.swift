internal import Crypto
internal import Foundation

/// Who signs: a bare key (verified later with its public key), or a key with its certificate
/// chain (verified later against a CA).
public enum ModelSigningIdentity: Sendable {
    /// A private key; the bundle names the public key by its hint.
    case key(ModelSigningPrivateKey)
    /// A private key, its certificate, and the certificates above it (intermediates, optionally
    /// the root), all carried in the bundle.
    case certificate(key: ModelSigningPrivateKey, signingCertificate: ModelSigningCertificate, chain: [ModelSigningCertificate])

    /// A certificate identity from a list of certificates: the one whose public key matches
    /// `key` is the signing certificate, the rest (in order) its chain.
    ///
    /// - Throws: ``SigningError`` (``SigningError/Code/certificate``) when no certificate holds the key.
    public static func certificate(key: ModelSigningPrivateKey, certificates: [ModelSigningCertificate]) throws(SigningError) -> ModelSigningIdentity {
        let publicKey = key.publicKey
        guard let index = certificates.firstIndex(where: { $0.signingKey == publicKey }) else {
            throw SigningError(.certificate, "no certificate in the chain holds the private key's public key (\(publicKey.curveName)); put the signing certificate first")
        }
        var chain = certificates
        let leaf = chain.remove(at: index)
        return .certificate(key: key, signingCertificate: leaf, chain: chain)
    }

    var privateKey: ModelSigningPrivateKey {
        switch self {
        case .key(let key), .certificate(let key, _, _): key
        }
    }
}

/// A model signature: an OpenSSF Model Signing bundle (Sigstore bundle v0.3 JSON with a DSSE
/// envelope around the in-toto statement of the manifest).
public struct ModelSignature: Sendable {
    /// The bundle JSON to write to disk (`model.sig`).
    public let bundle: [UInt8]
    /// The manifest that was signed.
    public let manifest: ModelManifest

    /// The hex SHA-256 of the bundle file (what a BOM records).
    public var bundleDigestHex: String { hexString(SHA256.hash(data: bundle)) }

    /// Writes the bundle to `path` atomically (a temporary file renamed into place).
    public func write(to path: String) throws(SigningError) {
        do {
            try Data(bundle).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw SigningError(.io, "cannot write signature '\(path)': \(error.localizedDescription)", underlying: error)
        }
    }
}

/// Signs models in the OpenSSF Model Signing format, interoperable with the `model-signing`
/// Python package (v1.x): same manifest, statement, DSSE envelope and bundle.
///
/// ```swift
/// let key = try ModelSigningPrivateKey(pemFile: "key.pem")
/// let signature = try await ModelSigner.sign(modelAt: "resnet", identity: .key(key))
/// try signature.write(to: "resnet.sig")
/// ```
public enum ModelSigner {
    /// Hashes the model at `path` and signs its manifest.
    public static func sign(modelAt path: String, identity: ModelSigningIdentity, options: HashingOptions = HashingOptions()) async throws(SigningError) -> ModelSignature {
        let manifest = try await ModelHasher.manifest(of: path, options: options)
        return try sign(manifest: manifest, identity: identity)
    }

    /// Signs an already built manifest.
    public static func sign(manifest: ModelManifest, identity: ModelSigningIdentity) throws(SigningError) -> ModelSignature {
        ModelSignature(bundle: try bundle(statement: InTotoStatement.encode(manifest), identity: identity), manifest: manifest)
    }

    /// A Sigstore bundle (DSSE envelope) signing the in-toto `statement` with `identity`.
    static func bundle(statement payload: [UInt8], identity: ModelSigningIdentity) throws(SigningError) -> [UInt8] {
        let signature = try identity.privateKey.signature(for: DSSE.pae(payloadType: InTotoStatement.payloadType, payload: payload))
        let material: SigstoreBundle.VerificationMaterial
        switch identity {
        case .key(let key):
            material = .publicKey(hint: key.publicKey.hint)
        case .certificate(let key, let leaf, let chain):
            guard leaf.signingKey == key.publicKey else {
                throw SigningError(.certificate, "signing certificate '\(leaf.subject)' does not hold the private key's public key")
            }
            material = .certificateChain([leaf.der] + chain.map(\.der))
        }
        return SigstoreBundle(material: material, payloadType: InTotoStatement.payloadType, payload: payload, signatures: [signature]).encode()
    }
}
