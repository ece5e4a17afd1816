import ArgumentParser

/// `bulwark fl`: federated learning — simulate a federation, run a coordinator or a client.
struct FederatedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fl",
        abstract: "Federated learning: robust and secure aggregation, DP-FedAvg, simulations.",
        subcommands: [FederatedCertsCommand.self, FederatedServeCommand.self, FederatedSimulateCommand.self]
    )
}
