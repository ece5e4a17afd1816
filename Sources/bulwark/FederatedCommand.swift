import ArgumentParser

/// `bulwark fl`: federated learning — simulate a federation, run a coordinator, join one as a
/// client (Bulwark's own coordinator or a Flower SuperLink), make the federation's certificates.
struct FederatedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fl",
        abstract: "Federated learning: robust and secure aggregation, DP-FedAvg, a coordinator over gRPC, Flower clients, simulations.",
        subcommands: [FederatedCertsCommand.self, FederatedClient.self, FederatedServeCommand.self, FederatedSimulateCommand.self]
    )
}
