public import BulwarkCrypto
import BulwarkModels

/// The view of a channel that keeps its first `partyCount` parties: the two computing parties of
/// a network whose further parties (a dealer) serve them on the side.
///
/// ```swift
/// let channels = InProcessChannel.network(parties: 3)
/// let pair = try MPCChannelPrefix(channels[0], parties: 2)
/// print(pair.partyCount, pair.partyID)  // 2 0
/// ```
public struct MPCChannelPrefix: MPCChannel {
    /// The whole network's channel.
    public let base: any MPCChannel
    /// The parties kept: ids `0 ..< partyCount`.
    public let partyCount: Int
    /// This party's id (that of ``base``).
    public var partyID: Int { base.partyID }

    /// The first `parties` parties of `base`.
    /// - Throws: `.invalidParameter` unless this party is among them and `base` has that many.
    public init(_ base: any MPCChannel, parties: Int) throws(CryptoError) {
        guard parties >= 1, parties <= base.partyCount, base.partyID < parties else {
            throw CryptoError(.invalidParameter, "party \(base.partyID) is not among the first \(parties) of \(base.partyCount)")
        }
        self.base = base
        partyCount = parties
    }

    /// Sends to a kept party.
    public func send(_ message: [UInt8], to party: Int) async throws(CryptoError) {
        guard party < partyCount else { throw CryptoError(.invalidParameter, "party \(party) is outside the first \(partyCount)") }
        try await base.send(message, to: party)
    }

    /// Receives from a kept party.
    public func receive(from party: Int) async throws(CryptoError) -> [UInt8] {
        guard party < partyCount else { throw CryptoError(.invalidParameter, "party \(party) is outside the first \(partyCount)") }
        return try await base.receive(from: party)
    }
}

/// Secure inference of a zoo model between separate parties: the model owner (party 0, the
/// weights), the client (party 1, the images; the only one to learn the output) and a trusted
/// dealer (party 2, Beaver triples; see ``RemoteDealerPreprocessing`` for its trust model), each
/// calling its role's function over its own ``MPCChannel`` to the others (``TLSMPCChannel``
/// between processes).
///
/// The run: the owner announces the (public) architecture and what is revealed; the client
/// answers with the number of images and the batch size; the two agree pairwise seeds (one
/// round); then every batch runs ``SecureZooModel/forward(_:images:batch:reveal:)``, its
/// triples asked from the dealer; at the end each tells the dealer it is done. The owner learns
/// only the image count and batch size; the client only the output and the architecture; the
/// dealer only the shapes.
///
/// ```swift
/// let channels = InProcessChannel.network(parties: 3)
/// let model = try SecureZooModel(owning: ZooArchitecture.mlp.makeModel(seed: 3), architecture: .mlp)
/// let dealer = Task { try await SecureInference.deal(channel: channels[2]) }
/// let owner = Task { try await SecureInference.serve(model, channel: channels[0], reveal: .logits) }
/// let (output, report) = try await SecureInference.query(images: [Float](repeating: 0.5, count: 784), count: 1, batchSize: 1, channel: channels[1])
/// _ = try await (owner.value, dealer.value)
/// print(output.labels.count, report.batches)  // 1 1
/// ```
public enum SecureInference {
    /// The dealer's party id.
    public static let dealerID = 2
    /// The most images one run accepts.
    public static let maximumImages = 10_000_000
    /// The largest batch.
    public static let maximumBatchSize = 10_000

    /// What one party did: its role, the work, its time and its traffic.
    public struct PartyReport: Sendable, Hashable, Codable {
        /// `owner`, `client` or `dealer`.
        public var role: String
        /// The party id.
        public var party: Int
        /// The architecture run.
        public var architecture: String
        /// Images and batch size of the run.
        public var images: Int, batchSize: Int, batches: Int
        /// Seconds from the agreed header to the end (dealing included).
        public var seconds: Double
        /// Online cost between owner and client (seed agreement included).
        public var online: MPCCost
        /// Traffic with the dealer (requests and triples).
        public var preprocessing: MPCCost
        /// The dealer's own figures (dealer only).
        public var dealer: MPCDealerService.Report?
    }

    /// The model owner's side: serves `model` (which must hold the weights) for one client run.
    /// `channel` reaches the client (party 1) and the dealer (party 2).
    /// - Throws: ``CryptoError`` (`.partyUnavailable` naming a party that is gone,
    ///   `.malformed` or `.invalidParameter` for a header out of bounds).
    public static func serve(_ model: SecureZooModel, channel: any MPCChannel, reveal: MPCInferenceReveal) async throws(CryptoError) -> PartyReport {
        guard channel.partyID == SecureZooModel.ownerID, channel.partyCount == 3, model.holdsWeights else {
            throw CryptoError(.invalidParameter, "the model owner is party 0 of 3 and holds the weights")
        }
        let pair = try MPCChannelPrefix(channel, parties: 2)
        try await pair.send([1, model.architecture == .cnn ? 1 : 0, reveal == .labels ? 1 : 0], to: SecureZooModel.clientID)
        let header = try await pair.receive(from: SecureZooModel.clientID)
        guard header.count == 16 else { throw CryptoError(.malformed, "the client (party 1) sent a header of \(header.count) bytes, expected 16") }
        let count = Int(clamping: word(header, 0)), batch = Int(clamping: word(header, 8))
        guard (1...maximumImages).contains(count), (1...maximumBatchSize).contains(batch) else {
            throw CryptoError(.invalidParameter, "the client (party 1) asked for \(count) images in batches of \(batch): outside 1…\(maximumImages) and 1…\(maximumBatchSize)")
        }
        return try await run(model: model, channel: channel, reveal: reveal, count: count, batch: batch, images: nil).report
    }

    /// The client's side: secure inference of `count` images (`images` holds count × 784
    /// values in [0, 1], row-major) in batches of `batchSize`; returns the labels (and logits
    /// when the owner reveals them) of every image, in order, and this party's report.
    /// - Throws: ``CryptoError``: `.invalidParameter` for sizes out of bounds, `.malformed`
    ///   for a bad header, `.partyUnavailable` naming a party that is gone.
    public static func query(images: [Float], count: Int, batchSize: Int, channel: any MPCChannel) async throws(CryptoError) -> (output: SecureInferenceOutput, report: PartyReport) {
        guard channel.partyID == SecureZooModel.clientID, channel.partyCount == 3 else {
            throw CryptoError(.invalidParameter, "the client is party 1 of 3")
        }
        guard (1...maximumImages).contains(count), (1...maximumBatchSize).contains(batchSize), images.count == count * SecureZooModel.inputElements else {
            throw CryptoError(.invalidParameter, "\(images.count) values are not \(count) images of 784 (count 1…\(maximumImages), batch 1…\(maximumBatchSize))")
        }
        let pair = try MPCChannelPrefix(channel, parties: 2)
        let header = try await pair.receive(from: SecureZooModel.ownerID)
        guard header.count == 3, header[0] == 1, header[1] <= 1, header[2] <= 1 else {
            throw CryptoError(.malformed, "the model owner (party 0) sent an unknown header")
        }
        let model: SecureZooModel
        do { model = try SecureZooModel(publicArchitecture: header[1] == 1 ? .cnn : .mlp) } catch {
            throw CryptoError(.invalidParameter, error.message)
        }
        try await pair.send(bytes(UInt64(count)) + bytes(UInt64(batchSize)), to: SecureZooModel.ownerID)
        let result = try await run(model: model, channel: channel, reveal: header[2] == 1 ? .labels : .logits, count: count, batch: batchSize, images: images)
        return (result.output ?? SecureInferenceOutput(labels: [], logits: nil), result.report)
    }

    /// The dealer's side: answers the owner's and the client's triple requests until both are
    /// done. `maximumMessageBytes` bounds one answer.
    /// - Throws: ``CryptoError`` as ``MPCDealerService/serve(channel:parties:maximumMessageBytes:generator:)``.
    public static func deal(channel: any MPCChannel, maximumMessageBytes: Int = 256 << 20) async throws(CryptoError) -> PartyReport {
        guard channel.partyID == dealerID, channel.partyCount == 3 else { throw CryptoError(.invalidParameter, "the dealer is party 2 of 3") }
        let clock = ContinuousClock(), start = clock.now
        let served = try await MPCDealerService.serve(channel: channel, parties: [SecureZooModel.ownerID, SecureZooModel.clientID],
                                                      maximumMessageBytes: maximumMessageBytes)
        let elapsed = clock.now - start
        return PartyReport(role: "dealer", party: dealerID, architecture: "", images: 0, batchSize: 0, batches: 0, seconds: seconds(elapsed),
                           online: MPCCost(), preprocessing: MPCCost(rounds: served.requests, messagesSent: 2 * served.requests,
                                                                     bytesSent: served.bytesSent, bytesReceived: served.bytesReceived),
                           dealer: served)
    }

    private static func run(model: SecureZooModel, channel: any MPCChannel, reveal: MPCInferenceReveal, count: Int, batch: Int,
                            images: [Float]?) async throws(CryptoError) -> (output: SecureInferenceOutput?, report: PartyReport) {
        let clock = ContinuousClock(), start = clock.now
        let pair = try MPCChannelPrefix(channel, parties: 2)
        let source = RemoteDealerPreprocessing(channel: channel, dealer: dealerID)
        var party = try await MPCParty.connect(channel: pair, preprocessing: source)
        var labels: [Int] = [], logits: [Double] = []
        var done = 0, batches = 0
        while done < count {
            let size = min(batch, count - done)
            let slice = images.map { all in all[(done * SecureZooModel.inputElements)..<((done + size) * SecureZooModel.inputElements)].map(Double.init) }
            if let output = try await model.forward(&party, images: slice, batch: size, reveal: reveal) {
                labels += output.labels
                logits += output.logits ?? []
            }
            done += size
            batches += 1
        }
        try await source.finish()
        let elapsed = clock.now - start
        let report = PartyReport(role: channel.partyID == SecureZooModel.ownerID ? "owner" : "client", party: channel.partyID,
                                 architecture: model.architecture.rawValue, images: count, batchSize: batch, batches: batches,
                                 seconds: seconds(elapsed), online: party.cost, preprocessing: party.preprocessingCost, dealer: nil)
        let output = images == nil ? nil : SecureInferenceOutput(labels: labels, logits: reveal == .logits ? logits : nil)
        return (output, report)
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
    }

    private static func bytes(_ value: UInt64) -> [UInt8] { withUnsafeBytes(of: value.littleEndian, Array.init) }

    private static func word(_ bytes: [UInt8], _ offset: Int) -> UInt64 {
        bytes[offset..<(offset + 8)].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    }
}
