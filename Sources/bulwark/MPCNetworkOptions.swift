import ArgumentParser
import BulwarkFederated

/// The options every `bulwark mpc` party shares: where the parties are, this party's TLS
/// identity, and how long it waits for its peers.
struct MPCNetworkOptions: ParsableArguments {
    @Option(help: "Every party's host:port, comma-separated, in id order (party 0, party 1, dealer).")
    var peers: String

    @Option(help: "This party's certificate (PEM, common name party-<id>; see `bulwark mpc certs`).")
    var cert: String

    @Option(help: "This party's private key (PEM).")
    var key: String

    @Option(help: "The CA certificate every party's certificate chains to (PEM).")
    var ca: String

    @Option(name: .customLong("timeout"), parsing: .unconditional, help: "Seconds a party waits for a peer's message before it aborts.")
    var timeoutSeconds: Double = 60

    @Option(name: .customLong("connect-timeout"), parsing: .unconditional, help: "Seconds to wait for every peer to connect.")
    var connectTimeoutSeconds: Double = 60

    func validate() throws {
        try Bounds.check(timeoutSeconds, in: 0.1...86_400, "--timeout")
        try Bounds.check(connectTimeoutSeconds, in: 0.1...86_400, "--connect-timeout")
        let addresses: [MPCPeerAddress]
        do { addresses = try MPCPeerAddress.list(peers) } catch { throw ValidationError(error.message) }
        guard addresses.count == 3 else { throw ValidationError("--peers needs 3 addresses (party 0, party 1, dealer), got \(addresses.count)") }
    }

    /// Connects this party (`id`) to the others; a failure is one line naming the party.
    func connect(as id: Int) async throws -> TLSMPCChannel {
        let configuration = TLSMPCConfiguration(
            partyID: id, addresses: try MPCPeerAddress.list(peers), certificatePath: cert, privateKeyPath: key, trustRootsPath: ca,
            connectTimeoutSeconds: connectTimeoutSeconds, receiveTimeoutSeconds: timeoutSeconds)
        do { return try await TLSMPCChannel.connect(configuration) } catch { throw CLIError("party \(id): \(error.message)") }
    }
}
