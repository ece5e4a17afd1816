public import Foundation
import Crypto
import GRPCCore
import GRPCNIOTransportHTTP2
import GRPCProtobuf
import SwiftASN1
import SwiftProtobuf
import X509

/// The certificates and key of one party of a mutually authenticated federation, as PEM files.
public struct FederationTLS: Sendable, Equatable {
    /// This party's certificate (PEM).
    public var certificate: String
    /// This party's private key (PEM).
    public var privateKey: String
    /// The CA that signed every party's certificate (PEM).
    public var certificateAuthority: String

    /// The files at these paths.
    public init(certificate: String, privateKey: String, certificateAuthority: String) {
        self.certificate = certificate
        self.privateKey = privateKey
        self.certificateAuthority = certificateAuthority
    }

    /// The three files of `directory` written by `bulwark fl certs` for `name` (`server`,
    /// `client-1`, …): `NAME.pem`, `NAME-key.pem` and `ca.pem`.
    public init(directory: String, name: String) {
        let dir = URL(fileURLWithPath: directory)
        self.init(certificate: dir.appendingPathComponent("\(name).pem").path, privateKey: dir.appendingPathComponent("\(name)-key.pem").path,
                  certificateAuthority: dir.appendingPathComponent("ca.pem").path)
    }

    func checkReadable() throws(FederatedError) {
        for path in [certificate, privateKey, certificateAuthority] where !FileManager.default.isReadableFile(atPath: path) {
            throw FederatedError(.io, "\(path): cannot read (make the federation's certificates with `bulwark fl certs`)")
        }
    }
}

enum CoordinatorMethods {
    static let service = "bulwark.federated.v1.Coordinator"
    static let join = MethodDescriptor(fullyQualifiedService: service, method: "Join")
    static let getTask = MethodDescriptor(fullyQualifiedService: service, method: "GetTask")
    static let submitUpdate = MethodDescriptor(fullyQualifiedService: service, method: "SubmitUpdate")
    static let secureAggregate = MethodDescriptor(fullyQualifiedService: service, method: "SecureAggregate")
}

/// The coordinator's gRPC service: maps the three RPCs onto a ``FederatedCoordinator`` and
/// takes each client's identity from its certificate (mutual TLS), or from the join request
/// when the server runs without TLS (a local experiment).
struct CoordinatorService: RegistrableRPCService {
    let coordinator: FederatedCoordinator
    let tls: Bool
    let log: @Sendable (String) -> Void

    func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
        let coordinator = coordinator, tls = tls, log = log
        router.registerHandler(forMethod: CoordinatorMethods.join, deserializer: ProtobufDeserializer<Bulwark_Federated_V1_JoinRequest>(),
                               serializer: ProtobufSerializer<Bulwark_Federated_V1_JoinReply>()) { request, context in
            let message = try await ServerRequest(stream: request).message
            let id = try Self.identity(context: context, tls: tls, requested: message.requestedID)
            var credentials: SecureAggregationEndorsement.Credentials?
            if !message.signingKey.isEmpty {
                // Peers get the certificate of the TLS handshake, not one the client names.
                let certificate = Self.peerCertificate(context).flatMap(SecureAggregationEndorsement.der) ?? Data()
                if tls, let peer = Self.peerCertificate(context),
                   !SecureAggregationEndorsement.isValid(message.endorsement, signingKey: message.signingKey, client: id, certificate: peer) {
                    throw RPCError(code: .invalidArgument, message: "the signing key is not endorsed by the client's certificate key")
                }
                credentials = .init(signingKey: message.signingKey, endorsement: message.endorsement, certificate: certificate)
            }
            let weights: ModelWeights
            do { weights = try await coordinator.join(client: id, examples: Int(clamping: message.exampleCount), credentials: credentials) } catch {
                throw RPCError(code: .invalidArgument, message: "\(error)")
            }
            log("client \(id) joined with \(message.exampleCount) examples (\(message.agent.prefix(80)))")
            var reply = Bulwark_Federated_V1_JoinReply()
            reply.clientID = id
            reply.federation = coordinator.configuration.federation
            reply.layout = WireCodec.message(weights, values: false)
            reply.rounds = Int32(clamping: coordinator.configuration.rounds)
            return StreamingServerResponse(single: ServerResponse(message: reply))
        }
        router.registerHandler(forMethod: CoordinatorMethods.getTask, deserializer: ProtobufDeserializer<Bulwark_Federated_V1_TaskRequest>(),
                               serializer: ProtobufSerializer<Bulwark_Federated_V1_Task>()) { request, context in
            let message = try await ServerRequest(stream: request).message
            let id = try Self.identity(context: context, tls: tls, requested: message.clientID)
            var task: FederatedCoordinator.Task
            do {
                // Long poll: a client told to wait is held (up to 2 s) until a round opens, reopens
                // or closes, so it hears of the next round at once instead of after its retry delay.
                task = try await coordinator.task(for: id, lastRound: Int(message.lastRound))
                let until = Date().addingTimeInterval(2)
                while case .wait = task, Date() < until {
                    await coordinator.waitForRoundChange(timeout: until.timeIntervalSinceNow)
                    task = try await coordinator.task(for: id, lastRound: Int(message.lastRound))
                }
            } catch let error as FederatedError {
                throw RPCError(code: .failedPrecondition, message: "\(error)")
            }
            var reply = Bulwark_Federated_V1_Task()
            switch task {
            case .done:
                reply.kind = .done
            case .wait(let after):
                reply.kind = .wait
                reply.retryAfterMs = Int32(after * 1000)
            case let .train(round, weights, local, seed, deadline, secure):
                if let secure { reply.secureAggregation = WireCodec.message(secure) }
                reply.kind = .train
                reply.round = Int32(round)
                reply.weights = WireCodec.message(weights)
                var config = Bulwark_Federated_V1_LocalTrainingConfig()
                config.epochs = Int32(local.epochs)
                config.batchSize = Int32(local.batchSize)
                config.learningRate = local.learningRate
                config.proximalMu = local.proximalMu
                config.seed = seed
                reply.training = config
                reply.deadlineUnixMs = Int64(deadline.timeIntervalSince1970 * 1000)
                log("round \(round): task sent to \(id)")
            }
            return StreamingServerResponse(single: ServerResponse(message: reply))
        }
        router.registerHandler(forMethod: CoordinatorMethods.submitUpdate, deserializer: ProtobufDeserializer<Bulwark_Federated_V1_Update>(),
                               serializer: ProtobufSerializer<Bulwark_Federated_V1_UpdateReply>()) { request, context in
            let message = try await ServerRequest(stream: request).message
            let id = try Self.identity(context: context, tls: tls, requested: message.clientID)
            var reply = Bulwark_Federated_V1_UpdateReply()
            do {
                let delta = try WireCodec.floats(message.delta, what: "update")
                let (accepted, reason, retry) = await coordinator.submit(client: id, round: Int(message.round), delta: delta,
                                                                         examples: Int(clamping: message.exampleCount))
                reply.accepted = accepted
                reply.reason = reason
                reply.retry = retry
            } catch {
                reply.accepted = false
                reply.reason = "\(error)"
            }
            log("round \(message.round): update from \(id) " + (reply.accepted ? "accepted" : "refused: \(reply.reason)"))
            return StreamingServerResponse(single: ServerResponse(message: reply))
        }
        router.registerHandler(forMethod: CoordinatorMethods.secureAggregate,
                               deserializer: ProtobufDeserializer<Bulwark_Federated_V1_SecureAggregationStep>(),
                               serializer: ProtobufSerializer<Bulwark_Federated_V1_SecureAggregationReply>()) { request, context in
            let message = try await ServerRequest(stream: request).message
            let id = try Self.identity(context: context, tls: tls, requested: message.clientID)
            let download: SecureAggregationDownload
            do {
                // The sender's number is the coordinator's to know; the upload is checked against it.
                let number = await coordinator.secureNumber(of: id, round: Int(message.round), roundID: message.roundID) ?? -1
                let upload = try WireCodec.upload(message, number: number)
                download = await coordinator.secureStep(client: id, round: Int(message.round), roundID: message.roundID, upload: upload)
            } catch {
                download = .aborted((error as? FederatedError)?.message ?? "\(error)")
            }
            if case .aborted(let reason) = download { log("round \(message.round): secure aggregation without \(id): \(reason)") }
            return StreamingServerResponse(single: ServerResponse(message: WireCodec.message(download)))
        }
    }

    static func peerCertificate(_ context: ServerContext) -> Certificate? {
        (context.transportSpecific as? HTTP2ServerTransport.Posix.Context)?.peerCertificate
    }

    /// The client's id: the common name of its certificate under mutual TLS, else the id it asked for.
    static func identity(context: ServerContext, tls: Bool, requested: String) throws -> String {
        if tls {
            guard let peer = (context.transportSpecific as? HTTP2ServerTransport.Posix.Context)?.peerCertificate,
                  let name = peer.subject.commonName else {
                throw RPCError(code: .unauthenticated, message: "no client certificate with a common name")
            }
            return name
        }
        let id = requested.trimmingCharacters(in: .whitespaces)
        guard !id.isEmpty, id.count <= 64, id.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
            throw RPCError(code: .invalidArgument, message: "without TLS a client must name itself (letters, digits, - _ .; at most 64)")
        }
        return id
    }
}

extension DistinguishedName {
    /// The first common name (CN) attribute, if any.
    var commonName: String? {
        for rdn in self {
            for attribute in rdn where attribute.type == .RDNAttributeType.commonName {
                return attribute.value.description
            }
        }
        return nil
    }
}

/// `bulwark fl serve`'s gRPC server: a ``FederatedCoordinator`` behind HTTP/2 with mutual TLS
/// (every client needs a certificate signed by the federation's CA; its common name is its id).
public struct CoordinatorServer: Sendable {
    /// The coordinator served.
    public let coordinator: FederatedCoordinator
    private let server: GRPCServer<HTTP2ServerTransport.Posix>

    /// A server for `coordinator` on `host`:`port` (0: any free port) with `tls` (nil: plaintext,
    /// for local experiments only). `log` receives one line per event.
    public init(coordinator: FederatedCoordinator, host: String, port: Int, tls: FederationTLS?,
                log: @escaping @Sendable (String) -> Void = { _ in }) throws(FederatedError) {
        self.coordinator = coordinator
        let security: HTTP2ServerTransport.Posix.TransportSecurity
        if let tls {
            try tls.checkReadable()
            security = .mTLS(certificateChain: [.file(path: tls.certificate, format: .pem)], privateKey: .file(path: tls.privateKey, format: .pem)) {
                $0.trustRoots = .certificates([.file(path: tls.certificateAuthority, format: .pem)])
                $0.clientCertificateVerification = .noHostnameVerification
            }
        } else {
            security = .plaintext
        }
        let transport = HTTP2ServerTransport.Posix(address: .ipv4(host: host, port: port), transportSecurity: security,
                                                   config: .defaults { $0.rpc.maxRequestPayloadSize = 1 << 30 })
        server = GRPCServer(transport: transport, services: [CoordinatorService(coordinator: coordinator, tls: tls != nil, log: log)])
    }

    /// Serves until ``stop()``; also closes rounds whose deadline passed, once a second.
    public func run() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.serve() }
            group.addTask {
                while !Task.isCancelled {
                    try await Task.sleep(for: .seconds(1))
                    await coordinator.tick()
                }
            }
            try await group.next()
            group.cancelAll()
        }
    }

    /// The port the server listens on, once it does.
    public func listeningPort() async throws -> Int? {
        try await server.listeningAddress?.ipv4?.port
    }

    /// Stops accepting connections and lets running calls finish.
    public func stop() { server.beginGracefulShutdown() }
}

extension CoordinatorClient {
    enum SecureOutcome { case finished(loss: Double), aborted(String) }

    /// One secure round from the client's side: check the participants' keys, then the four
    /// phases through `step`. Key advertisement and share exchange do not depend on the update
    /// (Bonawitz et al., rounds 0 and 1), so they run while the model trains and cost the round
    /// almost nothing; only the masked input and unmasking follow training. A participant whose
    /// key fails its check ends the round for this client (`verificationFailed`), since the
    /// coordinator may be substituting keys.
    static func secureRound(_ assignment: SecureAggregationAssignment, weights: ModelWeights, authority: Certificate?,
                            signingKey: Curve25519.Signing.PrivateKey,
                            train: @escaping @Sendable () throws -> (delta: [Float], loss: Double),
                            step: (SecureAggregationUpload) async throws -> SecureAggregationDownload,
                            log: (String) -> Void) async throws -> SecureOutcome {
        let configuration = try assignment.configuration(vectorLength: weights.count)
        guard assignment.participants[assignment.number].credentials.signingKey == signingKey.publicKey.rawRepresentation else {
            throw FederatedError(.verificationFailed, "the coordinator lists another signing key for this client: it is substituting keys")
        }
        var peers: [Int: Curve25519.Signing.PublicKey] = [:]
        for neighbour in configuration.neighbours(of: assignment.number) {
            let participant = assignment.participants[neighbour]
            peers[neighbour] = try SecureAggregationEndorsement.verifiedKey(of: participant.id, participant.credentials, parsedAuthority: authority)
        }
        if authority == nil { log("secure aggregation without TLS: the coordinator vouches for the peers' keys") }
        var protocolClient = try SecureAggregationClient(index: assignment.number, configuration: configuration, signingKey: signingKey,
                                                         peerSigningKeys: peers)
        let advertisement = try protocolClient.advertiseKeys()
        // The keys are out before training takes the CPU: every phase waits for its slowest client.
        let training = Task { try train() }
        // Whatever ends the round early lets training finish first, so rounds never overlap.
        func abandon(_ reason: String) async -> SecureOutcome {
            _ = try? await training.value
            return .aborted(reason)
        }
        let advertised = try await step(.advertise(advertisement))
        guard case .directory(let directory) = advertised else { return await abandon(why(advertised)) }
        let routedAnswer = try await step(.shares(try protocolClient.shareKeys(directory)))
        guard case .routed(let routed) = routedAnswer else { return await abandon(why(routedAnswer)) }
        var (delta, loss) = try await training.value
        // DP-FedAvg: the coordinator sees only the sum, so the client clips its own update.
        if let clipNorm = assignment.clipNorm { delta = clipped(delta, toNorm: clipNorm).values }
        let requestAnswer = try await step(.maskedInput(try protocolClient.maskedInput(delta, shares: routed)))
        guard case .unmaskingRequest(let request) = requestAnswer else { return .aborted(why(requestAnswer)) }
        let last = try await step(.unmasking(try protocolClient.unmask(request)))
        guard case .finished = last else { return .aborted(why(last)) }
        return .finished(loss: loss)
    }

    private static func why(_ answer: SecureAggregationDownload) -> String {
        if case .aborted(let reason) = answer { return reason }
        return "the coordinator answered out of turn"
    }
}

/// `bulwark fl client`'s side of Bulwark's own coordinator: join, poll for tasks, train, submit,
/// until the federation is done — retrying with backoff when the coordinator is unreachable, so
/// a client survives a coordinator restart (the coordinator resumes from its checkpoint).
public struct CoordinatorClient: Sendable {
    /// Where the coordinator listens.
    public var host: String, port: Int
    /// The client's certificates (nil: plaintext, local experiments only).
    public var tls: FederationTLS?
    /// The id asked for when there is no TLS (with TLS the certificate names the client).
    public var requestedID: String
    /// Seconds a single call may take.
    public var callTimeout: Double
    /// Seconds the client keeps retrying an unreachable coordinator before giving up.
    public var patience: Double

    /// A client for `host`:`port`.
    public init(host: String, port: Int, tls: FederationTLS?, requestedID: String = "", callTimeout: Double = 60, patience: Double = 120) {
        self.host = host
        self.port = port
        self.tls = tls
        self.requestedID = requestedID
        self.callTimeout = callTimeout
        self.patience = patience
    }

    /// What the client did in one round.
    public struct RoundDone: Sendable {
        /// The round.
        public var round: Int
        /// Whether the coordinator accepted the update, and why not.
        public var accepted: Bool, reason: String
        /// The local training loss.
        public var loss: Double
    }

    /// Joins with `examples` examples and runs every task until the federation is done.
    /// `train` gets the global weights, the local settings and a seed and returns the update
    /// (client minus global, flattened) with its loss; `progress` sees each finished round.
    /// - Throws: ``FederatedError``: the coordinator stayed unreachable past ``patience``, or
    ///   refused the client (unknown certificate, malformed answer).
    public func run(examples: Int, agent: String = "bulwark",
                    train: @escaping @Sendable (ModelWeights, LocalTraining, UInt64) throws -> (delta: [Float], loss: Double),
                    log: @escaping @Sendable (String) -> Void = { _ in }, progress: @escaping @Sendable (RoundDone) -> Void = { _ in }) async throws {
        let security: HTTP2ClientTransport.Posix.TransportSecurity
        if let tls {
            try tls.checkReadable()
            security = .mTLS(certificateChain: [.file(path: tls.certificate, format: .pem)], privateKey: .file(path: tls.privateKey, format: .pem)) {
                $0.trustRoots = .certificates([.file(path: tls.certificateAuthority, format: .pem)])
            }
        } else {
            security = .plaintext
        }
        let transport = try HTTP2ClientTransport.Posix(target: .dns(host: host, port: port), transportSecurity: security,
                                                       config: .defaults { $0.connection.maxIdleTime = nil })
        var options = CallOptions.defaults
        options.timeout = .milliseconds(Int64(callTimeout * 1000))
        options.maxRequestMessageBytes = 1 << 30
        options.maxResponseMessageBytes = 1 << 30
        let calls = options, patience = patience, requestedID = requestedID, callTimeout = callTimeout
        // Secure aggregation: a long-term signing key for this session, endorsed by the
        // certificate's key so that peers can tell the coordinator did not substitute it.
        let signingKey = Curve25519.Signing.PrivateKey()
        var endorsement = Data(), authority: Certificate?
        if let tls {
            guard let certificatePEM = try? String(contentsOfFile: tls.certificate, encoding: .utf8),
                  let keyPEM = try? String(contentsOfFile: tls.privateKey, encoding: .utf8),
                  let caPEM = try? String(contentsOfFile: tls.certificateAuthority, encoding: .utf8),
                  let own = try? Certificate(pemEncoded: certificatePEM), let name = own.subject.commonName else {
                throw FederatedError(.io, "\(tls.certificate): cannot read the client's certificate, key and CA")
            }
            endorsement = (try? SecureAggregationEndorsement.endorse(signingKey.publicKey, client: name, privateKeyPEM: keyPEM)) ?? Data()
            // Parsed once: every secure round checks its neighbours against it.
            authority = try SecureAggregationEndorsement.parseAuthority(caPEM)
        }
        try await withGRPCClient(transport: transport) { client in
            func call<Request: SwiftProtobuf.Message & Sendable, Response: SwiftProtobuf.Message & Sendable>(
                _ method: MethodDescriptor, _ request: Request, as: Response.Type, timeout: Double? = nil) async throws -> Response {
                let start = Date()
                var delay = 0.25
                var options = calls
                if let timeout { options.timeout = .milliseconds(Int64(max(timeout, callTimeout) * 1000)) }
                while true {
                    do {
                        return try await client.unary(request: ClientRequest(message: request), descriptor: method,
                                                      serializer: ProtobufSerializer<Request>(), deserializer: ProtobufDeserializer<Response>(),
                                                      options: options) { try $0.message }
                    } catch let error as RPCError where error.code == .unavailable || error.code == .deadlineExceeded {
                        guard Date().timeIntervalSince(start) < patience else {
                            throw FederatedError(.io, "coordinator unreachable for \(Int(patience)) s: \(error.message)")
                        }
                        log("coordinator unreachable; retrying in \(delay) s")
                        try await Task.sleep(for: .milliseconds(Int64(delay * 1000)))
                        delay = min(delay * 2, 5)
                    } catch let error as RPCError {
                        throw FederatedError(.malformed, "coordinator refused \(method.method): \(error.message)")
                    }
                }
            }
            var join = Bulwark_Federated_V1_JoinRequest()
            join.exampleCount = Int64(examples)
            join.agent = agent
            join.requestedID = requestedID
            join.signingKey = signingKey.publicKey.rawRepresentation
            join.endorsement = endorsement
            let joined = try await call(CoordinatorMethods.join, join, as: Bulwark_Federated_V1_JoinReply.self)
            let id = joined.clientID
            log("joined \(joined.federation) as \(id) for \(joined.rounds) rounds")
            var lastRound = 0
            while true {
                var ask = Bulwark_Federated_V1_TaskRequest()
                ask.clientID = id
                ask.lastRound = Int32(lastRound)
                let task: Bulwark_Federated_V1_Task
                do {
                    task = try await call(CoordinatorMethods.getTask, ask, as: Bulwark_Federated_V1_Task.self)
                } catch let error as FederatedError where error.message.contains("has not joined") {
                    // The coordinator restarted and forgot its clients: join again and carry on.
                    _ = try await call(CoordinatorMethods.join, join, as: Bulwark_Federated_V1_JoinReply.self)
                    continue
                }
                switch task.kind {
                case .done:
                    log("federation done")
                    return
                case .train:
                    let weights = try WireCodec.weights(task.weights, what: "global model")
                    let local = LocalTraining(epochs: Int(task.training.epochs), batchSize: Int(task.training.batchSize),
                                              learningRate: task.training.learningRate, proximalMu: task.training.proximalMu)
                    try local.validate()
                    if task.hasSecureAggregation {
                        let assignment = try WireCodec.assignment(task.secureAggregation)
                        let deadline = Date(timeIntervalSince1970: Double(task.deadlineUnixMs) / 1000)
                        // A phase call waits until the phase closes: advertisement at the round's
                        // deadline at the latest, each later phase within the phase timeout.
                        let step: (SecureAggregationUpload) async throws -> SecureAggregationDownload = { upload in
                            var message = WireCodec.message(upload)
                            message.clientID = id
                            message.round = task.round
                            message.roundID = assignment.roundID
                            let wait = max(deadline.timeIntervalSinceNow, 0) + assignment.phaseTimeout + 10
                            let reply = try await call(CoordinatorMethods.secureAggregate, message, as: Bulwark_Federated_V1_SecureAggregationReply.self,
                                                       timeout: wait)
                            return try WireCodec.download(reply, number: assignment.number)
                        }
                        let outcome = try await Self.secureRound(assignment, weights: weights, authority: authority, signingKey: signingKey,
                                                                 train: { try train(weights, local, task.training.seed) }, step: step, log: log)
                        switch outcome {
                        case .aborted(let reason):
                            // The round failed or went on without this client; it may reopen.
                            log("round \(task.round): secure aggregation ended for this client: \(reason)")
                            continue
                        case .finished(let loss):
                            lastRound = Int(task.round)
                            progress(RoundDone(round: lastRound, accepted: true, reason: "", loss: loss))
                            continue
                        }
                    }
                    let (delta, loss) = try train(weights, local, task.training.seed)
                    var update = Bulwark_Federated_V1_Update()
                    update.clientID = id
                    update.round = task.round
                    update.delta = WireCodec.bytes(delta)
                    update.exampleCount = Int64(examples)
                    update.localLoss = loss
                    let reply = try await call(CoordinatorMethods.submitUpdate, update, as: Bulwark_Federated_V1_UpdateReply.self)
                    if !reply.accepted, reply.retry {
                        // The coordinator does not have this round open (it restarted): ask again.
                        log("round \(task.round): \(reply.reason); asking for a task again")
                        continue
                    }
                    lastRound = Int(task.round)
                    progress(RoundDone(round: lastRound, accepted: reply.accepted, reason: reply.reason, loss: loss))
                default:
                    try await Task.sleep(for: .milliseconds(Int64(max(100, min(5000, task.retryAfterMs)))))
                }
            }
        }
    }
}
