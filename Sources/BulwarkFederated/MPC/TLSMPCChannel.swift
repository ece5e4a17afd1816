public import BulwarkCrypto
import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS
import SwiftASN1
import Synchronization
import X509

/// How a party joins a network of MPC parties over mutually authenticated TLS.
///
/// Every party holds a certificate issued by the network's CA whose common name is
/// `party-<id>` (``TLSMPCChannel/certificateName(of:)``; ``MPCCertificates`` makes such a set);
/// a connection is accepted only from the party its certificate names.
///
/// ```swift
/// let configuration = TLSMPCConfiguration(
///     partyID: 1, addresses: try MPCPeerAddress.list("127.0.0.1:9000,127.0.0.1:9001"),
///     certificatePath: "pki/party-1.pem", privateKeyPath: "pki/party-1-key.pem", trustRootsPath: "pki/ca.pem")
/// print(configuration.receiveTimeoutSeconds)  // 60.0
/// ```
public struct TLSMPCConfiguration: Sendable {
    /// This party's id, an index into ``addresses``.
    public var partyID: Int
    /// Every party's address, index = party id. This party listens on its own (when a party
    /// with a higher id exists) and connects to those of lower ids.
    public var addresses: [MPCPeerAddress]
    /// This party's certificate (PEM; a chain may follow the leaf).
    public var certificatePath: String
    /// This party's private key (PEM).
    public var privateKeyPath: String
    /// The CA certificates a peer's certificate must chain to (PEM).
    public var trustRootsPath: String
    /// How long ``TLSMPCChannel/connect(_:)`` keeps retrying and waiting for its peers.
    public var connectTimeoutSeconds: Double
    /// How long a receive waits for a message before it throws `.partyUnavailable`, and how long
    /// a send may take to reach the socket.
    public var receiveTimeoutSeconds: Double
    /// The largest message accepted from a peer (and sent), in bytes: a larger declared length
    /// closes the connection before anything is buffered.
    public var maximumMessageBytes: Int

    /// A configuration; timeouts in seconds (defaults 30 s to connect, 60 s per receive), a
    /// message bound of 256 MiB.
    public init(partyID: Int, addresses: [MPCPeerAddress], certificatePath: String, privateKeyPath: String, trustRootsPath: String,
                connectTimeoutSeconds: Double = 30, receiveTimeoutSeconds: Double = 60, maximumMessageBytes: Int = 256 << 20) {
        self.partyID = partyID
        self.addresses = addresses
        self.certificatePath = certificatePath
        self.privateKeyPath = privateKeyPath
        self.trustRootsPath = trustRootsPath
        self.connectTimeoutSeconds = connectTimeoutSeconds
        self.receiveTimeoutSeconds = receiveTimeoutSeconds
        self.maximumMessageBytes = maximumMessageBytes
    }
}

/// An ``MPCChannel`` over TLS 1.3 with mutual authentication (swift-nio and swift-nio-ssl): one
/// connection per pair of parties, messages framed by ``MPCFrameDecoder``.
///
/// ``connect(_:)`` builds the mesh: each party listens on its address for the parties with
/// higher ids and connects to those with lower ids, retrying until the connect deadline. Both
/// ends check that the peer's certificate chains to the CA and names the expected party
/// (`party-<id>`), then exchange a hello naming the two ids; anything else is refused.
///
/// Failure is never silent and never a hang: a receive that waits longer than the receive
/// timeout, a closed or reset connection, a malformed or oversized frame, and a send that cannot
/// reach the socket in time all throw `.partyUnavailable` with one line naming the party.
/// A frame declaring more than ``TLSMPCConfiguration/maximumMessageBytes`` is refused before
/// it is buffered.
///
/// ```swift
/// func join(_ id: Int) async throws -> TLSMPCChannel {
///     try await TLSMPCChannel.connect(TLSMPCConfiguration(
///         partyID: id, addresses: try MPCPeerAddress.list("127.0.0.1:9100,127.0.0.1:9101"),
///         certificatePath: "pki/party-\(id).pem", privateKeyPath: "pki/party-\(id)-key.pem", trustRootsPath: "pki/ca.pem"))
/// }
/// _ = join  // parties 0 and 1 each call join(id) in their own process
/// ```
public final class TLSMPCChannel: MPCChannel {
    /// This party's id.
    public let partyID: Int
    /// The number of parties (the number of addresses).
    public let partyCount: Int
    /// Seconds a receive waits before it throws `.partyUnavailable`.
    public let receiveTimeoutSeconds: Double
    private let links: [PeerLink?]

    private init(partyID: Int, partyCount: Int, receiveTimeoutSeconds: Double, links: [PeerLink?]) {
        self.partyID = partyID
        self.partyCount = partyCount
        self.receiveTimeoutSeconds = receiveTimeoutSeconds
        self.links = links
    }

    /// The certificate common name that identifies party `id`: `party-<id>`.
    public static func certificateName(of id: Int) -> String { "party-\(id)" }

    /// Joins the network: listens for the parties with higher ids, connects to those with lower
    /// ids (retrying while they are not up yet) and returns once every peer is connected.
    /// - Throws: `.invalidParameter` for a bad configuration or unreadable TLS files,
    ///   `.partyUnavailable` naming the party that was not reached or did not connect before the
    ///   deadline, or whose TLS handshake or identity failed.
    public static func connect(_ configuration: TLSMPCConfiguration) async throws(CryptoError) -> TLSMPCChannel {
        let me = configuration.partyID, count = configuration.addresses.count
        guard count >= 2, (0..<count).contains(me) else {
            throw CryptoError(.invalidParameter, "party id \(me) needs at least 2 addresses and an id below their count (\(count) given)")
        }
        guard configuration.connectTimeoutSeconds > 0, configuration.receiveTimeoutSeconds > 0, configuration.maximumMessageBytes > 0 else {
            throw CryptoError(.invalidParameter, "timeouts and the message bound must be positive")
        }
        let contexts = try TLSMaterial.contexts(configuration)
        let group = MultiThreadedEventLoopGroup.singleton
        let deadline = ContinuousClock.now + .seconds(configuration.connectTimeoutSeconds)
        let limits = LinkLimits(maximumMessageBytes: configuration.maximumMessageBytes, timeoutSeconds: configuration.receiveTimeoutSeconds)

        // Listen for the parties with higher ids.
        let expected = Array((me + 1)..<count)
        let registry = IncomingRegistry(me: me, expected: expected, loop: group.next())
        var server: (any Channel)?
        if !expected.isEmpty {
            let address = configuration.addresses[me]
            let bootstrap = ServerBootstrap(group: group)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: contexts.server))
                        try channel.pipeline.syncOperations.addHandler(
                            MPCFrameHandler(role: .listener(registry), me: me, limits: limits))
                    }
                }
            do {
                server = try await bootstrap.bind(host: address.host, port: address.port).get()
            } catch {
                throw CryptoError(.partyUnavailable, "party \(me) cannot listen on \(address): \(Self.describe(error))")
            }
        }
        var links = [PeerLink?](repeating: nil, count: count)
        do throws(CryptoError) {
            // Connect to the parties with lower ids.
            for peer in 0..<me {
                links[peer] = try await connect(to: peer, configuration: configuration, context: contexts.client, deadline: deadline,
                                                limits: limits, group: group)
            }
            for (peer, link) in try await registry.wait(until: deadline) { links[peer] = link }
        } catch {
            for link in links { link?.close() }
            registry.abandon()
            try? await server?.close()
            throw error
        }
        try? await server?.close()
        return TLSMPCChannel(partyID: me, partyCount: count, receiveTimeoutSeconds: configuration.receiveTimeoutSeconds, links: links)
    }

    private static func connect(to peer: Int, configuration: TLSMPCConfiguration, context: NIOSSLContext, deadline: ContinuousClock.Instant,
                                limits: LinkLimits, group: any EventLoopGroup) async throws(CryptoError) -> PeerLink {
        let me = configuration.partyID, address = configuration.addresses[peer]
        var lastError = "not reached"
        while ContinuousClock.now < deadline {
            let remaining = deadline - ContinuousClock.now
            let promise = group.next().makePromise(of: PeerLink.self)
            let bootstrap = ClientBootstrap(group: group)
                .connectTimeout(.milliseconds(max(1, min(Int64(remaining / .milliseconds(1)), 5_000))))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: context, serverHostname: nil))
                        try channel.pipeline.syncOperations.addHandler(
                            MPCFrameHandler(role: .connector(peer: peer, promise: promise), me: me, limits: limits))
                    }
                }
            let channel: any Channel
            do {
                channel = try await bootstrap.connect(host: address.host, port: address.port).get()
            } catch {
                // Not listening yet (or not reachable): try again shortly.
                promise.fail(error)
                lastError = describe(error)
                try? await Task.sleep(for: .milliseconds(100))
                continue
            }
            // The handshake, identity check and hello answer must come before the deadline.
            let timer = channel.eventLoop.scheduleTask(in: .nanoseconds(Int64(remaining / .nanoseconds(1)))) {
                promise.fail(CryptoError(.partyUnavailable, "party \(peer) at \(address) did not complete the handshake in time"))
                channel.close(promise: nil)
            }
            do {
                let link = try await promise.futureResult.get()
                timer.cancel()
                return link
            } catch {
                timer.cancel()
                channel.close(promise: nil)
                throw CryptoError(.partyUnavailable, "party \(me) could not connect to party \(peer) at \(address): \(describe(error))")
            }
        }
        throw CryptoError(.partyUnavailable, "party \(me) could not reach party \(peer) at \(address) within \(configuration.connectTimeoutSeconds) s (\(lastError))")
    }

    /// A one-line description of a transport error.
    static func describe(_ error: any Error) -> String {
        if let error = error as? CryptoError { return error.message }
        if let error = error as? NIOSSLError {
            if case .handshakeFailed(let reason) = error { return "TLS handshake failed (\(reason))" }
            return "TLS error \(error)"
        }
        return String(describing: error).split(separator: "\n").first.map(String.init) ?? "unknown error"
    }

    private func link(_ party: Int) throws(CryptoError) -> PeerLink {
        guard (0..<partyCount).contains(party), party != partyID, let link = links[party] else {
            throw CryptoError(.invalidParameter, "party \(party) is not a peer of party \(partyID) among \(partyCount)")
        }
        return link
    }

    /// Sends `message` to `party` as one frame.
    /// - Throws: `.partyUnavailable` when the connection is gone or the frame did not reach the
    ///   socket within the timeout (the connection is then closed); `.invalidParameter` for an
    ///   unknown party or a message above the bound.
    public func send(_ message: [UInt8], to party: Int) async throws(CryptoError) {
        try await link(party).send(message)
    }

    /// The next message from `party`, waiting at most ``receiveTimeoutSeconds``.
    /// - Throws: `.partyUnavailable` naming the party when it closed the connection, sent a bad
    ///   frame, or sent nothing in time.
    public func receive(from party: Int) async throws(CryptoError) -> [UInt8] {
        try await link(party).receive()
    }

    /// Closes every connection; the peers' pending and later receives from this party throw
    /// `.partyUnavailable`.
    public func close() {
        for link in links { link?.close() }
    }

    deinit {
        for link in links { link?.close() }
    }
}

/// The size and time limits of a link.
struct LinkLimits: Sendable {
    var maximumMessageBytes: Int
    var timeoutSeconds: Double
}

/// The TLS contexts of a party: as a server (for higher ids) and as a client (for lower ids),
/// both requiring the peer's certificate and checking it against the CA (the peer's identity is
/// its certificate's common name, checked after the handshake, so host names are not).
enum TLSMaterial {
    static func contexts(_ configuration: TLSMPCConfiguration) throws(CryptoError) -> (server: NIOSSLContext, client: NIOSSLContext) {
        let chain: [NIOSSLCertificate], key: NIOSSLPrivateKey, roots: [NIOSSLCertificate]
        do { chain = try NIOSSLCertificate.fromPEMFile(configuration.certificatePath) } catch {
            throw CryptoError(.invalidParameter, "\(configuration.certificatePath): cannot read a PEM certificate")
        }
        do { key = try NIOSSLPrivateKey(file: configuration.privateKeyPath, format: .pem) } catch {
            throw CryptoError(.invalidParameter, "\(configuration.privateKeyPath): cannot read a PEM private key")
        }
        do { roots = try NIOSSLCertificate.fromPEMFile(configuration.trustRootsPath) } catch {
            throw CryptoError(.invalidParameter, "\(configuration.trustRootsPath): cannot read the CA certificates")
        }
        guard !chain.isEmpty, !roots.isEmpty else {
            throw CryptoError(.invalidParameter, "\(chain.isEmpty ? configuration.certificatePath : configuration.trustRootsPath) holds no certificate")
        }
        let name = TLSMPCChannel.certificateName(of: configuration.partyID)
        guard (try? Certificate(derEncoded: chain[0].toDERBytes()))?.subject.commonName == name else {
            throw CryptoError(.invalidParameter, "\(configuration.certificatePath) does not name \(name): party \(configuration.partyID) needs the certificate made for it")
        }
        var server = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        server.certificateVerification = .noHostnameVerification
        server.trustRoots = .certificates(roots)
        server.minimumTLSVersion = .tlsv13
        var client = TLSConfiguration.makeClientConfiguration()
        client.certificateChain = chain.map { .certificate($0) }
        client.privateKey = .privateKey(key)
        client.certificateVerification = .noHostnameVerification
        client.trustRoots = .certificates(roots)
        client.minimumTLSVersion = .tlsv13
        do {
            return (try NIOSSLContext(configuration: server), try NIOSSLContext(configuration: client))
        } catch {
            throw CryptoError(.invalidParameter, "\(configuration.certificatePath), \(configuration.privateKeyPath): key and certificate do not make a TLS context (\(error))")
        }
    }
}

/// The links that the parties with higher ids open to a listening party, as they arrive.
final class IncomingRegistry: Sendable {
    private struct State {
        var links: [Int: PeerLink] = [:]
        var lastRefusal: String?
        var abandoned = false
    }

    let me: Int
    let expected: [Int]
    private let promise: EventLoopPromise<[Int: PeerLink]>
    private let state = Mutex(State())

    init(me: Int, expected: [Int], loop: any EventLoop) {
        self.me = me
        self.expected = expected
        promise = loop.makePromise()
        if expected.isEmpty { promise.succeed([:]) }
    }

    /// Registers the link of `peer` unless it is not expected or already connected; returns why
    /// not otherwise.
    func register(_ link: PeerLink, peer: Int) -> String? {
        let outcome: (String?, [Int: PeerLink]?) = state.withLock { state in
            if state.abandoned { return ("party \(me) is no longer accepting connections", nil) }
            guard expected.contains(peer) else { return ("party \(peer) does not connect to party \(me) (only higher ids do)", nil) }
            guard state.links[peer] == nil else { return ("party \(peer) is already connected", nil) }
            state.links[peer] = link
            return (nil, state.links.count == expected.count ? state.links : nil)
        }
        if let complete = outcome.1 { promise.succeed(complete) }
        return outcome.0
    }

    /// Notes why a connection attempt was refused (shown if the deadline passes).
    func refused(_ reason: String) {
        state.withLock { $0.lastRefusal = reason }
    }

    /// Every expected link, or `.partyUnavailable` naming the missing parties at the deadline.
    func wait(until deadline: ContinuousClock.Instant) async throws(CryptoError) -> [Int: PeerLink] {
        let remaining = deadline - ContinuousClock.now
        let loop = promise.futureResult.eventLoop
        let timer = loop.scheduleTask(in: .nanoseconds(max(0, Int64(remaining / .nanoseconds(1))))) { [self] in
            let (missing, refusal) = state.withLock { state in (expected.filter { state.links[$0] == nil }, state.lastRefusal) }
            let names = missing.map { "party \($0)" }.joined(separator: ", ")
            promise.fail(CryptoError(.partyUnavailable, "\(names) did not connect to party \(me) in time" + (refusal.map { " (last attempt refused: \($0))" } ?? "")))
        }
        do {
            let links = try await promise.futureResult.get()
            timer.cancel()
            return links
        } catch {
            timer.cancel()
            throw (error as? CryptoError) ?? CryptoError(.partyUnavailable, "party \(me): \(TLSMPCChannel.describe(error))")
        }
    }

    /// Stops accepting and closes the links that did arrive.
    func abandon() {
        let links = state.withLock { state in
            state.abandoned = true
            return Array(state.links.values)
        }
        for link in links { link.close() }
        promise.fail(CryptoError(.partyUnavailable, "party \(me) stopped waiting for its peers"))
    }
}

/// One party's end of the connection to one peer: the frames received so far, at most one
/// waiting receiver, and how the connection ended.
final class PeerLink: Sendable {
    private struct State {
        var queue: [[UInt8]] = []
        var head = 0
        var closedReason: String?
        var waiter: (ticket: Int, continuation: CheckedContinuation<Result<[UInt8], CryptoError>, Never>)?
        var nextTicket = 0
        var timer: Scheduled<Void>?
    }

    let peer: Int
    let channel: any Channel
    let limits: LinkLimits
    private let state = Mutex(State())

    init(peer: Int, channel: any Channel, limits: LinkLimits) {
        self.peer = peer
        self.channel = channel
        self.limits = limits
    }

    /// Queues a message or hands it to the waiting receiver.
    func deliver(_ message: [UInt8]) {
        state.withLock { state in
            guard state.closedReason == nil else { return }
            if let waiter = state.waiter {
                state.waiter = nil
                state.timer?.cancel()
                state.timer = nil
                waiter.continuation.resume(returning: .success(message))
            } else {
                state.queue.append(message)
            }
        }
    }

    /// Ends the link: the waiting receiver and every later receive and send throw
    /// `.partyUnavailable` with `reason` (the first reason given is kept).
    func fail(_ reason: String) {
        state.withLock { state in
            if state.closedReason == nil { state.closedReason = reason }
            if let waiter = state.waiter {
                state.waiter = nil
                state.timer?.cancel()
                state.timer = nil
                waiter.continuation.resume(returning: .failure(CryptoError(.partyUnavailable, state.closedReason ?? reason)))
            }
        }
    }

    /// Closes the connection from this side.
    func close() {
        fail("the connection to party \(peer) was closed by this party")
        channel.close(promise: nil)
    }

    func send(_ message: [UInt8]) async throws(CryptoError) {
        guard message.count <= limits.maximumMessageBytes else {
            throw CryptoError(.invalidParameter, "a message of \(message.count) bytes to party \(peer) exceeds the limit of \(limits.maximumMessageBytes)")
        }
        if let reason = state.withLock({ $0.closedReason }) { throw CryptoError(.partyUnavailable, reason) }
        var buffer = channel.allocator.buffer(capacity: 4 + message.count)
        buffer.writeInteger(UInt32(message.count))
        buffer.writeBytes(message)
        let channel = self.channel, peer = self.peer
        let promise = channel.eventLoop.makePromise(of: Void.self)
        channel.writeAndFlush(buffer, promise: promise)
        let written = promise.futureResult
        // A peer that stops reading must not stall this party past the timeout.
        let timer = channel.eventLoop.scheduleTask(in: .nanoseconds(Int64(limits.timeoutSeconds * 1e9))) {
            channel.close(promise: nil)
        }
        do {
            try await written.get()
            timer.cancel()
        } catch {
            timer.cancel()
            fail("cannot send to party \(peer): the connection is gone")
            throw CryptoError(.partyUnavailable, state.withLock { $0.closedReason } ?? "cannot send to party \(peer)")
        }
    }

    func receive() async throws(CryptoError) -> [UInt8] {
        let peer = self.peer
        let result: Result<[UInt8], CryptoError> = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                state.withLock { state in
                    if state.head < state.queue.count {
                        let message = state.queue[state.head]
                        state.head += 1
                        if state.head == state.queue.count { state.queue.removeAll(keepingCapacity: true); state.head = 0 }
                        continuation.resume(returning: .success(message))
                        return
                    }
                    if let reason = state.closedReason {
                        continuation.resume(returning: .failure(CryptoError(.partyUnavailable, reason)))
                        return
                    }
                    state.nextTicket += 1
                    let ticket = state.nextTicket
                    state.waiter = (ticket, continuation)
                    let seconds = limits.timeoutSeconds
                    state.timer = channel.eventLoop.scheduleTask(in: .nanoseconds(Int64(seconds * 1e9))) { [self] in
                        expire(ticket: ticket, reason: "party \(peer) sent nothing within \(seconds) s")
                    }
                }
            }
        } onCancel: {
            expire(ticket: nil, reason: "receive from party \(peer) cancelled")
        }
        return try result.get()
    }

    /// Fails the wait named by `ticket` (any wait when nil) if it is still waiting; a timed-out
    /// link is dead (the protocol cannot resume in step), so it is closed too.
    private func expire(ticket: Int?, reason: String) {
        let expired: Bool = state.withLock { state in
            guard let waiter = state.waiter, ticket == nil || waiter.ticket == ticket else { return false }
            state.waiter = nil
            state.timer?.cancel()
            state.timer = nil
            if state.closedReason == nil { state.closedReason = reason }
            waiter.continuation.resume(returning: .failure(CryptoError(.partyUnavailable, reason)))
            return true
        }
        if expired { channel.close(promise: nil) }
    }
}

/// The inbound end of a connection: decodes frames, runs the hello exchange, then hands the
/// messages to the ``PeerLink``.
final class MPCFrameHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    enum Role {
        /// Waiting for a higher-id party's hello.
        case listener(IncomingRegistry)
        /// Connected to `peer`: sends a hello after the handshake, then waits for the answer.
        case connector(peer: Int, promise: EventLoopPromise<PeerLink>)
    }

    /// "BWMPC1": the hello's magic bytes.
    static let magic: [UInt8] = Array("BWMPC1".utf8)

    private let role: Role
    private let me: Int
    private let limits: LinkLimits
    private var decoder: MPCFrameDecoder
    private var link: PeerLink?
    private var finished = false

    init(role: Role, me: Int, limits: LinkLimits) {
        self.role = role
        self.me = me
        self.limits = limits
        decoder = MPCFrameDecoder(maximumMessageBytes: limits.maximumMessageBytes)
    }

    static func hello(from: Int, to: Int) -> [UInt8] {
        magic + withUnsafeBytes(of: UInt32(from).bigEndian, Array.init) + withUnsafeBytes(of: UInt32(to).bigEndian, Array.init)
    }

    static func parseHello(_ bytes: [UInt8]) -> (from: Int, to: Int)? {
        guard bytes.count == magic.count + 8, Array(bytes.prefix(magic.count)) == magic else { return nil }
        func word(_ offset: Int) -> Int { bytes[offset..<(offset + 4)].reduce(0) { $0 << 8 | Int($1) } }
        return (word(magic.count), word(magic.count + 4))
    }

    /// The common name of the peer's verified certificate.
    private func peerName(_ context: ChannelHandlerContext) -> String? {
        guard let tls = try? context.pipeline.syncOperations.handler(type: NIOSSLHandler.self),
              let der = try? tls.peerCertificate?.toDERBytes(),
              let certificate = try? Certificate(derEncoded: der) else { return nil }
        return certificate.subject.commonName
    }

    private func write(_ context: ChannelHandlerContext, _ message: [UInt8]) {
        var buffer = context.channel.allocator.buffer(capacity: 4 + message.count)
        buffer.writeInteger(UInt32(message.count))
        buffer.writeBytes(message)
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
    }

    private func refuse(_ context: ChannelHandlerContext, _ reason: String) {
        finished = true
        switch role {
        case .listener(let registry): registry.refused(reason)
        case .connector(_, let promise): promise.fail(CryptoError(.partyUnavailable, reason))
        }
        context.close(promise: nil)
    }

    /// Seconds a connection that has not completed the hello is kept open.
    static let helloTimeoutSeconds: Int64 = 30

    func handlerAdded(context: ChannelHandlerContext) {
        // A peer that connects and then says nothing must not hold a connection open forever.
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop), channel = context.channel
        context.eventLoop.scheduleTask(in: .seconds(Self.helloTimeoutSeconds)) {
            if bound.value.link == nil { channel.close(promise: nil) }
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .connector(let peer, _) = role, let event = event as? TLSUserEvent, case .handshakeCompleted = event {
            let expected = TLSMPCChannel.certificateName(of: peer)
            guard let name = peerName(context), name == expected else {
                refuse(context, "the certificate at party \(peer)'s address names \(peerName(context) ?? "nobody"), not \(expected)")
                return
            }
            write(context, Self.hello(from: me, to: peer))
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        guard !finished || link != nil, let bytes = buffer.readBytes(length: buffer.readableBytes) else { return }
        let messages: [[UInt8]]
        do {
            messages = try decoder.feed(bytes)
        } catch {
            let reason = "party \(link?.peer.description ?? "?") sent a bad frame: \(error.message)"
            if let link { link.fail(reason) } else { refuse(context, reason) }
            context.close(promise: nil)
            return
        }
        for message in messages {
            if let link {
                link.deliver(message)
                continue
            }
            guard !finished else { return }
            switch role {
            case .listener(let registry):
                guard let (from, to) = Self.parseHello(message), to == me else { return refuse(context, "a connection sent no valid hello") }
                guard peerName(context) == TLSMPCChannel.certificateName(of: from) else {
                    return refuse(context, "a peer claiming to be party \(from) holds the certificate of \(peerName(context) ?? "nobody")")
                }
                let link = PeerLink(peer: from, channel: context.channel, limits: limits)
                if let reason = registry.register(link, peer: from) { return refuse(context, reason) }
                self.link = link
                write(context, Self.hello(from: me, to: from))
            case .connector(let peer, let promise):
                guard let (from, to) = Self.parseHello(message), from == peer, to == me else {
                    return refuse(context, "party \(peer) answered the hello with something else")
                }
                let link = PeerLink(peer: peer, channel: context.channel, limits: limits)
                self.link = link
                finished = true
                promise.succeed(link)
            }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let link {
            link.fail("party \(link.peer) is gone: its connection closed")
        } else if !finished, case .connector(let peer, let promise) = role {
            promise.fail(CryptoError(.partyUnavailable, "party \(peer) closed the connection during the handshake"))
        }
        finished = true
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let reason = TLSMPCChannel.describe(error)
        if let link {
            link.fail("the connection to party \(link.peer) failed: \(reason)")
        } else if !finished {
            refuse(context, reason)
        }
        context.close(promise: nil)
    }
}
