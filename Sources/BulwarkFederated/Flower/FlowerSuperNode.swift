import Foundation

/// A native Flower SuperNode: joins a Flower ≥ 1.40 federation through the SuperLink's Fleet
/// API (protobuf over HTTP), pulls the ServerApp's train and evaluate messages, hands each to
/// the caller's training closure and pushes the reply, so a stock ServerApp (FedAvg and the
/// other Message-API or legacy strategies) aggregates Bulwark's update with Python nodes'.
///
/// The node's lifecycle follows Flower's own: register its P-384 key (self-registered
/// identities only), activate (the SuperLink assigns the node id), heartbeat every 0.8 × the
/// declared interval, pull messages, pull each message's objects (checking every object's
/// SHA-256 id), confirm receipt, run the task, push the reply message and the objects the
/// SuperLink asks for; at the end deactivate and unregister. Every request is signed
/// (``FlowerNodeIdentity``) and bounded by the request timeout.
///
/// ```swift
/// let node = try FlowerSuperNode(configuration: .init(superlink: "127.0.0.1:9092"))
/// // let summary = try await node.run { task in
/// //     FlowerTaskResult(weights: task.weights, exampleCount: 100, loss: 0)
/// // }
/// _ = node
/// ```
public struct FlowerSuperNode: Sendable {
    /// How the node connects and when it stops.
    public struct Configuration: Sendable {
        /// The SuperLink's Fleet API: `host:port` (plain HTTP) or `http(s)://host:port`.
        public var superlink: String
        /// The node's key pair (a fresh, self-registered one by default).
        public var identity: FlowerNodeIdentity
        /// A PEM file of root certificates the SuperLink's TLS certificate must chain to (nil:
        /// the system's trust store for https addresses).
        public var rootCertificates: String?
        /// The limit on each HTTP request, in seconds.
        public var requestTimeoutSeconds: Double
        /// The pause between two polls of an empty message queue, in seconds.
        public var pollIntervalSeconds: Double
        /// The heartbeat interval the node declares to the SuperLink, in seconds (≥ 10).
        public var heartbeatIntervalSeconds: Double
        /// The limit on waiting for a message's objects to become available, in seconds.
        public var objectTimeoutSeconds: Double
        /// Stop after this many tasks (nil: no limit).
        public var maximumTasks: Int?
        /// Stop once the run of the tasks handled so far is no longer running (checked while idle).
        public var stopWhenRunFinishes: Bool
        /// Take part in Flower's SecAgg+ protocol (`SecAggPlusWorkflow`) when the ServerApp runs
        /// it. Off by default: SecAgg+ masks with numpy's Mersenne Twister seeded with 32 bits,
        /// Flower's own non-cryptographic generator, so a node opts in knowingly; without it, a
        /// SecAgg+ stage gets an error reply that says so.
        public var secAggPlus: Bool

        /// A configuration for `superlink` with Flower's defaults (30 s heartbeats).
        public init(superlink: String, identity: FlowerNodeIdentity = FlowerNodeIdentity(), rootCertificates: String? = nil,
                    requestTimeoutSeconds: Double = 30,
                    pollIntervalSeconds: Double = 1, heartbeatIntervalSeconds: Double = 30, objectTimeoutSeconds: Double = 120,
                    maximumTasks: Int? = nil, stopWhenRunFinishes: Bool = true, secAggPlus: Bool = false) {
            self.superlink = superlink
            self.identity = identity
            self.rootCertificates = rootCertificates
            self.requestTimeoutSeconds = requestTimeoutSeconds
            self.pollIntervalSeconds = pollIntervalSeconds
            self.heartbeatIntervalSeconds = heartbeatIntervalSeconds
            self.objectTimeoutSeconds = objectTimeoutSeconds
            self.maximumTasks = maximumTasks
            self.stopWhenRunFinishes = stopWhenRunFinishes
            self.secAggPlus = secAggPlus
        }
    }

    /// What happened during ``run(log:handler:)``.
    public struct Summary: Sendable, Codable {
        /// The node id the SuperLink assigned.
        public var nodeID: UInt64
        /// One entry per task handled: run, round (when known), kind, examples, seconds.
        public var tasks: [TaskRecord]
        /// Why the node stopped.
        public var stopReason: String
    }

    /// One handled task.
    public struct TaskRecord: Sendable, Codable {
        /// The Flower run.
        public var runID: UInt64
        /// The server round, when the ServerApp said.
        public var round: Int?
        /// `train` or `evaluate`, `secaggplus-STAGE` for a SecAgg+ stage (`…-collect_masked_vectors`
        /// is the training one), or `error` when the node replied with an error.
        public var kind: String
        /// The examples reported.
        public var exampleCount: Int
        /// The loss reported.
        public var loss: Double?
        /// Seconds spent in the training closure.
        public var seconds: Double
    }

    /// The training closure: the task in, the node's result out. An error it throws becomes a
    /// Flower error reply (the ServerApp counts the node as failed for that round).
    public typealias Handler = @Sendable (FlowerTask) async throws -> FlowerTaskResult

    let configuration: Configuration
    let client: FlowerFleetClient

    /// A node for `configuration`; throws `invalidParameter` for a bad address or timing.
    public init(configuration: Configuration) throws(FederatedError) {
        guard configuration.heartbeatIntervalSeconds >= 10, configuration.heartbeatIntervalSeconds <= 1800 else {
            throw FederatedError(.invalidParameter, "heartbeat interval must be within 10...1800 s (Flower's bounds), got \(configuration.heartbeatIntervalSeconds)")
        }
        guard configuration.pollIntervalSeconds > 0, configuration.objectTimeoutSeconds > 0 else {
            throw FederatedError(.invalidParameter, "poll interval and object timeout must be positive")
        }
        if let maximumTasks = configuration.maximumTasks, maximumTasks < 1 {
            throw FederatedError(.invalidParameter, "maximum tasks must be at least 1, got \(maximumTasks)")
        }
        self.configuration = configuration
        client = try FlowerFleetClient(superlink: configuration.superlink, identity: configuration.identity,
                                       timeoutSeconds: configuration.requestTimeoutSeconds, rootCertificates: configuration.rootCertificates)
    }

    /// Joins the federation and serves tasks until ``Configuration/maximumTasks`` are done, the
    /// run finishes (``Configuration/stopWhenRunFinishes``) or the surrounding task is
    /// cancelled; then leaves the federation. `log` receives one line per event.
    public func run(log: @escaping @Sendable (String) -> Void = { _ in }, handler: Handler) async throws(FederatedError) -> Summary {
        let result: Result<Summary, FederatedError>
        do throws(FederatedError) { result = .success(try await session(log: log, handler: handler)) } catch { result = .failure(error) }
        await client.shutdown()
        return try result.get()
    }

    func session(log: @escaping @Sendable (String) -> Void, handler: Handler) async throws(FederatedError) -> Summary {
        let key = Data(configuration.identity.publicKeyPEM.utf8)
        if configuration.identity.selfRegistered {
            var register = Flwr_Proto_RegisterNodeFleetRequest()
            register.publicKey = key
            _ = try await client.call("register-node", register, as: Flwr_Proto_RegisterNodeFleetResponse.self)
        }
        var activate = Flwr_Proto_ActivateNodeRequest()
        activate.publicKey = key
        activate.heartbeatInterval = configuration.heartbeatIntervalSeconds
        let nodeID = try await client.call("activate-node", activate, as: Flwr_Proto_ActivateNodeResponse.self).nodeID
        log("joined Flower federation at \(client.baseURL) as node \(nodeID)")
        var node = Flwr_Proto_Node()
        node.nodeID = nodeID

        let heartbeat = Task { [client, configuration] in
            var request = Flwr_Proto_SendNodeHeartbeatRequest()
            request.node = node
            request.heartbeatInterval = configuration.heartbeatIntervalSeconds
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: UInt64(configuration.heartbeatIntervalSeconds * 0.8 * 1e9))
                if Task.isCancelled { break }
                do {
                    let answer = try await client.call("send-node-heartbeat", request, as: Flwr_Proto_SendNodeHeartbeatResponse.self, timeoutSeconds: 5)
                    if !answer.success { log("heartbeat: the SuperLink does not recognise node \(nodeID)") }
                } catch let failure as FederatedError {
                    log("heartbeat failed: \(failure.message)")
                } catch {
                    log("heartbeat failed: \(error)")
                }
            }
        }

        var summary = Summary(nodeID: nodeID, tasks: [], stopReason: "")
        var outcome: Result<Void, FederatedError> = .success(())
        do throws(FederatedError) {
            summary.stopReason = try await serve(node: node, summary: &summary, log: log, handler: handler)
        } catch {
            // A request cut short by cancellation (Ctrl-C) is a clean stop, not a failure.
            if Task.isCancelled { summary.stopReason = "cancelled" } else { outcome = .failure(error) }
        }
        heartbeat.cancel()
        await leave(nodeID: nodeID, log: log)
        if case .failure(let error) = outcome { throw error }
        return summary
    }

    /// Deactivates (and for self-registered identities unregisters) the node, in a task of its
    /// own so that a cancelled caller still leaves cleanly.
    func leave(nodeID: UInt64, log: @escaping @Sendable (String) -> Void) async {
        let client = client
        let unregister = configuration.identity.selfRegistered
        await Task {
            var deactivate = Flwr_Proto_DeactivateNodeRequest()
            deactivate.nodeID = nodeID
            _ = try? await client.call("deactivate-node", deactivate, as: Flwr_Proto_DeactivateNodeResponse.self, timeoutSeconds: 5)
            if unregister {
                var request = Flwr_Proto_UnregisterNodeFleetRequest()
                request.nodeID = nodeID
                _ = try? await client.call("unregister-node", request, as: Flwr_Proto_UnregisterNodeFleetResponse.self, timeoutSeconds: 5)
            }
            log("left the Flower federation (node \(nodeID))")
        }.value
    }

    func serve(node: Flwr_Proto_Node, summary: inout Summary, log: @Sendable (String) -> Void,
               handler: Handler) async throws(FederatedError) -> String {
        var runs = Set<UInt64>()
        var secAggStates: [UInt64: FlowerSecAggPlusState] = [:]  // one SecAgg+ protocol state per run
        var lastRunCheck = Date.distantPast
        while true {
            if Task.isCancelled { return "cancelled" }
            var pull = Flwr_Proto_PullMessagesRequest()
            pull.node = node
            let pulled = try await client.call("pull-messages", pull, as: Flwr_Proto_PullMessagesResponse.self)
            guard let message = pulled.messagesList.first, let tree = pulled.messageObjectTrees.first else {
                if configuration.stopWhenRunFinishes, !runs.isEmpty, Date().timeIntervalSince(lastRunCheck) >= 3 {
                    lastRunCheck = Date()
                    if let finished = await finishedRun(runs, node: node) { return "run \(finished) finished" }
                }
                try? await Task.sleep(nanoseconds: UInt64(configuration.pollIntervalSeconds * 1e9))
                continue
            }
            runs.insert(message.metadata.runID)
            let record = try await handle(message, tree: tree, node: node, secAggStates: &secAggStates, log: log, handler: handler)
            summary.tasks.append(record)
            if let maximum = configuration.maximumTasks, summary.tasks.count >= maximum { return "handled \(maximum) task(s)" }
        }
    }

    /// The first of `runs` the SuperLink no longer reports as running, if any.
    func finishedRun(_ runs: Set<UInt64>, node: Flwr_Proto_Node) async -> UInt64? {
        for run in runs.sorted() {
            var request = Flwr_Proto_GetRunRequest()
            request.node = node
            request.runID = run
            do {
                let answer = try await client.call("get-run", request, as: Flwr_Proto_GetRunResponse.self)
                if answer.run.status.status == "finished" { return run }
            } catch where error.code == .superlinkRejected {
                return run  // the SuperLink refuses run requests once a run is no longer running
            } catch {
                continue
            }
        }
        return nil
    }

    /// Pulls one message's objects, runs the task and pushes the reply.
    func handle(_ message: Flwr_Proto_Message, tree: Flwr_Proto_ObjectTree, node: Flwr_Proto_Node,
                secAggStates: inout [UInt64: FlowerSecAggPlusState], log: @Sendable (String) -> Void,
                handler: Handler) async throws(FederatedError) -> TaskRecord {
        let metadata = message.metadata
        guard tree.objectID == metadata.messageID, FlowerObjects.isObjectID(tree.objectID) else {
            throw FederatedError(.malformed, "Flower message \(metadata.messageID.prefix(12)): its object tree is rooted elsewhere")
        }
        let objects = try await pullObjects(tree, runID: metadata.runID, node: node)
        var confirm = Flwr_Proto_ConfirmMessageReceivedRequest()
        confirm.node = node
        confirm.runID = metadata.runID
        confirm.messageObjectID = metadata.messageID
        _ = try await client.call("confirm-message-received", confirm, as: Flwr_Proto_ConfirmMessageReceivedResponse.self)

        let started = Date()
        var record = TaskRecord(runID: metadata.runID, round: Int(metadata.groupID), kind: "error", exampleCount: 0, loss: nil, seconds: 0)
        var content: FlowerRecordDict?
        var replyError: Flwr_Proto_Error?
        do throws(FederatedError) {
            guard let received = try FlowerObjects.inflateContent(messageID: metadata.messageID, objects: objects) else {
                throw FederatedError(.malformed, "Flower \(metadata.messageType) message carries no content")
            }
            if metadata.messageType.hasPrefix("train"), let stage = try FlowerSecAggPlusState.requestedStage(in: received) {
                content = try await secAggPlusStep(stage, content: received, metadata: metadata, states: &secAggStates,
                                                   record: &record, log: log, handler: handler)
            } else {
                let task = try FlowerTask(messageType: metadata.messageType, content: received, runID: metadata.runID, groupID: metadata.groupID)
                record.round = task.round
                log("run \(metadata.runID) round \(task.round.map(String.init) ?? "?"): \(task.kind.rawValue) on \(task.weights.tensors.count) tensors (\(task.weights.count) parameters)")
                let result = try await Self.run(task, handler: handler)
                content = try result.content(for: task)
                record.kind = task.kind.rawValue
                record.exampleCount = result.exampleCount
                record.loss = result.loss
            }
        } catch {
            log("replying with an error: \(error.message)")
            var flowerError = Flwr_Proto_Error()
            flowerError.code = 2  // Flower's CLIENT_APP_RAISED_EXCEPTION
            flowerError.reason = "Bulwark SuperNode: \(error.message)"
            replyError = flowerError
            content = nil
        }
        record.seconds = Date().timeIntervalSince(started)
        try await reply(to: metadata, content: content, error: replyError, node: node, runtime: record.seconds)
        return record
    }

    /// Runs the training closure on `task`, turning any error into a one-line `FederatedError`.
    static func run(_ task: FlowerTask, handler: Handler) async throws(FederatedError) -> FlowerTaskResult {
        do { return try await handler(task) } catch let failure as FederatedError {
            throw failure
        } catch {
            throw FederatedError(.invalidParameter, "training failed: \(FlowerFleetClient.oneLine(error))")
        }
    }

    /// One SecAgg+ stage of run `metadata.runID` (see ``FlowerSecAggPlusState``): checks the
    /// opt-in and the stage order, runs the stage (training at `collect_masked_vectors`) and
    /// returns the reply content; the run's state is kept only when the stage succeeds.
    func secAggPlusStep(_ stage: FlowerSecAggPlusState.Stage, content received: FlowerRecordDict, metadata: Flwr_Proto_Metadata,
                        states: inout [UInt64: FlowerSecAggPlusState], record: inout TaskRecord, log: @Sendable (String) -> Void,
                        handler: Handler) async throws(FederatedError) -> FlowerRecordDict {
        guard configuration.secAggPlus else {
            throw FederatedError(.invalidParameter, "the ServerApp runs Flower SecAgg+ (stage \(stage.rawValue)), which this node joins only when enabled "
                                 + "(bulwark fl client --flower-secaggplus; SecAgg+ masks with Flower's non-cryptographic generator)")
        }
        let recordName = FlowerSecAggPlusState.recordName
        guard case .config(let config)? = received[recordName] else {
            throw FederatedError(.malformed, "Flower SecAgg+: \(recordName) is not a ConfigRecord")
        }
        var state = states[metadata.runID] ?? FlowerSecAggPlusState()
        try state.checkTransition(to: stage)
        log("run \(metadata.runID) round \(metadata.groupID): SecAgg+ \(stage.rawValue)")
        var reply: FlowerRecordDict
        switch stage {
        case .setup:
            reply = FlowerRecordDict([(recordName, .config(try state.setup(config, nodeID: metadata.dstNodeID)))])
        case .shareKeys:
            reply = FlowerRecordDict([(recordName, .config(try state.shareKeys(config)))])
        case .collectMaskedVectors:
            let neighbours = try state.receiveShares(config)
            let instructions = FlowerRecordDict(received.items.filter { $0.name != recordName })
            let task = try FlowerTask(messageType: metadata.messageType, content: instructions, runID: metadata.runID, groupID: metadata.groupID)
            record.round = task.round
            log("run \(metadata.runID) round \(task.round.map(String.init) ?? "?"): train on \(task.weights.tensors.count) tensors (\(task.weights.count) parameters) for SecAgg+")
            let result = try await Self.run(task, handler: handler)
            guard let weights = result.weights else { throw FederatedError(.invalidParameter, "a Flower training reply needs the trained weights") }
            reply = try result.content(for: task)
            let masked = try state.maskedVectors(weights: weights, exampleCount: result.exampleCount, neighbours: neighbours)
            // As secaggplus_mod: the plain parameters are withheld, their records left empty.
            reply.items = reply.items.map { item in
                if case .arrays = item.record { (item.name, .arrays([])) } else { item }
            }
            reply.items.append((recordName, .config([("masked_params", .byteStrings(masked))])))
            record.exampleCount = result.exampleCount
            record.loss = result.loss
        case .unmask:
            reply = FlowerRecordDict([(recordName, .config(try state.unmask(config)))])
        }
        state.stage = stage
        states[metadata.runID] = state
        record.kind = "secaggplus-\(stage.rawValue)"
        return reply
    }

    /// Pulls every object of `tree` (children first), waiting for objects not yet available.
    func pullObjects(_ tree: Flwr_Proto_ObjectTree, runID: UInt64, node: Flwr_Proto_Node) async throws(FederatedError) -> [String: [UInt8]] {
        var ids: [String] = []
        var seen = Set<String>()
        func walk(_ tree: Flwr_Proto_ObjectTree, depth: Int) throws(FederatedError) {
            guard depth < 16 else { throw FederatedError(.malformed, "Flower object tree deeper than 16 levels") }
            for child in tree.children { try walk(child, depth: depth + 1) }
            if seen.insert(tree.objectID).inserted { ids.append(tree.objectID) }
        }
        try walk(tree, depth: 0)
        let deadline = Date().addingTimeInterval(configuration.objectTimeoutSeconds)
        var objects: [String: [UInt8]] = [:]
        for id in ids {
            guard FlowerObjects.isObjectID(id) else { throw FederatedError(.malformed, "Flower object id '\(id.prefix(70))' is not a SHA-256 hex digest") }
            var request = Flwr_Proto_PullObjectRequest()
            request.node = node
            request.runID = runID
            request.objectID = id
            while true {
                let answer = try await client.call("pull-object", request, as: Flwr_Proto_PullObjectResponse.self)
                guard answer.objectFound else { throw FederatedError(.superlinkRejected, "Flower SuperLink has no object \(id.prefix(12)) of run \(runID)") }
                if answer.objectAvailable {
                    let content = [UInt8](answer.objectContent)
                    guard FlowerObjects.objectID(content) == id.lowercased() else {
                        throw FederatedError(.malformed, "Flower object \(id.prefix(12)): content does not hash to its id")
                    }
                    objects[id] = content
                    break
                }
                guard Date() < deadline else {
                    throw FederatedError(.superlinkTimeout, "Flower object \(id.prefix(12)) not available within \(configuration.objectTimeoutSeconds) s")
                }
                try? await Task.sleep(nanoseconds: 100_000_000)
            }
        }
        return objects
    }

    /// Builds the reply to `incoming` (content or error), pushes the message and its objects.
    func reply(to incoming: Flwr_Proto_Metadata, content: FlowerRecordDict?, error: Flwr_Proto_Error?, node: Flwr_Proto_Node,
               runtime: Double) async throws(FederatedError) {
        let now = Date().timeIntervalSince1970
        var metadata = Flwr_Proto_Metadata()
        metadata.runID = incoming.runID
        metadata.srcNodeID = incoming.dstNodeID
        metadata.dstNodeID = incoming.srcNodeID
        metadata.replyToMessageID = incoming.messageID
        metadata.groupID = incoming.groupID
        metadata.createdAt = now
        metadata.ttl = incoming.createdAt + incoming.ttl - now
        metadata.messageType = incoming.messageType
        if incoming.hasDstTaskID { metadata.srcTaskID = incoming.dstTaskID }
        if incoming.hasSrcTaskID { metadata.dstTaskID = incoming.srcTaskID }
        guard metadata.ttl > 0 else {
            throw FederatedError(.superlinkTimeout, "Flower message \(incoming.messageID.prefix(12)) expired before its reply was ready")
        }
        let deflated = try FlowerObjects.deflateMessage(metadata: metadata, content: content, error: error)
        metadata.messageID = deflated.id
        var message = Flwr_Proto_Message()
        message.metadata = metadata
        if let error { message.error = error } else { message.content = Flwr_Proto_RecordDict() }
        var push = Flwr_Proto_PushMessagesRequest()
        push.node = node
        push.messagesList = [message]
        push.messageObjectTrees = [deflated.tree]
        push.clientappRuntimeList = [runtime]
        let answer = try await client.call("push-messages", push, as: Flwr_Proto_PushMessagesResponse.self)
        let wanted = Set(answer.objectsToPush)
        for object in deflated.all where wanted.contains(object.id) {
            var request = Flwr_Proto_PushObjectRequest()
            request.node = node
            request.runID = incoming.runID
            request.objectID = object.id
            request.objectContent = Data(object.content)
            request.sessionID = answer.sessionID
            let stored = try await client.call("push-object", request, as: Flwr_Proto_PushObjectResponse.self)
            guard stored.stored else {
                throw FederatedError(.superlinkRejected, "Flower SuperLink did not store object \(object.id.prefix(12)) of the reply")
            }
        }
    }
}
