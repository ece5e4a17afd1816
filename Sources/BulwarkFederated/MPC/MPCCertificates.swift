import Foundation
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
        do {
            var ca = try DevelopmentCA(directory: directory, commonName: "Bulwark MPC CA", validDays: validDays, replacing: "a CA")
            let names = DevelopmentCA.alternativeNames(hosts)
            for party in 0..<parties {
                try ca.issue(TLSMPCChannel.certificateName(of: party), usages: [.serverAuth, .clientAuth], alternativeNames: names)
            }
            return ca.written
        } catch let error as FederatedError {
            throw error
        } catch {
            throw FederatedError(.io, "\(directory): cannot write the MPC certificates (\(error))", underlying: error)
        }
    }
}
