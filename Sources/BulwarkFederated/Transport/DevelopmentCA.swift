import Crypto
import Foundation
import SwiftASN1
import X509

/// A development certificate authority written into a directory: `ca.pem` and `ca-key.pem`
/// (P-256, the key mode 0600), then leaf certificates it issues as `NAME.pem` / `NAME-key.pem`.
/// The one maker behind ``FederationCertificates`` (server and client certificates) and
/// ``MPCCertificates`` (party certificates valid as both).
struct DevelopmentCA {
    private let directory: URL
    private let name: DistinguishedName
    private let key = P256.Signing.PrivateKey()
    private let notBefore: Date, notAfter: Date
    /// The paths written so far.
    private(set) var written: [String] = []

    /// Creates `directory` if needed and writes a CA named `commonName`, valid `validDays` days
    /// (from five minutes ago, for clock skew). Refuses to replace an existing CA key, saying
    /// `"<path> exists: refusing to replace <what>"`.
    init(directory: String, commonName: String, validDays: Int, replacing what: String) throws {
        self.directory = URL(fileURLWithPath: directory)
        let keyPath = self.directory.appendingPathComponent("ca-key.pem").path
        if FileManager.default.fileExists(atPath: keyPath) {
            throw FederatedError(.io, "\(keyPath) exists: refusing to replace \(what)")
        }
        try FileManager.default.createDirectory(at: self.directory, withIntermediateDirectories: true)
        let now = Date()
        notBefore = now - 300
        notAfter = now.addingTimeInterval(Double(validDays) * 86_400)
        name = try DistinguishedName { CommonName(commonName) }
        let ca = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey), notValidBefore: notBefore, notValidAfter: notAfter,
            issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
            },
            issuerPrivateKey: .init(key))
        try save(try ca.serializeAsPEM().pemString, "ca.pem", secret: false)
        try save(key.pemRepresentation, "ca-key.pem", secret: true)
    }

    /// Issues `NAME.pem` / `NAME-key.pem`: a leaf whose common name is `commonName`, for
    /// `usages`, naming `alternativeNames` (none: no extension).
    mutating func issue(_ commonName: String, usages: [ExtendedKeyUsage.Usage], alternativeNames: [GeneralName]) throws {
        let leafKey = P256.Signing.PrivateKey()
        let certificate = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(leafKey.publicKey), notValidBefore: notBefore, notValidAfter: notAfter,
            issuer: name, subject: try DistinguishedName { CommonName(commonName) }, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage(usages)
                if !alternativeNames.isEmpty { SubjectAlternativeNames(alternativeNames) }
            },
            issuerPrivateKey: .init(key))
        try save(try certificate.serializeAsPEM().pemString, "\(commonName).pem", secret: false)
        try save(leafKey.pemRepresentation, "\(commonName)-key.pem", secret: true)
    }

    /// DNS names, or IP addresses for dotted IPv4 text, as subject alternative names.
    static func alternativeNames(_ hosts: [String]) -> [GeneralName] {
        hosts.map { host in
            if let ip = FederationCertificates.ipv4Bytes(host) { return .ipAddress(ASN1OctetString(contentBytes: ArraySlice(ip))) }
            return .dnsName(host)
        }
    }

    private mutating func save(_ text: String, _ file: String, secret: Bool) throws {
        let path = directory.appendingPathComponent(file).path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        if secret { try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path) }
        written.append(path)
    }
}
