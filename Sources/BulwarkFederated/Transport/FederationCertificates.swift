public import Foundation
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
        do {
            var ca = try DevelopmentCA(directory: directory, commonName: "Bulwark federation CA", validDays: validDays,
                                       replacing: "a federation's CA")
            try ca.issue("server", usages: [.serverAuth], alternativeNames: DevelopmentCA.alternativeNames(serverNames))
            for client in clients { try ca.issue(client, usages: [.clientAuth], alternativeNames: []) }
            return ca.written
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
