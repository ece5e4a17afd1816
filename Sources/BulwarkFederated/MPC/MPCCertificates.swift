import Crypto
import Foundation
import SwiftASN1
import X509

/// A development PKI for MPC parties (`bulwark mpc certs`, and the throwaway one of `bulwark mpc
/// infer`): a CA and one certificate per party whose common name is `party-<id>`
/// (``TLSMPCChannel/certificateName(of:)``), valid both as a TLS server and as a TLS client
/// (a party listens for some peers and connects to others). Keys are P-256, written mode 0600.
///
/// Each party needs only its own certificate and key and the CA certificate (`ca.pem`); the CA
/// key stays with whoever runs the CA. For production, issue the party certificates from your
/// own CA with the same common names and both extended key usages.
///
/// ```swift
/// let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mpc-pki-example-\(UUID())").path
/// let files = try MPCCertificates.write(to: dir, parties: 3, hosts: ["localhost", "127.0.0.1"], validDays: 1)
/// print(files.count)  // 8: ca, ca key, and a certificate and key for party-0 … party-2
/// ```
public enum MPCCertificates {
    /// Writes `ca.pem`, `ca-key.pem` and `party-I.pem` / `party-I-key.pem` for I in
    /// 0..<`parties` into `directory` (created if needed); the certificates name `hosts` (DNS
    /// names or IPv4 addresses) as subject alternative names. Refuses to replace an existing CA
    /// key. Returns the paths written.
    /// - Throws: `invalidParameter` for a party count outside 2…64, no host, a host that is
    ///   not a plain name, or a validity outside 1…3650 days; `io` when a file cannot be written
    ///   or the CA key exists.
    public static func write(to directory: String, parties: Int, hosts: [String], validDays: Int) throws(FederatedError) -> [String] {
        guard (2...64).contains(parties) else { throw FederatedError(.invalidParameter, "party count must be 2…64, got \(parties)") }
        guard !hosts.isEmpty else { throw FederatedError(.invalidParameter, "the party certificates need at least one host name") }
        guard validDays > 0, validDays <= 3650 else { throw FederatedError(.invalidParameter, "validity must be 1…3650 days, got \(validDays)") }
        for host in hosts where !FederationCertificates.isPlainID(host) {
            throw FederatedError(.invalidParameter, "host name '\(host.prefix(80))' must be letters, digits, - _ . (at most 64)")
        }
        let dir = URL(fileURLWithPath: directory)
        let caKeyPath = dir.appendingPathComponent("ca-key.pem").path
        if FileManager.default.fileExists(atPath: caKeyPath) {
            throw FederatedError(.io, "\(caKeyPath) exists: refusing to replace a CA")
        }
        do {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            let now = Date()
            let until = now.addingTimeInterval(Double(validDays) * 86_400)
            let caKey = P256.Signing.PrivateKey()
            let caName = try DistinguishedName { CommonName("Bulwark MPC CA") }
            let ca = try Certificate(
                version: .v3, serialNumber: .init(), publicKey: .init(caKey.publicKey), notValidBefore: now - 300, notValidAfter: until,
                issuer: caName, subject: caName, signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                    Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                },
                issuerPrivateKey: .init(caKey))
            var written: [String] = []
            func save(_ text: String, _ name: String, secret: Bool) throws {
                let path = dir.appendingPathComponent(name).path
                try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
                if secret { try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path) }
                written.append(path)
            }
            try save(try ca.serializeAsPEM().pemString, "ca.pem", secret: false)
            try save(caKey.pemRepresentation, "ca-key.pem", secret: true)
            let names: [GeneralName] = hosts.map { name in
                if let ip = FederationCertificates.ipv4Bytes(name) { return .ipAddress(ASN1OctetString(contentBytes: ArraySlice(ip))) }
                return .dnsName(name)
            }
            for party in 0..<parties {
                let name = TLSMPCChannel.certificateName(of: party)
                let key = P256.Signing.PrivateKey()
                let certificate = try Certificate(
                    version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey), notValidBefore: now - 300, notValidAfter: until,
                    issuer: caName, subject: try DistinguishedName { CommonName(name) }, signatureAlgorithm: .ecdsaWithSHA256,
                    extensions: try Certificate.Extensions {
                        Critical(BasicConstraints.notCertificateAuthority)
                        Critical(KeyUsage(digitalSignature: true))
                        try ExtendedKeyUsage([.serverAuth, .clientAuth])
                        SubjectAlternativeNames(names)
                    },
                    issuerPrivateKey: .init(caKey))
                try save(try certificate.serializeAsPEM().pemString, "\(name).pem", secret: false)
                try save(key.pemRepresentation, "\(name)-key.pem", secret: true)
            }
            return written
        } catch let error as FederatedError {
            throw error
        } catch {
            throw FederatedError(.io, "\(directory): cannot write the MPC certificates (\(error))", underlying: error)
        }
    }
}
