import ArgumentParser
import BulwarkData
import BulwarkDP
import BulwarkFederated
import BulwarkModels
import BulwarkTensor
import Foundation

/// `bulwark fl client`: a client of Bulwark's own coordinator (`--coordinator`, gRPC with mutual
/// TLS) or a native Flower SuperNode (`--flower-superlink`) training a Bulwark model on local
/// data for a stock Flower ServerApp.
struct FederatedClient: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "client",
        abstract: "Join a federation (bulwark fl serve, or a Flower SuperLink) and train a model on local data that never leaves this machine.",
        discussion: """
        With --coordinator HOST:PORT the client joins Bulwark's own coordinator (bulwark fl \
        serve) over gRPC with mutual TLS: --tls-dir holds NAME.pem, NAME-key.pem and ca.pem \
        from bulwark fl certs (--name picks NAME; the certificate's common name is the client's \
        id), or --insecure with --name as the id for a plaintext experiment on one machine. The \
        coordinator hands out the global model, the local epochs, batch size, learning rate, \
        FedProx μ and a seed each round; the client trains on --data and sends only its update. \
        It retries an unreachable coordinator for --patience seconds, so it survives a restart. \
        When the coordinator sums securely (fl serve --secure-aggregation) the client takes \
        part in the protocol on its own: it checks every neighbour's signing key against the \
        federation's CA, masks its update and never sends it in the clear.

        With --flower-superlink:
        Connects to a Flower (≥ 1.40, tested with 1.42) SuperLink's Fleet API, which speaks \
        protobuf over HTTP, as a SuperNode with a fresh P-384 identity (or --auth-private-key on a \
        SuperLink started with --enable-supernode-auth). For each train message of the ServerApp \
        (Message-API strategies such as flwr.serverapp.strategy.FedAvg, or legacy fitins records) \
        the global model's arrays replace the model's parameters, in order and shape; the model \
        trains --epochs (or the config's local-epochs) on --data with SGD at --learning-rate (or \
        the config's lr); the trained arrays, train_loss and num-examples go back. Evaluate \
        messages return eval_loss, accuracy and num-examples. Only the model's parameters leave \
        this machine, never the data. The node leaves the federation when the run finishes, \
        after --max-tasks tasks, or on Ctrl-C. One line per task goes to stderr; a JSON summary \
        with --json.

        With --flower-secaggplus the node also takes part in Flower's SecAgg+ protocol when the \
        ServerApp runs SecAggPlusWorkflow (each of its four stages counts as a task): it sends \
        only its masked, quantised update, bit-compatible with Python nodes using \
        secaggplus_mod. SecAgg+ draws its masks from numpy's Mersenne Twister seeded with 32 \
        bits, Flower's own non-cryptographic generator, so it is opt-in; without the flag a \
        SecAgg+ stage is answered with an error saying so.

        Examples:
          bulwark fl client --coordinator localhost:9092 --tls-dir pki --name client-1 --data shard1.npz --model mlp
          bulwark fl client --flower-superlink 127.0.0.1:9091 --data x.npy --labels y.npy --model tabular
          bulwark fl client --flower-superlink https://superlink.example:9091 --data shard.npz --model mine.onnx --epochs 2
          bulwark fl client --flower-superlink 127.0.0.1:9091 --flower-secaggplus --data x.npy --labels y.npy --model tabular
        """
    )

    @Option(name: .customLong("flower-superlink"), help: "The Flower SuperLink's Fleet API: host:port (plain HTTP) or http(s)://host:port.")
    var flowerSuperlink: String?

    @Flag(name: .customLong("flower-secaggplus"), help: "With --flower-superlink: take part in Flower's SecAgg+ (SecAggPlusWorkflow), which masks with Flower's non-cryptographic generator.")
    var flowerSecAggPlus = false

    @Option(help: "Bulwark's coordinator (bulwark fl serve): HOST:PORT.")
    var coordinator: String?

    @Option(name: .customLong("tls-dir"), help: "With --coordinator: directory with NAME.pem, NAME-key.pem and ca.pem (bulwark fl certs).")
    var tlsDirectory: String?

    @Option(help: "With --coordinator: the certificate's name in --tls-dir (or, with --insecure, the client's id).")
    var name: String?

    @Flag(help: "With --coordinator: plaintext gRPC, for experiments on one machine only.")
    var insecure = false

    @Option(parsing: .unconditional, help: "With --coordinator: seconds to keep retrying an unreachable coordinator.")
    var patience: Double = 120

    @Option(name: .customLong("local-dp-noise"), parsing: .unconditional,
            help: "Local DP: clip each update to --local-dp-clip and add Gaussian noise of this multiplier before it leaves (ε reported per round).")
    var localDPNoise: Double?

    @Option(name: .customLong("local-dp-clip"), parsing: .unconditional, help: "Local DP: the L2 norm each update is clipped to.")
    var localDPClip: Double = 1

    @Option(name: .customLong("local-dp-delta"), parsing: .unconditional, help: "Local DP: δ of the reported ε.")
    var localDPDelta: Double = 1e-5

    @Option(name: .customLong("root-certificates"), help: "PEM root certificate(s) the SuperLink's TLS certificate must chain to (implies https).")
    var rootCertificates: String?

    @Option(help: "Local training examples: a .npy (with --labels) or a .npz holding inputs and labels.")
    var data: String

    @Option(help: "Integer class labels (.npy), when --data is a .npy file.")
    var labels: String?

    @Option(help: "The model: mlp, cnn (1×28×28, 10 classes), tabular, resnet (sized from the data) or an .onnx file.")
    var model: String = "tabular"

    @Option(help: "Number of classes (default: the largest label + 1; mlp and cnn: 10).")
    var classes: Int?

    @Option(help: "Local epochs per round, unless the ServerApp's config sets local-epochs.")
    var epochs: Int = 1

    @Option(name: .customLong("batch-size"), help: "Mini-batch size.")
    var batchSize: Int = 32

    @Option(name: .customLong("learning-rate"), parsing: .unconditional, help: "SGD learning rate, unless the ServerApp's config sets lr.")
    var learningRate: Float = 0.05

    @Option(help: "Seed of the local shuffling (each round adds its number).")
    var seed: UInt64 = 0

    @Option(name: .customLong("timeout"), parsing: .unconditional, help: "Seconds each request to the SuperLink may take.")
    var timeoutSeconds: Double = 30

    @Option(name: .customLong("max-tasks"), help: "Leave after this many train/evaluate tasks.")
    var maxTasks: Int?

    @Flag(name: .customLong("keep-running"), help: "Stay in the federation after the run finishes (wait for the next run).")
    var keepRunning = false

    @Option(name: .customLong("auth-private-key"), help: "PEM P-384 private key (ssh-keygen -t ecdsa -b 384 -m PEM) whose public key was registered with `flwr supernode register` on a SuperLink started with --enable-supernode-auth.")
    var authPrivateKey: String?

    @Flag(help: "Print the session summary as JSON on stdout.")
    var json = false

    func validate() throws {
        guard (flowerSuperlink != nil) != (coordinator != nil) else {
            throw ValidationError("give --coordinator HOST:PORT (bulwark fl serve) or --flower-superlink URL (a Flower SuperLink)")
        }
        if coordinator != nil {
            guard (tlsDirectory != nil) != insecure else { throw ValidationError("--coordinator needs --tls-dir DIR (mutual TLS) or --insecure") }
            guard name != nil else { throw ValidationError("--coordinator needs --name (the certificate's name in --tls-dir, or the id with --insecure)") }
            guard patience > 0, patience.isFinite else { throw ValidationError("--patience must be a positive number of seconds") }
        } else if tlsDirectory != nil || name != nil || insecure {
            throw ValidationError("--tls-dir, --name and --insecure go with --coordinator")
        }
        if flowerSecAggPlus, flowerSuperlink == nil { throw ValidationError("--flower-secaggplus goes with --flower-superlink") }
        if localDPNoise != nil { _ = try localDP() }
        guard epochs >= 1 else { throw ValidationError("--epochs must be at least 1") }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
        guard learningRate > 0, learningRate.isFinite else { throw ValidationError("--learning-rate must be a positive number") }
        guard timeoutSeconds > 0, timeoutSeconds.isFinite else { throw ValidationError("--timeout must be a positive number of seconds") }
        if let maxTasks, maxTasks < 1 { throw ValidationError("--max-tasks must be at least 1") }
        if let classes, classes < 2 { throw ValidationError("--classes must be at least 2") }
    }

    func run() async throws {
        configureNumerics()
        let identity: FlowerNodeIdentity
        if let authPrivateKey {
            guard let pem = try? String(contentsOfFile: authPrivateKey, encoding: .utf8) else { throw CLIError("\(authPrivateKey): cannot read the private key") }
            identity = try FlowerNodeIdentity(privateKeyPEM: pem)
        } else {
            identity = FlowerNodeIdentity()
        }
        let zoo = ZooArchitecture(rawValue: model)
        let fixedShape = zoo.map { !$0.isSizedFromData } ?? false
        let dataset: LabeledDataset
        do {
            dataset = try ArrayFiles.load(data: data, labels: labels, exampleShape: fixedShape ? [1, 28, 28] : nil,
                                          classCount: fixedShape ? 10 : classes)
        } catch { throw CLIError(error.message) }
        if let coordinator { return try await runWithCoordinator(coordinator, dataset: dataset, zoo: zoo) }
        guard let flowerSuperlink else { throw CLIError("give --coordinator or --flower-superlink") }
        let local = LocalTrainer(dataset: dataset, epochs: epochs, batchSize: batchSize, learningRate: learningRate, seed: seed,
                                 localDP: try localDP(), releases: SharedCounter())
        let configuration = FlowerSuperNode.Configuration(superlink: flowerSuperlink, identity: identity, rootCertificates: rootCertificates,
                                                          requestTimeoutSeconds: timeoutSeconds,
                                                          maximumTasks: maxTasks, stopWhenRunFinishes: !keepRunning,
                                                          secAggPlus: flowerSecAggPlus)
        let node = try FlowerSuperNode(configuration: configuration)
        let summary: FlowerSuperNode.Summary
        if let zoo {
            let built: Sequential
            do { built = try zoo.makeModel(exampleShape: dataset.exampleShape, classCount: classes ?? dataset.classCount, seed: seed) } catch {
                throw CLIError(error.message)
            }
            summary = try await serve(node, model: built, local: local)
        } else {
            guard model.hasSuffix(".onnx") else { throw CLIError("--model \(model): not one of mlp, cnn, tabular, resnet or an .onnx file") }
            let onnx: ONNXModel
            do { onnx = try ONNXModel(contentsOf: URL(fileURLWithPath: model)) } catch { throw CLIError("\(model): \(error.message)") }
            summary = try await serve(node, model: onnx, local: local)
        }
        if json { return try printJSON(summary) }
        let trained = summary.tasks.filter { $0.kind == "train" || $0.kind == "secaggplus-collect_masked_vectors" }.count
        let evaluated = summary.tasks.filter { $0.kind == "evaluate" }.count
        print("node \(summary.nodeID): \(trained) training and \(evaluated) evaluation task\(evaluated == 1 ? "" : "s") on \(dataset.count) local examples — \(summary.stopReason)")
    }

    /// The local-DP plan of `--local-dp-noise` (nil without it).
    func localDP() throws -> LocalDP? {
        guard let localDPNoise else { return nil }
        do { return try LocalDP(clipNorm: localDPClip, noiseMultiplier: localDPNoise, delta: localDPDelta) } catch {
            throw ValidationError(error.message)
        }
    }

    /// `--coordinator`: joins `bulwark fl serve` and trains until the federation is done.
    func runWithCoordinator(_ address: String, dataset: LabeledDataset, zoo: ZooArchitecture?) async throws {
        let tls = tlsDirectory.map { FederationTLS(directory: $0, name: name ?? "") }
        let id = insecure ? (name ?? "") : ""
        let rounds: Int
        if let zoo {
            let built: Sequential
            do { built = try zoo.makeModel(exampleShape: dataset.exampleShape, classCount: classes ?? dataset.classCount, seed: seed) } catch {
                throw CLIError(error.message)
            }
            rounds = try await CoordinatorMode.run(address: address, tls: tls, id: id, model: built, inputs: dataset.inputs, labels: dataset.labels,
                                                   timeout: timeoutSeconds, patience: patience, localDP: try localDP(), quiet: false)
        } else {
            let onnx: ONNXModel
            do { onnx = try ONNXModel(contentsOf: URL(fileURLWithPath: model)) } catch { throw CLIError("\(model): \(error.message)") }
            rounds = try await CoordinatorMode.run(address: address, tls: tls, id: id, model: onnx, inputs: dataset.inputs, labels: dataset.labels,
                                                   timeout: timeoutSeconds, patience: patience, localDP: try localDP(), quiet: false)
        }
        print("trained \(rounds) round\(rounds == 1 ? "" : "s") on \(dataset.count) local examples; the federation is done")
    }

    /// Runs the node with `model`, cancelling it cleanly on SIGINT / SIGTERM.
    func serve<Model: TrainableModel>(_ node: FlowerSuperNode, model: Model, local: LocalTrainer) async throws -> FlowerSuperNode.Summary {
        let session = Task { () async throws -> FlowerSuperNode.Summary in
            try await node.run(log: { Terminal.note($0) }) { task in try local.handle(task, model: model) }
        }
        let signals = [SIGINT, SIGTERM].map { number -> any DispatchSourceSignal in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { session.cancel() }
            source.resume()
            return source
        }
        defer { signals.forEach { $0.cancel() } }
        do { return try await session.value } catch let error as FederatedError { throw CLIError(error.message) }
    }
}

/// Trains and evaluates a model on the node's local data for Flower tasks.
struct LocalTrainer: Sendable {
    let dataset: LabeledDataset
    let epochs: Int
    let batchSize: Int
    let learningRate: Float
    let seed: UInt64
    /// Local DP applied to each trained update before it leaves (nil: none).
    let localDP: LocalDP?
    /// Updates released so far (for the local-DP ε).
    let releases: SharedCounter

    func handle<Model: TrainableModel>(_ task: FlowerTask, model base: Model) throws -> FlowerTaskResult {
        var model = base
        if task.kind != .getParameters { model.parameters = try Self.parameters(from: task.weights, for: model) }
        switch task.kind {
        case .getParameters:
            // A legacy strategy without initial parameters starts from this node's model.
            let tensors = model.parameters.enumerated().map { ModelWeights.Tensor(name: String($0.offset), shape: $0.element.shape, values: $0.element.scalars) }
            Terminal.note("get_parameters: sent the local model's \(tensors.count) arrays as the initial global model")
            return FlowerTaskResult(weights: try ModelWeights(tensors: tensors), exampleCount: dataset.count, loss: 0)
        case .train:
            let rate = task.configValue("lr")?.number.map(Float.init) ?? learningRate
            let localEpochs = task.configValue("local-epochs")?.number.map(Int.init) ?? epochs
            guard rate > 0, rate.isFinite, localEpochs >= 1, localEpochs <= 1000 else {
                throw CLIError("ServerApp config: lr \(rate) or local-epochs \(localEpochs) out of range")
            }
            var optimizer = SGD(learningRate: rate)
            let configuration = TrainingConfiguration(epochs: localEpochs, batchSize: batchSize, seed: seed &+ UInt64(task.round ?? 0))
            let summaries = train(&model, inputs: dataset.inputs, labels: dataset.labels, optimizer: &optimizer, configuration: configuration)
            let loss = summaries.last?.loss ?? .nan
            guard loss.isFinite else { throw CLIError("local training diverged (loss \(loss)); lower the learning rate") }
            var trained = model.parameters.flatMap(\.scalars)
            if let localDP {
                let global = task.weights.flattened
                var random = DPRandomSource(.secure)
                let noised = localDP.privatize(zip(trained, global).map { $0 - $1 }, using: &random)
                trained = zip(global, noised).map { $0 + $1 }
                let released = releases.increment()
                Terminal.note(String(format: "local DP: update clipped to %g and noised (σ = %g); ε = %.4f at δ = %g after %d release(s)",
                                     localDP.clipNorm, localDP.noiseMultiplier, try localDP.epsilon(afterRounds: released), localDP.delta, released))
            }
            let weights = try task.weights.replacing(with: trained)
            Terminal.note(String(format: "round %@: trained %d epoch%@ on %d examples, loss %.4f", task.round.map(String.init) ?? "?",
                                 localEpochs, localEpochs == 1 ? "" : "s", dataset.count, loss))
            return FlowerTaskResult(weights: weights, exampleCount: dataset.count, loss: loss)
        case .evaluate:
            let (loss, accuracy) = Self.evaluate(model, dataset)
            Terminal.note(String(format: "round %@: evaluated on %d examples, loss %.4f, accuracy %.4f", task.round.map(String.init) ?? "?",
                                 dataset.count, loss, accuracy))
            return FlowerTaskResult(weights: nil, exampleCount: dataset.count, loss: loss, metrics: [("accuracy", accuracy)])
        }
    }

    /// The global model's tensors as `model`'s parameters: same count and shapes, in order.
    static func parameters<Model: TrainableModel>(from weights: ModelWeights, for model: Model) throws -> [Tensor] {
        let current = model.parameters
        guard weights.tensors.count == current.count else {
            throw CLIError("the ServerApp's model has \(weights.tensors.count) arrays, this model has \(current.count) parameters (\(model.parameterNames.prefix(4).joined(separator: ", "))…): use the same architecture on both sides")
        }
        return try zip(weights.tensors, zip(model.parameterNames, current)).map { tensor, named in
            guard tensor.shape == named.1.shape else {
                throw CLIError("ServerApp array '\(tensor.name)' has shape \(tensor.shape), parameter \(named.0) has \(named.1.shape)")
            }
            return Tensor(shape: tensor.shape, scalars: tensor.values)
        }
    }

    /// Mean cross-entropy and accuracy of `model` on `dataset`, in batches of 256.
    static func evaluate(_ model: some DifferentiableClassifier, _ dataset: LabeledDataset) -> (loss: Double, accuracy: Double) {
        var lossSum = 0.0, correct = 0
        var start = 0
        while start < dataset.count {
            let rows = Array(start..<min(dataset.count, start + 256))
            let logits = model.logits(dataset.inputs.gatherRows(rows))
            let classes = logits.shape.last ?? 1
            for (r, row) in rows.enumerated() {
                let z = logits.scalars[(r * classes)..<((r + 1) * classes)]
                let top = z.max() ?? 0
                let logSum = Double(top) + log(z.reduce(0.0) { $0 + exp(Double($1 - top)) })
                let label = dataset.labels[row]
                lossSum += logSum - Double(z[z.startIndex + label])
                if z.firstIndex(of: top).map({ $0 - z.startIndex }) == label { correct += 1 }
            }
            start += 256
        }
        let n = Double(max(dataset.count, 1))
        return (lossSum / n, Double(correct) / n)
    }
}

