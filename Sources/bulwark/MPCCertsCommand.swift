import ArgumentParser
import BulwarkFederated

/// `bulwark mpc certs`: a development CA and one certificate per MPC party.
struct MPCCertsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "certs",
        abstract: "Make a development CA and party certificates (party-0 … party-N-1, P-256, PEM) for `mpc party`.",
        discussion: """
        Writes ca.pem and ca-key.pem, and party-I.pem / party-I-key.pem per party (keys mode \
        0600), each valid as a TLS server and client for every --host. A party's identity is its \
        certificate's common name, party-<id>; give each party only its own pair and ca.pem. \
        (`bulwark fl certs` makes client-only certificates, which cannot listen; use this one.) \
        Refuses to replace an existing CA key.

        Example:
          bulwark mpc certs --out pki --parties 3 --host localhost --host 127.0.0.1
        """
    )

    @Option(help: "Directory to write into.")
    var out: String

    @Option(parsing: .unconditional, help: "Number of parties (3: owner, client, dealer).")
    var parties: Int = 3

    @Option(name: .customLong("host"), help: "A name the parties are reached by (repeatable; default localhost and 127.0.0.1).")
    var hosts: [String] = []

    @Option(parsing: .unconditional, help: "Days the certificates stay valid.")
    var days: Int = 30

    func run() throws {
        do {
            let files = try MPCCertificates.write(to: out, parties: parties, hosts: hosts.isEmpty ? ["localhost", "127.0.0.1"] : hosts, validDays: days)
            for file in files { print(file) }
        } catch { throw CLIError(error.message) }
    }
}
