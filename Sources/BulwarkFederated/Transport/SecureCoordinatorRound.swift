public import BulwarkCrypto
import Foundation

/// What a client sends the coordinator in one phase of a secure round.
public enum SecureAggregationUpload: Sendable, Equatable {
    /// Phase 1: its signed round keys (sent after local training).
    case advertise(SecureAggregationMessage.AdvertiseKeys)
    /// Phase 2: its encrypted shares for its neighbours.
    case shares(SecureAggregationMessage.ShareKeys)
    /// Phase 3: its masked, quantised update.
    case maskedInput(SecureAggregationMessage.MaskedInput)
    /// Phase 4: the shares that remove the masks.
    case unmasking(SecureAggregationMessage.UnmaskingResponse)

    var phase: SecureCoordinatorRound.Phase {
        switch self {
        case .advertise: .advertising
        case .shares: .sharing
        case .maskedInput: .masking
        case .unmasking: .unmasking
        }
    }

    var client: Int {
        switch self {
        case .advertise(let m): m.client
        case .shares(let m): m.client
        case .maskedInput(let m): m.client
        case .unmasking(let m): m.client
        }
    }
}

/// The coordinator's answer to an upload, once the phase has closed.
public enum SecureAggregationDownload: Sendable, Equatable {
    /// After phase 1: the neighbours' signed keys.
    case directory(SecureAggregationMessage.KeyDirectory)
    /// After phase 2: the ciphertexts addressed to the client.
    case routed(SecureAggregationMessage.RoutedShares)
    /// After phase 3: who survived and who dropped.
    case unmaskingRequest(SecureAggregationMessage.UnmaskingRequest)
    /// After phase 4: the sum was unmasked and the round closed.
    case finished
    /// The client is out of the round (it was late, sent something refused, or the round failed
    /// and will reopen): the reason. The client asks for a task again.
    case aborted(String)
}

/// What a client selected for a secure round needs besides the global model: the round's
/// public parameters, its number, and every participant's id and credentials (by number).
public struct SecureAggregationAssignment: Sendable, Equatable {
    /// Names the round attempt (a reopened round gets a new one).
    public var roundID: UInt64
    /// The client's number in the round.
    public var number: Int
    /// The threshold of shares that reconstructs a secret.
    public var threshold: Int
    /// SecAgg+'s neighbour count; nil for SecAgg's complete graph.
    public var neighbours: Int?
    /// The public seed of the neighbour graph.
    public var graphSeed: UInt64
    /// Each coordinate is clipped to ± this before fixed-point encoding.
    public var clipRange: Float
    /// Bits of the fixed-point ring.
    public var bitWidth: Int
    /// Participants by number: id and credentials.
    public var participants: [(id: String, credentials: SecureAggregationEndorsement.Credentials)]
    /// DP-FedAvg: the L2 norm the client clips its update to before masking (nil: none).
    public var clipNorm: Double?
    /// Seconds each phase stays open (the masked inputs at least until the round's deadline).
    public var phaseTimeout: Double

    /// The protocol configuration for a model of `vectorLength` parameters.
    public func configuration(vectorLength: Int) throws(FederatedError) -> SecureAggregationConfiguration {
        let quantizer: FixedPointQuantizer
        do { quantizer = try FixedPointQuantizer(clipRange: clipRange, bitWidth: bitWidth, maxSummands: max(1, participants.count)) } catch {
            throw FederatedError(.invalidParameter, "secure aggregation: quantiser", underlying: error)
        }
        return try SecureAggregationConfiguration(roundID: roundID, clientCount: participants.count, threshold: threshold, neighbourCount: neighbours,
                                                  graphSeed: graphSeed, vectorLength: vectorLength, quantizer: quantizer)
    }

    public static func == (a: Self, b: Self) -> Bool {
        a.roundID == b.roundID && a.number == b.number && a.threshold == b.threshold && a.neighbours == b.neighbours && a.graphSeed == b.graphSeed
            && a.clipRange == b.clipRange && a.bitWidth == b.bitWidth && a.clipNorm == b.clipNorm && a.phaseTimeout == b.phaseTimeout
            && a.participants.map(\.id) == b.participants.map(\.id) && a.participants.map(\.credentials) == b.participants.map(\.credentials)
    }
}

/// The coordinator's state of one secure round attempt: the protocol server, who is numbered
/// what, the phase, and whom the phase still waits for.
struct SecureCoordinatorRound: Sendable {
    enum Phase: String, Sendable { case advertising, sharing, masking, unmasking, finished }

    var server: SecureAggregationServer
    var roundID: UInt64
    /// Participant ids by number.
    var participants: [String]
    var numbers: [String: Int]
    var phase = Phase.advertising
    /// Numbers the open phase still waits for.
    var pending: Set<Int>
    /// When the open phase closes regardless.
    var phaseDeadline: Date
    /// Clients that advertised keys (never handed the training task again).
    var started: Set<Int> = []
    /// When the open phase opened, and how long each closed phase took (wall-clock seconds, in
    /// order, the work of closing it included).
    var phaseOpened = Date()
    var phaseSeconds: [(phase: String, seconds: Double)] = []

    /// A round whose key advertisement closes at `advertisementDeadline`.
    init(configuration: SecureAggregationConfiguration, participants: [String], advertisementDeadline: Date) {
        phaseDeadline = advertisementDeadline
        server = SecureAggregationServer(configuration: configuration)
        roundID = configuration.roundID
        self.participants = participants
        numbers = Dictionary(uniqueKeysWithValues: participants.enumerated().map { ($0.element, $0.offset) })
        pending = Set(participants.indices)
    }

    /// Takes `upload` from the client numbered `number`; throws when it is refused.
    mutating func receive(_ upload: SecureAggregationUpload, from number: Int) throws(FederatedError) {
        guard upload.phase == phase else {
            throw FederatedError(.invalidParameter, "the round is in phase \(phase.rawValue), not \(upload.phase.rawValue)")
        }
        guard upload.client == number else { throw FederatedError(.malformed, "the message names client \(upload.client), the sender is \(number)") }
        guard pending.contains(number) else { throw FederatedError(.invalidParameter, "client \(number) is not expected in phase \(phase.rawValue)") }
        switch upload {
        case .advertise(let m): try server.receive(m); started.insert(number)
        case .shares(let m): try server.receive(m)
        case .maskedInput(let m): try server.receive(m)
        case .unmasking(let m): try server.receive(m)
        }
        pending.remove(number)
    }

    /// Closes the open phase: the answer for each client that goes on, and the unmasked sum
    /// after the last phase. Throws (`notEnoughClients`, `verificationFailed`, …) when the round
    /// cannot go on. Each next phase gets `phaseTimeout`; the masked-input phase at least until
    /// `trainingDeadline`, since clients train while the keys are exchanged.
    mutating func closePhase(now: Date, phaseTimeout: Double, trainingDeadline: Date) throws(FederatedError) -> (answers: [Int: SecureAggregationDownload], result: SecureAggregationResult?) {
        var answers: [Int: SecureAggregationDownload] = [:]
        var result: SecureAggregationResult?
        let closing = phase
        defer {
            let end = Date()
            phaseSeconds.append((closing.rawValue, end.timeIntervalSince(phaseOpened)))
            phaseOpened = end
        }
        switch phase {
        case .advertising:
            for directory in try server.keyDirectories() { answers[directory.recipient] = .directory(directory) }
            phase = .sharing
        case .sharing:
            for routed in try server.routedShares() { answers[routed.recipient] = .routed(routed) }
            phase = .masking
        case .masking:
            let request = try server.unmaskingRequest()
            for survivor in request.survivors { answers[survivor] = .unmaskingRequest(request) }
            phase = .unmasking
        case .unmasking:
            let sum = try server.finish()
            for survivor in sum.survivors { answers[survivor] = .finished }
            result = sum
            phase = .finished
        case .finished:
            throw FederatedError(.invalidParameter, "the secure round has finished")
        }
        pending = phase == .finished ? [] : Set(answers.keys)
        phaseDeadline = now.addingTimeInterval(phaseTimeout)
        if phase == .masking { phaseDeadline = max(phaseDeadline, trainingDeadline) }
        return (answers, result)
    }
}
