import ArgumentParser
import BulwarkArchive
import BulwarkAssessment
import BulwarkData
import BulwarkFederated
import BulwarkModels
import BulwarkPrivacy
import BulwarkReport
import BulwarkTensor
import Foundation

/// `--attack`: what malicious simulated clients do.
enum ClientAttackChoice: String, CaseIterable, ExpressibleByArgument {
    case signFlip = "sign-flip"
    case modelReplacement = "model-replacement"
    case labelFlip = "label-flip"
}

/// `bulwark fl simulate`: N clients in one process, for experiments with aggregation rules,
/// attacks and DP-FedAvg.
struct FederatedSimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Run a federation of N simulated clients in one process: FedAvg/FedProx, robust aggregation, attacks, DP-FedAvg.",
        discussion: """
        The training data is split among --clients clients (--partition iid, or dirichlet:α for \
        label skew); each round --clients-per-round of them train --local-epochs of SGD from the \
        global model and send their update; the coordinator aggregates with --aggregator and \
        evaluates the global model on the test split. A comma-separated --aggregator list runs \
        the same federation (same data, same malicious clients) once per rule and prints a table.

        --malicious F makes a fraction F of the clients attack (--attack sign-flip: send −scale × \
        the honest update; model-replacement: train with a backdoor trigger towards \
        --target-class and boost the update by --attack-scale; label-flip: train on flipped \
        labels). --clean-baseline adds a run without attackers for reference.

        --dp runs DP-FedAvg instead of --aggregator: Poisson client sampling at --client-rate, \
        client updates clipped to --dp-clip, Gaussian noise σ·S on the sum; ε (RDP or PLD \
        accountant, for --delta) is reported after every round, from the accountant of that same \
        Poisson sampler. Noise and sampling come from the system CSPRNG unless \
        --insecure-seeded-noise is given (then no privacy claim is made).

        Examples:
          bulwark fl simulate --model mlp --clients 20 --rounds 10 --clients-per-round 10
          bulwark fl simulate --model mlp --clients 20 --rounds 10 --malicious 0.2 --attack sign-flip \\
            --aggregator fedavg,median,trimmed-mean,krum --clean-baseline
          bulwark fl simulate --model mlp --clients 100 --rounds 30 --dp --client-rate 0.2 \\
            --target-epsilon 8 --delta 1e-5 --dp-clip 0.5
        """
    )

    @OptionGroup var inputs: FederatedModelDataOptions

    @Option(parsing: .unconditional, help: "Clients in the federation.")
    var clients: Int = 10

    @Option(parsing: .unconditional, help: "Rounds.")
    var rounds: Int = 5

    @Option(name: .customLong("clients-per-round"), parsing: .unconditional, help: "Clients sampled per round (default: all).")
    var clientsPerRound: Int?

    @Option(help: "How the data is split: iid, or dirichlet:ALPHA (e.g. dirichlet:0.5; smaller is more skewed).")
    var partition: String = "iid"

    @OptionGroup(title: "Local training") var training: LocalTrainingOptions

    @OptionGroup(title: "Aggregation") var aggregation: AggregationOptions

    @Option(name: .customLong("root-examples"), parsing: .unconditional, help: "fltrust: clean examples the coordinator keeps for its own update.")
    var rootExamples: Int = 100

    @Option(parsing: .unconditional, help: "The fraction of clients that attack.")
    var malicious: Double = 0

    @Option(help: "What malicious clients do: \(ClientAttackChoice.allCases.map(\.rawValue).joined(separator: ", ")).")
    var attack: ClientAttackChoice?

    @Option(name: .customLong("attack-scale"), parsing: .unconditional, help: "sign-flip: the factor of the negated update; model-replacement: the boost (default: clients per round).")
    var attackScale: Float?

    @Option(name: .customLong("target-class"), parsing: .unconditional, help: "model-replacement: the backdoor's target class.")
    var targetClass: Int = 0

    @Flag(name: .customLong("clean-baseline"), help: "Also run FedAvg without attackers, for reference.")
    var cleanBaseline = false

    @Option(parsing: .unconditional, help: "The probability that a sampled client drops out before sending its update.")
    var dropout: Double = 0

    @OptionGroup(title: "DP-FedAvg") var privacy: FederatedDPOptions

    @OptionGroup(title: "Secure aggregation") var secure: SecureAggregationOptions

    @Option(parsing: .unconditional, help: "Seed of the model, the partition, sampling and local training.")
    var seed: UInt64 = 0

    @Option(help: "Write the result (every round, every verdict) as JSON to this file.")
    var out: String?

    @Option(help: "Write a report (index.html, report.json, report.sarif and federated.json) into this directory.")
    var report: String?

    @Flag(help: "Print one JSON object on stdout instead of text.")
    var json = false

    @Flag(help: "No progress on stderr.")
    var quiet = false

    func validate() throws {
        try Bounds.check(clients, in: 1...100_000, "--clients")
        try Bounds.check(rounds, in: 1...100_000, "--rounds")
        if let clientsPerRound { try Bounds.check(clientsPerRound, in: 1...clients, "--clients-per-round") }
        _ = try parsedPartition()
        guard malicious >= 0, malicious < 1 else { throw ValidationError("--malicious must be in [0, 1), got \(malicious)") }
        if malicious > 0, attack == nil { throw ValidationError("--malicious needs --attack (\(ClientAttackChoice.allCases.map(\.rawValue).joined(separator: ", ")))") }
        if attack != nil, malicious == 0 { throw ValidationError("--attack needs --malicious F (the fraction of clients that attack)") }
        guard dropout >= 0, dropout < 1 else { throw ValidationError("--dropout must be in [0, 1), got \(dropout)") }
        try secure.check(dp: privacy.dp, aggregator: aggregation.aggregator)
        if privacy.dp {
            if clientsPerRound != nil { throw ValidationError("--dp samples clients with --client-rate; --clients-per-round does not apply") }
            if aggregation.aggregator != "fedavg" { throw ValidationError("--dp is its own aggregation (clipped, noised mean); drop --aggregator") }
        }
    }

    func parsedPartition() throws -> DataPartition {
        if partition == "iid" { return .iid }
        if partition.hasPrefix("dirichlet:"), let alpha = Double(partition.dropFirst("dirichlet:".count)), alpha > 0, alpha.isFinite {
            return .dirichlet(alpha: alpha)
        }
        throw ValidationError("--partition must be iid or dirichlet:ALPHA with ALPHA > 0, got '\(partition)'")
    }

    func run() throws {
        configureNumerics()
        let start = try inputs.start()
        let prepared = try inputs.prepare(seed: seed)
        let data = prepared.data
        let classCount = data.classCount ?? data.training.classCount
        let perRound = clientsPerRound ?? clients
        let behaviour: ClientBehaviour = switch attack {
        case nil: .honest
        case .signFlip: .signFlip(scale: attackScale ?? 10)
        case .modelReplacement: .modelReplacement(boost: attackScale ?? Float(perRound), targetClass: targetClass)
        case .labelFlip: .labelFlip
        }
        if case .modelReplacement = behaviour, !(0..<classCount).contains(targetClass) {
            throw ValidationError("--target-class must be in 0…\(classCount - 1), got \(targetClass)")
        }
        let dpPlan = try privacy.plan(rounds: rounds, population: clients, quiet: quiet)
        var runs: [(label: String, plan: FederatedPlan)] = []
        let local = training.local
        let base = FederatedPlan(clients: clients, rounds: rounds, clientsPerRound: perRound, partition: try parsedPartition(), local: local,
                                 rule: .fedAvg, dp: dpPlan, serverLearningRate: training.serverLearningRate, maliciousFraction: malicious,
                                 attack: behaviour, dropoutRate: dropout, rootExamples: rootExamples, seed: seed,
                                 secureAggregation: secure.plan)
        if cleanBaseline {
            var clean = base
            clean.maliciousFraction = 0
            clean.attack = .honest
            runs.append((dpPlan == nil ? "fedavg, no attackers" : "dp-fedavg, no attackers", clean))
        }
        if dpPlan != nil {
            runs.append((base.secureAggregation == nil ? "dp-fedavg" : "dp-fedavg, \(secure.choice?.rawValue ?? "")", base))
        } else {
            for choice in try aggregation.choices() {
                var p = base
                p.rule = aggregation.rule(choice, perRound: perRound, malicious: malicious)
                runs.append((p.rule.description + (p.secureAggregation == nil ? "" : ", \(secure.choice?.rawValue ?? "")"), p))
            }
        }
        var reports: [FederatedRunSummary] = []
        for (label, runPlan) in runs {
            let initial = try ModelBox<Sequential>.make(prepared, classCount: classCount, seed: seed)
            if !quiet, runs.count > 1 { Terminal.note("— \(label)") }
            let quietProgress = quiet
            let report = try initial.simulate(label: label, training: (data.training.inputs, data.training.labels), test: (data.test.inputs, data.test.labels),
                                               classCount: classCount, plan: runPlan,
                                               randomness: privacy.randomness(seed: seed)) { r in
                if !quietProgress { Terminal.note(Self.roundText(r, of: runPlan.rounds)) }
            }
            reports.append(report)
        }
        let summary = FederatedSimulationReport(model: start.name, dataset: data.description, clients: clients, rounds: rounds,
                                                clientsPerRound: dpPlan == nil ? perRound : nil, partition: base.partition.description,
                                                attack: malicious > 0 ? behaviour.description : nil, maliciousFraction: malicious,
                                                privacyClaim: dpPlan.map { _ in !privacy.insecureSeededNoise }, runs: reports)
        if let out {
            try refuseOverwrite(out, inputs: inputs.source.paths, role: "--out")
            do { try ReportWriter.writeJSON(summary, to: URL(fileURLWithPath: out)) } catch { throw CLIError("--out: \(error.message)") }
        }
        if let report {
            try refuseOverwrite(report, inputs: inputs.source.paths, role: "--report")
            let command = quotedCommandLine()
            var document = Report(title: "Bulwark federated simulation: \(start.name) on \(data.description)", toolVersion: BulwarkVersion.current,
                                  command: command, seed: seed,
                                  parameters: ["clients": String(clients), "rounds": String(rounds), "partition": base.partition.description,
                                               "local training": "\(training.localEpochs) epoch(s), batch \(training.localBatch), SGD lr \(training.learningRate)"
                                                   + (training.fedProxMu > 0 ? ", FedProx μ \(training.fedProxMu)" : "")])
            document.findings = FederatedFindings.findings(runs: reports, reproduce: command)
            document.sections = [FederatedFindings.section(runs: reports)]
            do { try ReportWriter.write(document, result: summary, resultName: "federated.json", to: URL(fileURLWithPath: report)) } catch {
                throw CLIError("--report \(report): \(error)")
            }
        }
        if json { return try printJSON(summary) }
        print(Self.table(summary))
    }

    static func roundText(_ r: FederatedRound, of rounds: Int) -> String {
        var text = String(format: "round %d/%d  clients %d", r.round, rounds, r.sampled - r.droppedOut)
        if r.droppedOut > 0 { text += " (\(r.droppedOut) dropped)" }
        text += String(format: "  test acc %.4f", r.testAccuracy)
        if r.maliciousParticipants > 0 {
            text += String(format: "  malicious weight %.2f (%d/%d excluded)", r.maliciousWeight, r.maliciousExcluded, r.maliciousParticipants)
        }
        if let b = r.backdoorSuccess { text += String(format: "  backdoor %.2f", b) }
        if let e = r.epsilon { text += String(format: "  ε %.3f", e) }
        if let f = r.secureAggregationFailure { text += "  secure sum lost: \(f)" }
        return text + String(format: "  %.1fs", r.seconds)
    }

    static func table(_ s: FederatedSimulationReport) -> String {
        var lines = ["\(s.clients) clients, \(s.rounds) rounds, \(s.model) on \(s.dataset), \(s.partition)"
                     + (s.attack.map { ", \(Int((s.maliciousFraction * 100).rounded()))% \($0)" } ?? "")]
        func pad(_ text: String, _ width: Int) -> String { text.count >= width ? text : text + String(repeating: " ", count: width - text.count) }
        let width = max(28, (s.runs.map(\.label.count).max() ?? 0) + 2)
        lines.append(pad("run", width) + "final acc  best acc  malicious weight  backdoor  bytes/client/round  s/round")
        for run in s.runs {
            let last = run.rounds.last
            let backdoor = last?.backdoorSuccess.map { String(format: "%.3f", $0) } ?? "-"
            let bytes = run.rounds.map(\.bytesUpPerClient).reduce(0, +) / max(1, run.rounds.count)
            let seconds = run.rounds.map(\.seconds).reduce(0, +) / Double(max(1, run.rounds.count))
            lines.append(pad(run.label, width) + String(format: "%9.4f %9.4f %17.3f  ", last?.testAccuracy ?? 0,
                                                         run.rounds.map(\.testAccuracy).max() ?? 0, run.meanMaliciousWeight)
                         + pad(backdoor, 8) + String(format: "  %18d  %7.2f", bytes, seconds))
        }
        if let e = s.runs.last?.rounds.last?.epsilon, let claim = s.privacyClaim {
            lines.append(String(format: "ε = %.4f at δ = %g after %d rounds", e, s.runs.last?.dp?.delta ?? 0, s.rounds)
                         + (claim ? "" : " — seeded noise: NO privacy guarantee"))
        }
        return lines.joined(separator: "\n")
    }
}

/// What `fl simulate` prints with --json and writes with --out.
struct FederatedSimulationReport: Codable {
    var model: String
    var dataset: String
    var clients: Int
    var rounds: Int
    var clientsPerRound: Int?
    var partition: String
    var attack: String?
    var maliciousFraction: Double
    /// DP runs only: whether the noise came from the CSPRNG (false: seeded, no guarantee).
    var privacyClaim: Bool?
    var runs: [FederatedRunSummary]
}

/// A zoo or imported model behind one interface, so the simulation runs either.
protocol FederatedModelBox {
    /// Runs `plan` from this model and reports it under `label`.
    func simulate(label: String, training: (inputs: Tensor, labels: [Int]), test: (inputs: Tensor, labels: [Int]), classCount: Int,
                  plan: FederatedPlan, randomness: DPRandomness, progress: (FederatedRound) -> Void) throws -> FederatedRunSummary
}


struct ModelBox<M: TrainableModel & Sendable>: FederatedModelBox {
    let model: M

    /// The model `prepared` starts from: the imported ONNX model, or the zoo architecture sized
    /// for the data and initialised from `seed`.
    static func make(_ prepared: TrainingDataPlan.Prepared, classCount: Int, seed: UInt64) throws -> any FederatedModelBox {
        if let onnx = prepared.onnx { return ModelBox<ONNXModel>(model: onnx) }
        guard case .zoo(let arch) = prepared.start else { throw CLIError("--model: cannot build the model") }
        let shape = prepared.data.training.exampleShape
        do { return ModelBox<Sequential>(model: try arch.makeModel(exampleShape: shape, classCount: classCount, seed: seed)) } catch {
            throw CLIError("--model \(arch.rawValue): \(error.message)")
        }
    }

    func simulate(label: String, training: (inputs: Tensor, labels: [Int]), test: (inputs: Tensor, labels: [Int]), classCount: Int,
                  plan: FederatedPlan, randomness: DPRandomness, progress: (FederatedRound) -> Void) throws -> FederatedRunSummary {
        do {
            let result = try FederatedSimulation.run(model: model, training: training, test: test, classCount: classCount, plan: plan,
                                                     randomness: randomness, progress: progress)
            return FederatedRunSummary(label: label, result: result, privacyClaim: randomness.supportsPrivacyClaim)
        } catch { throw CLIError(error.description) }
    }
}
