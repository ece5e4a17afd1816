internal import Crypto

/// What a signature is checked against.
public enum ModelVerificationKey: Sendable {
    /// The public half of the key that signed.
    case publicKey(ModelSigningPublicKey)
    /// CA certificates trusted to issue signing certificates (each is a trust anchor).
    case certificateAuthorities([ModelSigningCertificate])
}

/// Options for verification; the hashing method and shard size come from the signature unless
/// ``method`` demands one.
public struct ModelVerificationOptions: Sendable, Equatable {
    /// The hashing the caller expects; `nil` accepts whatever the signature records.
    public var method: HashingMethod?
    /// Paths relative to the model root to leave out, besides those the signature records.
    public var ignorePaths: [String]
    /// Leaves out the git paths (model-signing's default).
    public var ignoreGitPaths: Bool
    /// Follows symbolic links to files.
    public var allowSymlinks: Bool
    /// Hashing threads; `nil` is one per core.
    public var parallelism: Int?

    /// Options with model-signing's defaults unless given.
    public init(method: HashingMethod? = nil, ignorePaths: [String] = [], ignoreGitPaths: Bool = true, allowSymlinks: Bool = false, parallelism: Int? = nil) {
        self.method = method
        self.ignorePaths = ignorePaths
        self.ignoreGitPaths = ignoreGitPaths
        self.allowSymlinks = allowSymlinks
        self.parallelism = parallelism
    }
}

/// A manifest whose signature has been checked; the model itself has not been compared yet.
public struct SignedManifest: Sendable {
    /// The manifest as signed.
    public let manifest: ModelManifest
    /// Who signed: `public key <hint>` or `certificate '<subject>'`.
    public let signer: String
}

/// A model that matched its signature: its files were hashed and every digest agreed.
/// Only ``ModelVerifier`` makes one.
public struct VerifiedModel: Sendable {
    /// The manifest that was signed and matched.
    public let manifest: ModelManifest
    /// Who signed: `public key <hint>` or `certificate '<subject>'`.
    public let signer: String
}

/// Verifies OpenSSF Model Signing bundles (made by Bulwark or by the `model-signing` package):
/// the signature over the DSSE envelope, the key or certificate chain, the statement, and then
/// every file of the model against the signed manifest.
///
/// ```swift
/// let key = try ModelSigningPublicKey(pemFile: "key.pub")
/// let verified = try await ModelVerifier.verify(modelAt: "resnet", signatureFile: "resnet.sig", key: .publicKey(key))
/// ```
public enum ModelVerifier {
    /// Checks the bundle's signature and returns the manifest it vouches for.
    ///
    /// - Throws: ``SigningError`` — ``SigningError/Code/malformedSignature`` for a bundle of the
    ///   wrong shape, ``SigningError/Code/keyMismatch`` when the bundle names another key,
    ///   ``SigningError/Code/signatureInvalid`` when the signature does not verify,
    ///   ``SigningError/Code/untrustedCertificate`` when the chain does not lead to a given CA,
    ///   ``SigningError/Code/payload`` when the signed statement is not a model manifest.
    public static func verifySignature(bundle bytes: [UInt8], file: String = "signature", key: ModelVerificationKey) async throws(SigningError) -> SignedManifest {
        let (bundle, signer) = try await openEnvelope(bytes, file: file, key: key)
        guard bundle.payloadType == InTotoStatement.payloadType else {
            throw SigningError(.payload, "'\(file)' signs a '\(bundle.payloadType)' payload, expected '\(InTotoStatement.payloadType)'")
        }
        guard bundle.payload.count <= InTotoStatement.maxPayloadBytes else {
            throw SigningError(.payload, "'\(file)' carries a statement larger than \(InTotoStatement.maxPayloadBytes) bytes")
        }
        return SignedManifest(manifest: try InTotoStatement.decode(bundle.payload), signer: signer)
    }

    /// Decodes a Sigstore bundle and checks its DSSE signature under `key` (the key hint or the
    /// certificate chain first); returns the bundle and a description of the signer.
    static func openEnvelope(_ bytes: [UInt8], file: String, key: ModelVerificationKey) async throws(SigningError) -> (SigstoreBundle, String) {
        let bundle = try SigstoreBundle.decode(bytes, file: file)
        let publicKey: ModelSigningPublicKey
        let signer: String
        switch (key, bundle.material) {
        case (.publicKey(let given), .publicKey(let hint)):
            if let hint, hint != given.hint {
                throw SigningError(.keyMismatch, "'\(file)' was signed by another key (key hint \(hint.prefix(16))…, the given public key is \(given.hint.prefix(16))…)")
            }
            publicKey = given
            signer = "public key \(given.hint.prefix(16))…"
        case (.certificateAuthorities(let authorities), .certificateChain(let chain)):
            publicKey = try await CertificateChainValidator.signingKey(chain: chain, trusted: authorities)
            let subject = (try? ModelSigningCertificate(der: chain[0], what: "signing certificate").subject) ?? "?"
            signer = "certificate '\(subject)'"
        case (.publicKey, .certificateChain):
            throw SigningError(.keyMismatch, "'\(file)' was signed with a certificate; verify it with --certificate-chain CA.pem")
        case (.certificateAuthorities, .publicKey):
            throw SigningError(.keyMismatch, "'\(file)' was signed with a bare key; verify it with --public-key KEY.pem")
        }
        guard let signature = bundle.signatures.first,
              publicKey.isValidSignature(signature, for: DSSE.pae(payloadType: bundle.payloadType, payload: bundle.payload)) else {
            throw SigningError(.signatureInvalid, "the signature in '\(file)' does not verify under the \(signer); the bundle was altered or signed by another key")
        }
        return (bundle, signer)
    }

    /// Verifies the signature file and then the model at `path` against it.
    ///
    /// - Throws: ``SigningError``; when the model differs, the code is
    ///   ``SigningError/Code/modelMismatch`` and ``SigningError/differences`` lists every file.
    public static func verify(modelAt path: String, signatureFile: String, key: ModelVerificationKey, options: ModelVerificationOptions = ModelVerificationOptions()) async throws(SigningError) -> VerifiedModel {
        let bytes = try readSmallFile(signatureFile, limit: SigstoreBundle.maxBytes, what: "signature")
        let signed = try await verifySignature(bundle: bytes, file: signatureFile, key: key)
        return try await verify(modelAt: path, against: signed, options: options)
    }

    /// Hashes the model at `path` the way the signed manifest was made and compares.
    public static func verify(modelAt path: String, against signed: SignedManifest, options: ModelVerificationOptions = ModelVerificationOptions()) async throws(SigningError) -> VerifiedModel {
        let expected = signed.manifest
        if let wanted = options.method, wanted != expected.serialization.method {
            throw SigningError(.hashingMismatch, "the signature was made with \(expected.serialization.method) hashing, not the requested \(wanted)")
        }
        let recorded = expected.serialization.ignorePaths.compactMap(ModelPath.normalize).filter { !$0.isEmpty }
        let hashing = HashingOptions(
            method: expected.serialization.method,
            ignorePaths: options.ignorePaths + recorded,
            ignoreGitPaths: options.ignoreGitPaths,
            allowSymlinks: options.allowSymlinks,
            parallelism: options.parallelism
        )
        let actual = try await ModelHasher.manifest(of: path, options: hashing)
        guard actual == expected else {
            let differences = ManifestDifference.between(expected: expected, actual: actual)
            throw SigningError(.modelMismatch, "model '\(path)' does not match its signature: \(summary(differences))", differences: differences)
        }
        return VerifiedModel(manifest: expected, signer: signed.signer)
    }

    private static func summary(_ differences: [ManifestDifference]) -> String {
        var counts: [String: Int] = [:]
        for difference in differences {
            let kind = String(difference.description.prefix { $0 != ":" })
            counts[kind, default: 0] += 1
        }
        let parts = counts.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }
        return parts.isEmpty ? "the manifests differ" : parts.joined(separator: ", ")
    }
}
