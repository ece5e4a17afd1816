import ArgumentParser
import BulwarkAssessment
import BulwarkData
import BulwarkDP
import BulwarkFederated
import BulwarkPrivacy
import Foundation

/// The model a federation trains and the data it is measured on (and, in a simulation, split
/// among the clients): `fl simulate` and `fl serve`.
struct FederatedModelDataOptions: ParsableArguments {
    @Option(help: "Built-in dataset (the default when no --data, --image-folder or --csv is given).")
    var dataset: DatasetChoice?

    @Option(name: .customLong("data-dir"), help: "Directory holding the Fashion-MNIST IDX files.")
    var dataDirectory: String = FashionMNIST.defaultDirectory

    @OptionGroup(title: "Your own data (instead of --dataset)") var source: DataSourceOptions

    @Option(name: .customLong("test-fraction"), parsing: .unconditional, help: "With your own data: the fraction held out for testing.")
    var testFraction: Double = 0.2

    @Option(help: "The model: a zoo architecture (mlp, cnn, resnet, tabular; sized from the data) or an .onnx file.")
    var model: String = "mlp"

    @Option(parsing: .unconditional, help: "Use only the first N training examples.")
    var limit: Int?

    func validate() throws {
        if let limit { try Bounds.check(limit, in: 1...Int.max, "--limit") }
        if dataset != nil, source.isGiven { throw ValidationError("--dataset and your own data (--data, --image-folder, --csv) are exclusive") }
        try source.requireLabels()
        guard testFraction > 0, testFraction < 1 else { throw ValidationError("--test-fraction must be in (0, 1), got \(testFraction)") }
        _ = try start()
    }

    func start() throws -> TrainingStart {
        do { return try TrainingStart(model) } catch { throw ValidationError(error.message) }
    }

    /// Loads the model and the training and test splits (`seed` draws the test split of own data).
    func prepare(seed: UInt64) throws -> TrainingDataPlan.Prepared {
        let plan = TrainingDataPlan(source: try source.dataset(), fashionMNISTDirectory: dataDirectory, testSet: nil,
                                    testFraction: testFraction, seed: seed, limit: limit)
        return try plan.prepare(try start())
    }
}

/// What every client runs each round, and the coordinator's step: `fl simulate` and `fl serve`.
struct LocalTrainingOptions: ParsableArguments {
    @Option(name: .customLong("local-epochs"), parsing: .unconditional, help: "Local passes over each client's data per round.")
    var localEpochs: Int = 1

    @Option(name: .customLong("local-batch"), parsing: .unconditional, help: "Local batch size.")
    var localBatch: Int = 32

    @Option(name: .customLong("lr"), parsing: .unconditional, help: "Local SGD learning rate.")
    var learningRate: Float = 0.05

    @Option(name: .customLong("fedprox-mu"), parsing: .unconditional, help: "FedProx proximal term μ (0: FedAvg).")
    var fedProxMu: Float = 0

    @Option(name: .customLong("server-lr"), parsing: .unconditional, help: "The coordinator's step along the aggregated update.")
    var serverLearningRate: Float = 1

    func validate() throws {
        do { try local.validate() } catch { throw ValidationError(error.message) }
        guard serverLearningRate > 0, serverLearningRate.isFinite else { throw ValidationError("--server-lr must be a positive number") }
    }

    /// The clients' local training.
    var local: LocalTraining { LocalTraining(epochs: localEpochs, batchSize: localBatch, learningRate: learningRate, proximalMu: fedProxMu) }
}

/// `--aggregator`: the robust-aggregation rules by name.
enum AggregatorChoice: String, CaseIterable, ExpressibleByArgument {
    case fedavg, median
    case trimmedMean = "trimmed-mean"
    case krum
    case multiKrum = "multi-krum"
    case normBound = "norm-bound"
    case fltrust
}

/// The aggregation rule and its parameters.
struct AggregationOptions: ParsableArguments {
    @Option(help: "Aggregation rule(s), comma-separated in fl simulate: \(AggregatorChoice.allCases.map(\.rawValue).joined(separator: ", ")).")
    var aggregator: String = "fedavg"

    @Option(parsing: .unconditional, help: "trimmed-mean: the fraction dropped at each end of every coordinate.")
    var trim: Double = 0.2

    @Option(parsing: .unconditional, help: "krum / multi-krum: the number of Byzantine clients f tolerated (default: ⌊malicious × clients per round⌋, at least 1).")
    var byzantine: Int?

    @Option(name: .customLong("krum-select"), parsing: .unconditional, help: "multi-krum: updates averaged (default: clients per round − f).")
    var krumSelect: Int?

    @Option(name: .customLong("norm-bound"), parsing: .unconditional, help: "norm-bound: the L2 norm every update is clipped to.")
    var normBound: Double = 1

    func validate() throws { _ = try choices() }

    func choices() throws -> [AggregatorChoice] {
        let names = aggregator.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard !names.isEmpty else { throw ValidationError("--aggregator needs at least one rule") }
        return try names.map { name in
            guard let choice = AggregatorChoice(rawValue: name) else {
                throw ValidationError("--aggregator: unknown rule '\(name)'; expected \(AggregatorChoice.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return choice
        }
    }

    /// The rule `choice` with these parameters, for rounds of `perRound` clients of which a
    /// fraction `malicious` may attack (Krum's default f).
    func rule(_ choice: AggregatorChoice, perRound: Int, malicious: Double) -> AggregationRule {
        let f = byzantine ?? max(1, Int((malicious * Double(perRound)).rounded(.down)))
        switch choice {
        case .fedavg: return .fedAvg
        case .median: return .median
        case .trimmedMean: return .trimmedMean(fraction: trim)
        case .krum: return .krum(byzantine: f)
        case .multiKrum: return .multiKrum(byzantine: f, selected: krumSelect ?? max(1, perRound - f))
        case .normBound: return .normBound(maxNorm: normBound)
        case .fltrust: return .flTrust
        }
    }
}

/// DP-FedAvg's options.
struct FederatedDPOptions: ParsableArguments {
    @Flag(help: "DP-FedAvg (user-level DP): Poisson client sampling, clipped updates, Gaussian noise.")
    var dp = false

    @Option(name: .customLong("client-rate"), parsing: .unconditional, help: "DP: the probability q that a client joins a round.")
    var clientRate: Double?

    @Option(name: .customLong("dp-clip"), parsing: .unconditional, help: "DP: the L2 norm client updates are clipped to (S).")
    var dpClip: Double = 1

    @Option(name: .customLong("noise-multiplier"), parsing: .unconditional, help: "DP: noise standard deviation / clip norm (σ).")
    var noiseMultiplier: Double?

    @Option(name: .customLong("target-epsilon"), parsing: .unconditional, help: "DP: without --noise-multiplier, the smallest σ reaching this ε after --rounds.")
    var targetEpsilon: Double?

    @Option(parsing: .unconditional, help: "DP: δ of the reported (ε, δ).")
    var delta: Double = 1e-5

    @Option(help: "DP: the accountant (rdp or pld).")
    var accountant: PrivacyAccountantChoice = .rdp

    @Flag(name: .customLong("insecure-seeded-noise"), help: "DP: draw client sampling and noise from --seed (reproducible, NO privacy guarantee).")
    var insecureSeededNoise = false

    func validate() throws {
        if dp {
            guard clientRate != nil else { throw ValidationError("--dp needs --client-rate q (the Poisson sampling rate the accountant assumes)") }
            guard noiseMultiplier != nil || targetEpsilon != nil else {
                throw ValidationError("--dp needs --noise-multiplier (or --target-epsilon to calibrate it): without noise there is no ε")
            }
        } else if clientRate != nil || noiseMultiplier != nil || targetEpsilon != nil || insecureSeededNoise {
            throw ValidationError("DP options need --dp")
        }
    }

    /// Where DP noise and sampling come from.
    func randomness(seed: UInt64) -> DPRandomness { insecureSeededNoise ? .seededInsecure(seed: seed) : .secure }

    /// The DP-FedAvg plan for `rounds` rounds over `population` clients (nil without --dp),
    /// announced on stderr unless `quiet`.
    func plan(rounds: Int, population: Int, quiet: Bool) throws -> DPFedAvg? {
        guard dp, let clientRate else { return nil }
        do {
            let sigma = try noiseMultiplier ?? DPFedAvg.noiseMultiplier(targetEpsilon: targetEpsilon ?? 0, rounds: rounds,
                                                                        samplingRate: clientRate, delta: delta, accountant: accountant.kind)
            let plan = try DPFedAvg(clipNorm: dpClip, noiseMultiplier: sigma, samplingRate: clientRate, population: population,
                                    delta: delta, accountant: accountant.kind)
            let planned = try plan.epsilon(afterRounds: rounds)
            if let targetEpsilon, planned > targetEpsilon * (1 + 1e-9) {
                throw CLIError(String(format: "--noise-multiplier %.4g spends ε = %.4f over %d rounds, above --target-epsilon %g", sigma, planned, rounds, targetEpsilon))
            }
            if !quiet {
                Terminal.note(String(format: "DP-FedAvg: σ = %.4g, S = %.4g, q = %.4g (expected %.1f clients/round), planned ε = %.4f at δ = %g (%@)%@",
                                     sigma, dpClip, clientRate, clientRate * Double(population), planned, delta, accountant.rawValue,
                                     insecureSeededNoise ? " — SEEDED NOISE, NO PRIVACY GUARANTEE" : ""))
            }
            return plan
        } catch let error as FederatedError { throw CLIError(error.description) }
    }
}

/// `--secure-aggregation`.
enum SecureAggregationChoice: String, CaseIterable, ExpressibleByArgument {
    case secAgg = "secagg"
    case secAggPlus = "secagg+"
    case paillier
}

/// Secure-aggregation options shared by `fl simulate` and `fl serve`.
struct SecureAggregationOptions: ParsableArguments {
    @Option(name: .customLong("secure-aggregation"), help: "Sum updates with secagg (every pair of clients), secagg+ (k neighbours) or paillier (encrypted to a key holder; fl simulate only): the coordinator sees only the sum (FedAvg or --dp).")
    var choice: SecureAggregationChoice?

    @Option(name: .customLong("paillier-bits"), parsing: .unconditional, help: "paillier: the key holder's key size in bits.")
    var paillierBits: Int = 2048

    @Option(name: .customLong("secagg-neighbours"), parsing: .unconditional, help: "secagg+: neighbours per client (even; odd counts round up).")
    var neighbours: Int = 10

    @Option(name: .customLong("secagg-clip"), parsing: .unconditional, help: "Secure aggregation: every coordinate of an update is clipped to ± this before fixed-point encoding.")
    var clip: Float = 1

    /// The plan (nil without --secure-aggregation).
    var plan: SecureAggregationPlan? {
        choice.map {
            SecureAggregationPlan(neighbours: $0 == .secAggPlus ? neighbours : nil, clipRange: clip, paillierKeyBits: $0 == .paillier ? paillierBits : nil)
        }
    }

    /// Refuses a robust rule (which needs each update) and out-of-range settings.
    func check(dp: Bool, aggregator: String) throws {
        if choice != nil, !dp, aggregator != "fedavg" {
            throw ValidationError("--secure-aggregation shows the coordinator only the sum: use it with --aggregator fedavg or --dp, not a robust rule")
        }
        guard clip > 0, clip.isFinite else { throw ValidationError("--secagg-clip must be a positive number") }
        try Bounds.check(neighbours, in: 2...100_000, "--secagg-neighbours")
        try Bounds.check(paillierBits, in: 1024...8192, "--paillier-bits")
    }
}
