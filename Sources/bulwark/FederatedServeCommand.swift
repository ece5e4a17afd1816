import ArgumentParser
import BulwarkArchive
import BulwarkAssessment
import BulwarkData
import BulwarkFederated
import BulwarkModels
import BulwarkReport
import BulwarkTensor
import Foundation

/// `bulwark fl serve`: Bulwark's own federated coordinator over gRPC with mutual TLS.
struct FederatedServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run a federated coordinator over gRPC with mutual TLS: rounds, stragglers, robust aggregation, DP-FedAvg, checkpoints.",
        discussion: """
        Clients (bulwark fl client --coordinator) join with a certificate signed by the \
        federation's CA (bulwark fl certs); the certificate's common name is the client's id. \
        Once --min-clients have joined, each round selects up to --clients-per-round of them \
        (under --dp: each joins with probability --client-rate), hands them the global model and \
        waits --round-timeout seconds: updates from every selected client close the round at \
        once; at the deadline the round closes with what arrived when that is at least \
        --min-updates (stragglers' late updates are refused) and reopens with a fresh selection \
        when not. The coordinator evaluates the global model on the test split of --dataset or \
        --data after every round.

        With --secure-aggregation secagg or secagg+ the coordinator never sees an update, only \
        the sum: each selected client trains, then the round runs SecAgg (Bonawitz et al. 2017) \
        or SecAgg+ (Bell et al. 2020, --secagg-neighbours) through the coordinator — signed \
        X25519 keys, Shamir shares of the mask secrets, masked fixed-point updates clipped to \
        ±--secagg-clip — and the sum is unmasked even when clients drop after sharing their \
        keys (up to the threshold). Each client's signing key is endorsed by its certificate \
        key and checked by its peers against the CA, so the coordinator cannot substitute keys. \
        The aggregate is the equal-weight mean (or, with --dp, the clients clip to --dp-clip and \
        the coordinator adds the noise to the sum). Clients exchange keys while they train; \
        each protocol phase waits --secagg-phase-timeout seconds (the masked updates at least \
        until --round-timeout), and a round that loses too many clients reopens.

        With --state DIR it saves a checkpoint after every round and resumes from it when \
        restarted; clients keep polling through the restart. --out writes the final global \
        model (.safetensors for a zoo model, .onnx for an imported one).

        Examples:
          bulwark fl certs --out pki --clients 2
          bulwark fl serve --tls-dir pki --model mlp --rounds 5 --min-clients 2 --state fl-state --out global.safetensors
          bulwark fl serve --insecure --port 9092 --model tabular --csv table.csv --label-column target --rounds 3
          bulwark fl serve --tls-dir pki --model mlp --rounds 3 --min-clients 5 --secure-aggregation secagg+ --secagg-neighbours 4
        """
    )

    @OptionGroup var inputs: FederatedModelDataOptions

    @Option(help: "Address to listen on.")
    var host: String = "127.0.0.1"

    @Option(parsing: .unconditional, help: "Port to listen on (0: any free port, printed).")
    var port: Int = 9092

    @Option(name: .customLong("tls-dir"), help: "Directory with server.pem, server-key.pem and ca.pem (from bulwark fl certs).")
    var tlsDirectory: String?

    @Flag(help: "Plaintext gRPC with self-declared client ids: for experiments on one machine only.")
    var insecure = false

    @Option(parsing: .unconditional, help: "Rounds.")
    var rounds: Int = 3

    @Option(name: .customLong("min-clients"), parsing: .unconditional, help: "Clients that must join before the first round.")
    var minClients: Int = 2

    @Option(name: .customLong("clients-per-round"), parsing: .unconditional, help: "Clients selected per round (default: all joined).")
    var clientsPerRound: Int?

    @Option(name: .customLong("min-updates"), parsing: .unconditional, help: "Updates a round needs at its deadline (default: 1).")
    var minUpdates: Int = 1

    @Option(name: .customLong("round-timeout"), parsing: .unconditional, help: "Seconds selected clients have to answer.")
    var roundTimeout: Double = 120

    @OptionGroup(title: "Local training") var training: LocalTrainingOptions

    @OptionGroup(title: "Aggregation") var aggregation: AggregationOptions

    @OptionGroup(title: "DP-FedAvg") var privacy: FederatedDPOptions

    @OptionGroup(title: "Secure aggregation") var secure: SecureAggregationOptions

    @Option(name: .customLong("secagg-phase-timeout"), parsing: .unconditional,
            help: "Secure aggregation: seconds each protocol phase waits (the masked updates at least until --round-timeout); a client silent by then has dropped.")
    var phaseTimeout: Double = 30

    @Option(name: .customLong("expected-clients"), parsing: .unconditional, help: "DP: the federation's size N (the fixed denominator q·N).")
    var expectedClients: Int?

    @Option(help: "Directory for the checkpoint after every round (resumed from when it exists) and the history.")
    var state: String?

    @Option(help: "Write the final global model here (.safetensors for a zoo model, .onnx for an imported one).")
    var out: String?

    @Option(parsing: .unconditional, help: "Seed of the model, client selection and the clients' local seeds.")
    var seed: UInt64 = 0

    @Flag(help: "Print the history as JSON on stdout at the end.")
    var json = false

    func validate() throws {
        try Bounds.check(port, in: 0...65535, "--port")
        try Bounds.check(rounds, in: 1...100_000, "--rounds")
        guard (tlsDirectory != nil) != insecure else { throw ValidationError("give --tls-dir DIR (mutual TLS) or --insecure (plaintext, one machine only)") }
        guard roundTimeout > 0, roundTimeout.isFinite else { throw ValidationError("--round-timeout must be a positive number of seconds") }
        guard try aggregation.choices().count == 1 else { throw ValidationError("fl serve takes one --aggregator") }
        if try aggregation.choices() == [.fltrust] { throw ValidationError("--aggregator fltrust needs a root set the coordinator does not keep; use fl simulate") }
        try secure.check(dp: privacy.dp, aggregator: aggregation.aggregator)
        guard phaseTimeout > 0, phaseTimeout.isFinite else { throw ValidationError("--secagg-phase-timeout must be a positive number of seconds") }
        if secure.choice == .paillier {
            throw ValidationError("--secure-aggregation paillier runs in fl simulate only; over the network use secagg or secagg+")
        }
        if secure.choice != nil {
            guard minClients >= 2, (clientsPerRound ?? 2) >= 2 else { throw ValidationError("--secure-aggregation needs --min-clients and --clients-per-round of at least 2") }
        }
        if privacy.dp, expectedClients == nil { throw ValidationError("--dp needs --expected-clients N (the federation's size, the denominator of DP-FedAvg)") }
        if let out {
            let zoo = (try? inputs.start()).map { if case .zoo = $0 { true } else { false } } ?? true
            guard out.hasSuffix(zoo ? ".safetensors" : ".onnx") else { throw ValidationError("--out must name a \(zoo ? ".safetensors" : ".onnx") file for this model") }
        }
    }

    func run() async throws {
        configureNumerics()
        if let out { try refuseOverwrite(out, inputs: inputs.source.paths + [inputs.model], role: "--out") }
        let prepared = try inputs.prepare(seed: seed)
        let data = prepared.data
        let classCount = data.classCount ?? data.training.classCount
        let start = try inputs.start()
        let dpPlan = try privacy.plan(rounds: rounds, population: expectedClients ?? 1, quiet: false)
        let local = training.local
        let perRound = clientsPerRound ?? .max
        let rule = aggregation.rule(try aggregation.choices()[0], perRound: min(perRound, max(minClients, 1)), malicious: 0)
        let config = CoordinatorConfiguration(federation: "bulwark", rounds: rounds, minimumClients: minClients, clientsPerRound: perRound,
                                              minimumUpdates: minUpdates, roundTimeout: roundTimeout, local: local, rule: rule, dp: dpPlan,
                                              serverLearningRate: training.serverLearningRate, seed: seed, secureAggregation: secure.plan,
                                              phaseTimeout: phaseTimeout)
        let saver = ModelSaver(prepared: prepared, classCount: classCount, seed: seed)
        let initial = try saver.initialWeights()
        let checkpointURL = state.map { URL(fileURLWithPath: $0).appendingPathComponent("checkpoint.json") }
        var checkpoint: CoordinatorCheckpoint?
        if let checkpointURL, FileManager.default.fileExists(atPath: checkpointURL.path) {
            do { checkpoint = try JSONDecoder().decode(CoordinatorCheckpoint.self, from: Data(contentsOf: checkpointURL)) } catch {
                throw CLIError("\(checkpointURL.path): not a checkpoint of bulwark fl serve (\(error.localizedDescription))")
            }
            Terminal.note("resuming from \(checkpointURL.path) after round \(checkpoint?.round ?? 0)")
        }
        if let state { try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true) }
        let test = (data.test.inputs, data.test.labels)
        let coordinator: FederatedCoordinator
        do {
            coordinator = try FederatedCoordinator(
                configuration: config, weights: initial, checkpoint: checkpoint, randomness: privacy.randomness(seed: seed),
                evaluate: { weights in saver.accuracy(weights, on: test) },
                roundClosed: { record, checkpoint in
                    var line = "round \(record.round)/\(config.rounds) closed: \(record.aggregated.count) update(s) from \(record.aggregated.joined(separator: ", "))"
                    if record.reopenings > 0 { line += ", after \(record.reopenings) reopening(s)" }
                    if let dropped = record.dropped {
                        line += ", summed securely" + (dropped.isEmpty ? "" : " (\(dropped.joined(separator: ", ")) dropped; masks removed)")
                    }
                    if let note = record.note { line += " — \(note)" }
                    if let a = record.testAccuracy { line += String(format: ", test acc %.4f", a) }
                    if let e = record.epsilon { line += String(format: ", ε %.4f", e) }
                    // The checkpoint is on disk before the round is reported closed.
                    if let checkpointURL {
                        do { try ReportWriter.writeJSON(checkpoint, to: checkpointURL) } catch {
                            Terminal.note("warning: cannot save the checkpoint: \(error)")
                        }
                    }
                    Terminal.note(line + String(format: " (%.1fs)", record.seconds))
                })
        } catch { throw CLIError("\(error)") }
        let tls = tlsDirectory.map { FederationTLS(directory: $0, name: "server") }
        let server: CoordinatorServer
        do {
            server = try CoordinatorServer(coordinator: coordinator, host: host, port: port, tls: tls) { Terminal.note($0) }
        } catch { throw CLIError(error.description) }
        let history: [CoordinatorRound] = try await withThrowingTaskGroup(of: [CoordinatorRound]?.self) { group in
            group.addTask { try await server.run(); return nil }
            group.addTask {
                for _ in 0..<200 {
                    if let p = try? await server.listeningPort() {
                        Terminal.note("coordinator listening on \(host):\(p) (\(tls == nil ? "plaintext, INSECURE" : "mutual TLS")) — \(start.name), \(config.rounds) rounds, \(config.secureAggregation == nil ? "\(rule)" : "\(secure.choice?.rawValue ?? "") sum")")
                        break
                    }
                    try await Task.sleep(for: .milliseconds(50))
                }
                let done = await coordinator.waitUntilDone()
                // Give polling clients a moment to hear DONE, then stop.
                try await Task.sleep(for: .seconds(3))
                server.stop()
                return done
            }
            var result: [CoordinatorRound] = []
            for try await r in group { if let r { result = r } }
            return result
        }
        if let out { try saver.save(await coordinator.globalWeights, to: out) }
        if json { try printJSON(history) }
    }
}

/// Builds, evaluates and saves the model a coordinator's weights belong to.
struct ModelSaver: Sendable {
    let start: TrainingStart
    let onnx: ONNXModel?
    let exampleShape: [Int]
    let dataset: String
    let classCount: Int
    let seed: UInt64

    init(prepared: TrainingDataPlan.Prepared, classCount: Int, seed: UInt64) {
        start = prepared.start
        onnx = prepared.onnx
        exampleShape = prepared.data.training.exampleShape
        dataset = prepared.data.description
        self.classCount = classCount
        self.seed = seed
    }

    func sequential() throws -> Sequential {
        guard case .zoo(let arch) = start else { throw CLIError("not a zoo model") }
        do { return try arch.makeModel(exampleShape: exampleShape, classCount: classCount, seed: seed) } catch {
            throw CLIError("--model \(arch.rawValue): \(error.message)")
        }
    }

    func initialWeights() throws -> ModelWeights {
        do {
            if let onnx { return try ModelWeights(model: onnx) }
            return try ModelWeights(model: try sequential())
        } catch let error as FederatedError { throw CLIError(error.description) }
    }

    func accuracy(_ weights: ModelWeights, on test: (Tensor, [Int])) -> Double? {
        if var onnx {
            guard (try? weights.apply(to: &onnx)) != nil else { return nil }
            return onnx.accuracy(test.0, labels: test.1)
        }
        guard var model = try? sequential(), (try? weights.apply(to: &model)) != nil else { return nil }
        return model.accuracy(test.0, labels: test.1)
    }

    func save(_ weights: ModelWeights, to path: String) throws {
        do {
            if var onnx {
                try weights.apply(to: &onnx)
                try ONNXExporter.write(onnx, to: URL(fileURLWithPath: path))
            } else {
                guard case .zoo(let arch) = start else { return }
                var model = try sequential()
                try weights.apply(to: &model)
                var provenance = ModelProvenance(architecture: arch, dataset: dataset, seed: seed)
                provenance.toolVersion = BulwarkVersion.current
                try ModelFile.save(model, provenance: provenance, to: path)
            }
            Terminal.note("global model → \(path)")
        } catch let error as CLIError { throw error } catch { throw CLIError("--out \(path): \(error)") }
    }
}
