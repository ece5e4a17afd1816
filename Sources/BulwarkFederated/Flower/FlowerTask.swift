import BulwarkData
import BulwarkTensor

/// What a Flower ServerApp asks a node to do with the global model: train on local data and
/// return an update, or evaluate it.
///
/// Read from either record layout a stock ServerApp sends: the Message API's (`flwr.serverapp`
/// strategies: an `ArrayRecord` — `arrays` — and a `ConfigRecord` — `config`, with
/// `server-round`) or the legacy one of `flwr.server.strategy` through its compatibility
/// workflow (`fitins.parameters` / `fitins.config`, `evaluateins.*`). The reply is written in the
/// same layout (see ``FlowerTaskResult``).
public struct FlowerTask: Sendable {
    /// Training or evaluation.
    public enum Kind: String, Sendable {
        /// Train the global model on local data and return the update (`train` messages).
        case train
        /// Evaluate the global model on local data (`evaluate` messages).
        case evaluate
        /// Return the local model's initial parameters (legacy `get_parameters` messages, which a
        /// legacy strategy without initial parameters sends to one node before round 1).
        case getParameters = "get_parameters"
    }

    /// Which record layout the ServerApp used.
    public enum Layout: Sendable, Equatable {
        /// The Message API: arrays and config under the given record names.
        case messageAPI(arrays: String, config: String?)
        /// The legacy `FitIns` / `EvaluateIns` records.
        case legacy
    }

    /// Training or evaluation.
    public var kind: Kind
    /// The global model: one tensor per array, named by the record's keys (`0`, `1`, … in the
    /// legacy layout), every value widened or narrowed to `Float`; empty for `getParameters`.
    public var weights: ModelWeights
    /// The round's configuration, in the order the ServerApp wrote it.
    public var config: [(name: String, value: FlowerConfigValue)]
    /// The record layout, kept so the reply matches it.
    public var layout: Layout
    /// The Flower run this task belongs to.
    public var runID: UInt64
    /// The message's group (Flower's round number, as text) when the ServerApp set one.
    public var groupID: String
    /// The numpy dtype of each incoming array, by name, so the reply can use the same.
    var dtypes: [String: DType]

    /// The server round from the configuration (`server-round` or legacy `server_round`), if any.
    public var round: Int? {
        for (name, value) in config where name == "server-round" || name == "server_round" {
            if let number = value.number { return Int(number) }
        }
        return Int(groupID)
    }

    /// The configuration value named `name`, if present.
    public func configValue(_ name: String) -> FlowerConfigValue? { config.first { $0.name == name }?.value }

    /// Reads a task from a message's type and content; throws `malformed` naming the record or
    /// array that is missing or unreadable, `invalidParameter` for a message type Bulwark does not
    /// handle.
    init(messageType: String, content: FlowerRecordDict, runID: UInt64, groupID: String) throws(FederatedError) {
        let base = messageType.split(separator: ".").first.map(String.init) ?? messageType
        guard let kind = Kind(rawValue: base) else {
            throw FederatedError(.invalidParameter, "Flower message type '\(messageType.prefix(60))' is not handled (train, evaluate and get_parameters are)")
        }
        self.kind = kind
        self.runID = runID
        self.groupID = groupID
        if kind == .getParameters {
            layout = .legacy
            if case .config(let c)? = content["getparametersins.config"] { config = c } else { config = [] }
            dtypes = [:]
            weights = try ModelWeights(tensors: [])
            return
        }
        let legacyPrefix = kind == .train ? "fitins" : "evaluateins"
        let arrays: [(name: String, array: FlowerArray)]
        if case .arrays(let legacyArrays)? = content["\(legacyPrefix).parameters"] {
            layout = .legacy
            arrays = legacyArrays.filter { $0.name != "empty-tensor" }
            if case .config(let c)? = content["\(legacyPrefix).config"] { config = c } else { config = [] }
        } else {
            guard let arrayItem = content.items.first(where: { if case .arrays = $0.record { true } else { false } }),
                  case .arrays(let found) = arrayItem.record else {
                throw FederatedError(.malformed, "Flower \(messageType) message has no ArrayRecord (the global model)")
            }
            let configItem = content.items.first { if case .config = $0.record { true } else { false } }
            layout = .messageAPI(arrays: arrayItem.name, config: configItem?.name)
            arrays = found
            if case .config(let c)? = configItem?.record { config = c } else { config = [] }
        }
        var tensors: [ModelWeights.Tensor] = []
        var dtypes: [String: DType] = [:]
        for (name, array) in arrays {
            let nd = try array.ndarray(name: name)
            dtypes[name] = nd.dtype
            let tensor: Tensor
            do { tensor = try nd.toTensor() } catch { throw FederatedError(.malformed, "Flower array \(name): \(error.message)") }
            tensors.append(.init(name: name, shape: nd.shape, values: tensor.scalars))
        }
        self.dtypes = dtypes
        weights = try ModelWeights(tensors: tensors)
    }
}

/// A node's answer to a ``FlowerTask``: the trained weights (for training), the number of
/// local examples that FedAvg weighs the update by, the loss and further metrics.
public struct FlowerTaskResult: Sendable {
    /// The updated model (training); ignored for evaluation.
    public var weights: ModelWeights?
    /// The examples trained or evaluated on: FedAvg's weight for this node.
    public var exampleCount: Int
    /// The mean loss over those examples.
    public var loss: Double
    /// Further metrics (`accuracy`, …), written after the loss and the example count.
    public var metrics: [(name: String, value: Double)]

    /// A result of `exampleCount` examples with `loss`, `metrics` and, for training, `weights`.
    public init(weights: ModelWeights?, exampleCount: Int, loss: Double, metrics: [(name: String, value: Double)] = []) {
        self.weights = weights
        self.exampleCount = exampleCount
        self.loss = loss
        self.metrics = metrics
    }

    /// The reply content for `task`, in its layout: Message API — `arrays` (training; the
    /// incoming record's name and keys) and `metrics` with `train_loss` or `eval_loss`, then the
    /// metrics, then `num-examples`; legacy — `fitres.parameters` / `fitres.num_examples` /
    /// `fitres.metrics` (`train_loss`, then the metrics) / `fitres.status` or the
    /// `evaluateres.*` records.
    func content(for task: FlowerTask) throws(FederatedError) -> FlowerRecordDict {
        if task.kind == .getParameters { return try parametersContent() }
        guard exampleCount > 0 else {
            throw FederatedError(.invalidParameter, "a Flower reply needs a positive example count, got \(exampleCount)")
        }
        var arrays: [(name: String, array: FlowerArray)] = []
        if task.kind == .train {
            guard let weights else { throw FederatedError(.invalidParameter, "a Flower training reply needs the trained weights") }
            guard weights.hasSameLayout(as: task.weights) else {
                throw FederatedError(.shapeMismatch, "trained weights do not have the names and shapes of the global model the ServerApp sent")
            }
            for tensor in weights.tensors {
                let array: NDArray
                do {
                    array = switch task.dtypes[tensor.name] ?? .float32 {
                    case .float64: try NDArray(shape: tensor.shape, storage: .float64(tensor.values.map(Double.init)))
                    default: try NDArray(shape: tensor.shape, storage: .float32(tensor.values))
                    }
                } catch { throw FederatedError(.shapeMismatch, "tensor \(tensor.name): \(error.message)") }
                var flower = FlowerArray(array)
                if task.layout == .legacy { flower.dtype = ""; flower.shape = [] }
                arrays.append((tensor.name, flower))
            }
        }
        let count = Int64(exampleCount)
        switch task.layout {
        case .messageAPI(let arrayName, _):
            var metricItems: [(name: String, value: FlowerMetricValue)] = [(task.kind == .train ? "train_loss" : "eval_loss", .double(loss))]
            metricItems += metrics.map { ($0.name, .double($0.value)) }
            metricItems.append(("num-examples", .int(count)))
            var items: [(name: String, record: FlowerRecord)] = []
            if task.kind == .train { items.append((arrayName, .arrays(arrays))) }
            items.append(("metrics", .metrics(metricItems)))
            return FlowerRecordDict(items)
        case .legacy:
            let metricConfig: [(name: String, value: FlowerConfigValue)] = metrics.map { ($0.name, .double($0.value)) }
            let status: FlowerRecord = .config([("code", .int(0)), ("message", .string("Success"))])
            if task.kind == .train {
                // FitRes has no loss of its own: it goes into the metrics, as train_loss.
                return FlowerRecordDict([
                    ("fitres.metrics", .config([("train_loss", .double(loss))] + metricConfig)),
                    ("fitres.num_examples", .metrics([("num_examples", .int(count))])),
                    ("fitres.parameters", .arrays(arrays)),
                    ("fitres.status", status),
                ])
            }
            return FlowerRecordDict([
                ("evaluateres.loss", .metrics([("loss", .double(loss))])),
                ("evaluateres.num_examples", .metrics([("num_examples", .int(count))])),
                ("evaluateres.metrics", .config(metricConfig)),
                ("evaluateres.status", status),
            ])
        }
    }

    /// The legacy `GetParametersRes`: the local model's arrays as float32 under `0`, `1`, … and
    /// a success status.
    private func parametersContent() throws(FederatedError) -> FlowerRecordDict {
        guard let weights, !weights.tensors.isEmpty else {
            throw FederatedError(.invalidParameter, "a Flower get_parameters reply needs the model's parameters")
        }
        var arrays: [(name: String, array: FlowerArray)] = []
        for (index, tensor) in weights.tensors.enumerated() {
            let array: NDArray
            do { array = try NDArray(shape: tensor.shape, storage: .float32(tensor.values)) } catch {
                throw FederatedError(.shapeMismatch, "tensor \(tensor.name): \(error.message)")
            }
            var flower = FlowerArray(array)
            flower.dtype = ""
            flower.shape = []
            arrays.append((String(index), flower))
        }
        return FlowerRecordDict([
            ("getparametersres.parameters", .arrays(arrays)),
            ("getparametersres.status", .config([("code", .int(0)), ("message", .string("Success"))])),
        ])
    }
}
