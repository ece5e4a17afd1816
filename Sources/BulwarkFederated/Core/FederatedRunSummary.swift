public import BulwarkModels

/// One simulated federation as a report shows it: the rule, the rounds with their verdicts, and
/// what the attackers got (`Codable`: the JSON `fl simulate` writes, and the input of the
/// report's federated section).
public struct FederatedRunSummary: Sendable, Codable, Equatable {
    /// A short label (`median`, `fedavg, no attackers`, `dp-fedavg`).
    public var label: String
    /// The aggregation rule (`dp-fedavg` for DP-FedAvg).
    public var rule: String
    /// What malicious clients did (nil: none attacked).
    public var attack: String?
    /// The fraction of clients that were malicious.
    public var maliciousFraction: Double
    /// DP-FedAvg only: δ of the reported ε, the accountant, σ, S and q.
    public var dp: DPFedAvg?
    /// DP-FedAvg only: whether the noise came from the CSPRNG (false: seeded, no guarantee).
    public var privacyClaim: Bool?
    /// The model's parameter count.
    public var parameters: Int
    /// Test accuracy of the initial global model.
    public var initialAccuracy: Double
    /// The malicious clients' indices.
    public var maliciousClients: [Int]
    /// The mean over attacked rounds of the malicious clients' share of the aggregate.
    public var meanMaliciousWeight: Double
    /// Every round.
    public var rounds: [FederatedRound]

    /// The summary of `result` under `label`; `privacyClaim` says whether DP noise came from the CSPRNG.
    public init<Model>(label: String, result: FederatedSimulationResult<Model>, privacyClaim: Bool? = nil) {
        self.label = label
        let plan = result.plan
        rule = plan.dp == nil ? plan.rule.description : "dp-fedavg"
        attack = plan.maliciousFraction > 0 ? plan.attack.description : nil
        maliciousFraction = plan.maliciousFraction
        dp = plan.dp
        self.privacyClaim = plan.dp == nil ? nil : privacyClaim
        parameters = result.parameters
        initialAccuracy = result.initialAccuracy
        maliciousClients = result.maliciousClients
        let attacked = result.rounds.filter { $0.maliciousParticipants > 0 }
        meanMaliciousWeight = attacked.isEmpty ? 0 : attacked.reduce(0) { $0 + $1.maliciousWeight } / Double(attacked.count)
        rounds = result.rounds
    }

    /// Test accuracy after the last round.
    public var finalAccuracy: Double { rounds.last?.testAccuracy ?? initialAccuracy }
}
