import ArgumentParser
import BulwarkFederated
import Foundation

/// `bulwark fl certs`: a development PKI for a mutually authenticated federation.
struct FederatedCertsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "certs",
        abstract: "Make a federation's development CA, server certificate and client certificates (P-256, PEM).",
        discussion: """
        Writes ca.pem and ca-key.pem, server.pem and server-key.pem (for every --server-name, \
        DNS names or IPv4 addresses), and NAME.pem / NAME-key.pem per client (client-1 … client-N, \
        or --client-names); keys are mode 0600. A client's id in the federation is its \
        certificate's common name. Refuses to replace an existing CA key. For production, issue \
        the certificates from your own CA.

        Example:
          bulwark fl certs --out pki --clients 3 --server-name localhost --server-name 127.0.0.1
        """
    )

    @Option(help: "Directory to write into.")
    var out: String

    @Option(parsing: .unconditional, help: "Number of client certificates (client-1 … client-N).")
    var clients: Int = 2

    @Option(name: .customLong("client-names"), help: "Comma-separated client ids instead of client-1 … client-N.")
    var clientNames: String?

    @Option(name: .customLong("server-name"), help: "A name clients reach the coordinator by (repeatable; default localhost and 127.0.0.1).")
    var serverNames: [String] = []

    @Option(parsing: .unconditional, help: "Days the certificates stay valid.")
    var days: Int = 30

    func validate() throws {
        try Bounds.check(clients, in: 0...10_000, "--clients")
    }

    func run() throws {
        let names = clientNames.map { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } }
            ?? (0..<clients).map { "client-\($0 + 1)" }
        do {
            let files = try FederationCertificates.write(to: out, serverNames: serverNames.isEmpty ? ["localhost", "127.0.0.1"] : serverNames,
                                                         clients: names, validDays: days)
            for file in files { print(file) }
        } catch { throw CLIError(error.description) }
    }
}
