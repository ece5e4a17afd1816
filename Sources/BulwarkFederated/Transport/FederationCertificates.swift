import Crypto
public import Foundation
import SwiftASN1
import X509

/// A development PKI for a mutually authenticated federation (`bulwark fl certs`): a CA, a
/// server certificate for the coordinator's names, and one client certificate per client whose
/// common name is the client's id. Keys are P-256, written with mode 0600.
///
/// For production, issue the certificates from your own CA instead: the coordinator trusts
/// whichever CA file it is given, and a client's id is its certificate's common name.
///
/// ```swift
/// let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fl-pki-example").path
/// let files = try FederationCertificates.write(to: dir, serverNames: ["localhost"], clients: ["client-1"], validDays: 30)
/// print(files.count)  // 6: ca, ca key, server, server key, client-1, client-1 key
/// ```
public enum FederationCertificates {
    /// Writes `ca.pem`, `ca-key.pem`, `server.pem`, `server-key.pem` and `NAME.pem` /
    /// `NAME-key.pem` per client into `directory` (created if needed); refuses to overwrite an
    /// existing CA key. Returns the paths written.
    /// - Throws: `invalidParameter` for no server name, a client name that is not a plain id, or
    ///   a non-positive validity; `io` when a file cannot be written or the CA key exists.
    public static func write(to directory: String, serverNames: [String], clients: [String], validDays: Int) throws(FederatedError) -> [String] {
        guard !serverNames.isEmpty else { throw FederatedError(.invalidParameter, "the server certificate needs at least one name") }
        guard validDays > 0, validDays <= 3650 else { throw FederatedError(.invalidParameter, "validity must be 1…3650 days, got \(validDays)") }
        for name in clients + ["server", "ca"] where !isPlainID(name) {
            throw FederatedError(.invalidParameter, "client name '\(name.prefix(80))' must be letters, digits, - _ . (at most 64)")
        }
        guard Set(clients).count == clients.count, !clients.contains("server"), !clients.contains("ca") else {
            throw FederatedError(.invalidParameter, "client names must be distinct and not 'server' or 'ca'")
        }
        let dir = URL(fileURLWithPath: directory)
        if FileManager.default.fileExists(atPath: dir.appendingPathComponent("ca-key.pem").path) {
            throw FederatedError(.io, "\(dir.appendingPathComponent("ca-key.pem").path) exists: refusing to replace a federation's CA")
        }
        do {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            let now = Date()
            let until = now.addingTimeInterval(Double(validDays) * 86_400)
            let caKey = P256.Signing.PrivateKey()
            let caName = try DistinguishedName { CommonName("Bulwark federation CA") }
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
            func issue(_ name: String, usage: ExtendedKeyUsage.Usage, alternativeNames: [GeneralName]) throws {
                let key = P256.Signing.PrivateKey()
                let certificate = try Certificate(
                    version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey), notValidBefore: now - 300, notValidAfter: until,
                    issuer: caName, subject: try DistinguishedName { CommonName(name) }, signatureAlgorithm: .ecdsaWithSHA256,
                    extensions: try Certificate.Extensions {
                        Critical(BasicConstraints.notCertificateAuthority)
                        Critical(KeyUsage(digitalSignature: true))
                        try ExtendedKeyUsage([usage])
                        if !alternativeNames.isEmpty { SubjectAlternativeNames(alternativeNames) }
                    },
                    issuerPrivateKey: .init(caKey))
                try save(try certificate.serializeAsPEM().pemString, "\(name).pem", secret: false)
                try save(key.pemRepresentation, "\(name)-key.pem", secret: true)
            }
            let names: [GeneralName] = serverNames.map { name in
                if let ip = ipv4Bytes(name) { return .ipAddress(ASN1OctetString(contentBytes: ArraySlice(ip))) }
                return .dnsName(name)
            }
            try issue("server", usage: .serverAuth, alternativeNames: names)
            for client in clients { try issue(client, usage: .clientAuth, alternativeNames: []) }
            return written
        } catch let error as FederatedError {
            throw error
        } catch {
            throw FederatedError(.io, "\(directory): cannot write the federation's certificates (\(error))", underlying: error)
        }
    }

    static func isPlainID(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 64 && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
    }

    static func ipv4Bytes(_ text: String) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        let bytes = parts.compactMap { UInt8($0) }
        return bytes.count == 4 ? bytes : nil
    }
}
