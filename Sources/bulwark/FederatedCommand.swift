import ArgumentParser

/// `bulwark fl`: federated learning — Bulwark's clients, coordinator and tools.
struct Federated: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fl",
        abstract: "Federated learning: join a federation with local data that never leaves this machine.",
        subcommands: [
            FederatedClient.self,
        ]
    )
}
