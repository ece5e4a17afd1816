import BulwarkArchive
import BulwarkDP
import BulwarkFederated
import BulwarkModels
import BulwarkTensor
import Foundation

/// `bulwark fl client --coordinator`: a client of Bulwark's own coordinator (`fl serve`).
enum CoordinatorMode {
    /// Parses `host:port`.
    static func parseAddress(_ text: String) throws -> (host: String, port: Int) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port) else {
            throw CLIError("--coordinator must be HOST:PORT, got '\(text)'")
        }
        let host = String(text[..<colon])
        guard !host.isEmpty else { throw CLIError("--coordinator must be HOST:PORT, got '\(text)'") }
        return (host, port)
    }

    /// Joins the coordinator at `address` and trains `model` on `inputs`/`labels` for every task
    /// until the federation is done; one line per round on stderr.
    static func run<Model: TrainableModel & Sendable>(address: String, tls: FederationTLS?, id: String, model: Model, inputs: Tensor,
                                                      labels: [Int], timeout: Double, patience: Double, localDP: LocalDP?, quiet: Bool) async throws -> Int {
        let (host, port) = try parseAddress(address)
        let client = CoordinatorClient(host: host, port: port, tls: tls, requestedID: id, callTimeout: max(timeout, 1), patience: patience)
        let rounds = SharedCounter()
        // Every update that leaves counts toward the local-DP ε, accepted or not.
        let releases = SharedCounter()
        do {
            try await client.run(examples: labels.count, agent: "bulwark \(BulwarkVersion.current)", train: { weights, local, seed in
                var m = model
                try weights.apply(to: &m)
                let (delta, loss) = try local.update(&m, inputs: inputs, labels: labels, seed: seed)
                guard let localDP else { return (delta, loss) }
                // The update is clipped and noised here, before it leaves the client.
                var random = DPRandomSource(.secure)
                let released = releases.increment()
                if !quiet {
                    Terminal.note(String(format: "local DP: update clipped to %g and noised (σ = %g); ε = %.4f at δ = %g after %d release(s)",
                                         localDP.clipNorm, localDP.noiseMultiplier, try localDP.epsilon(afterRounds: released), localDP.delta, released))
                }
                return (localDP.privatize(delta, using: &random), loss)
            }, log: { line in if !quiet { Terminal.note(line) } }, progress: { done in
                rounds.increment()
                if !quiet {
                    Terminal.note(String(format: "round %d: local loss %.4f, update %@", done.round, done.loss,
                                         done.accepted ? "accepted" : "refused (\(done.reason))"))
                }
            })
        } catch let error as FederatedError { throw CLIError(error.description) }
        return rounds.value
    }
}

/// A count shared by concurrent callbacks (rounds finished, updates released).
final class SharedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    /// Adds one and returns the new count.
    @discardableResult func increment() -> Int { lock.withLock { count += 1; return count } }
    /// The count.
    var value: Int { lock.withLock { count } }
}
