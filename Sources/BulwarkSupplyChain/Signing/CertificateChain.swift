internal import Foundation
internal import SwiftASN1
@_spi(FixedExpiryValidationTime) internal import X509

/// An X.509 certificate read from PEM or a bundle, with the exact DER it came in (a bundle must
/// carry the certificate byte for byte).
public struct ModelSigningCertificate: Sendable {
    /// The DER encoding.
    public let der: [UInt8]
    let certificate: Certificate

    /// Parses DER; `what` names it in errors.
    init(der: [UInt8], what: String) throws(SigningError) {
        self.der = der
        do {
            certificate = try Certificate(derEncoded: der)
        } catch {
            throw SigningError(.certificate, "\(what) is not a valid X.509 certificate: \(error)", underlying: error)
        }
    }

    /// The subject, such as `CN=Model Signer,O=Example`.
    public var subject: String { certificate.subject.description }

    /// Every `CERTIFICATE` block of the PEM files at `paths`, in order.
    public static func load(pemFiles paths: [String]) throws(SigningError) -> [ModelSigningCertificate] {
        var result: [ModelSigningCertificate] = []
        for path in paths {
            let bytes = try readSmallFile(path, limit: PEMBlock.maxFileBytes, what: "certificate file")
            let blocks = try PEMBlock.parseAll(bytes, file: path).filter { $0.label == "CERTIFICATE" }
            guard !blocks.isEmpty else { throw SigningError(.certificate, "'\(path)' holds no CERTIFICATE block") }
            for (index, block) in blocks.enumerated() {
                result.append(try ModelSigningCertificate(der: block.der, what: "certificate \(index + 1) of '\(path)'"))
            }
        }
        return result
    }

    /// The certificate's public key if it is ECDSA on a curve model-signing supports.
    var signingKey: ModelSigningPublicKey? { ModelSigningPublicKey(certificateKey: certificate.publicKey) }
}

/// Accepts a leaf only if it may sign: KeyUsage `digitalSignature` or ExtendedKeyUsage
/// `codeSigning`, the rule model-signing applies.
struct SigningUsagePolicy: VerifierPolicy {
    let verifyingCriticalExtensions: [ASN1ObjectIdentifier] = [.X509ExtensionID.extendedKeyUsage]

    func chainMeetsPolicyRequirements(chain: UnverifiedCertificateChain) async -> PolicyEvaluationResult {
        let leaf = chain.leaf
        if let usage = try? leaf.extensions.keyUsage, usage.digitalSignature { return .meetsPolicy }
        if let extended = try? leaf.extensions.extendedKeyUsage, extended.contains(.codeSigning) { return .meetsPolicy }
        return .failsToMeetPolicy(reason: "the signing certificate allows neither digitalSignature (KeyUsage) nor codeSigning (ExtendedKeyUsage)")
    }
}

/// Validates a bundle's certificate chain against trusted CA certificates, as model-signing
/// does: every given CA certificate is a trust anchor, the bundle's other certificates are
/// intermediates, and validity is checked at the signing certificate's `notBefore` (the moment it
/// was issued for signing; a later expiry does not void the signature).
enum CertificateChainValidator {
    /// The signing certificate's key once the chain validates.
    static func signingKey(chain: [[UInt8]], trusted: [ModelSigningCertificate]) async throws(SigningError) -> ModelSigningPublicKey {
        guard let leafDER = chain.first else {
            throw SigningError(.malformedSignature, "the signature carries no signing certificate")
        }
        guard !trusted.isEmpty else { throw SigningError(.certificate, "no trusted CA certificate was given") }
        let leaf = try ModelSigningCertificate(der: leafDER, what: "the signature's signing certificate")
        var intermediates: [Certificate] = []
        for (index, der) in chain.dropFirst().enumerated() {
            intermediates.append(try ModelSigningCertificate(der: der, what: "certificate \(index + 2) of the signature's chain").certificate)
        }
        var verifier = Verifier(rootCertificates: CertificateStore(trusted.map(\.certificate))) {
            RFC5280Policy(fixedExpiryValidationTime: leaf.certificate.notValidBefore)
            SigningUsagePolicy()
        }
        let result = await verifier.validate(leaf: leaf.certificate, intermediates: CertificateStore(intermediates))
        switch result {
        case .validCertificate:
            guard let key = leaf.signingKey else {
                throw SigningError(.certificate, "signing certificate '\(leaf.subject)' does not hold an ECDSA P-256/P-384/P-521 key")
            }
            return key
        case .couldNotValidate(let failures):
            let reasons = Set(failures.map { $0.policyFailureReason.description }).sorted()
            let detail = reasons.isEmpty ? "no chain to a trusted CA could be built" : reasons.joined(separator: "; ")
            throw SigningError(.untrustedCertificate, "signing certificate '\(leaf.subject)' is not trusted: \(detail)")
        }
    }
}
