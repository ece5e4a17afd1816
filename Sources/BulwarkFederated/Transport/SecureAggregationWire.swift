import BulwarkCrypto
import Foundation

/// Conversions between secure-aggregation messages and the coordinator's protobuf messages,
/// with bounds on every count a hostile peer controls.
extension WireCodec {
    /// At most this many participants in a secure round.
    static let maximumParticipants = 100_000
    /// At most this many field elements in one Shamir share.
    static let maximumShareValues = 64

    static func message(_ a: SecureAggregationAssignment) -> Bulwark_Federated_V1_SecureAggregationSetup {
        var m = Bulwark_Federated_V1_SecureAggregationSetup()
        m.roundID = a.roundID
        m.clientNumber = Int32(a.number)
        m.threshold = Int32(a.threshold)
        m.neighbourCount = Int32(a.neighbours ?? 0)
        m.graphSeed = a.graphSeed
        m.clipRange = a.clipRange
        m.bitWidth = Int32(a.bitWidth)
        m.participants = a.participants.map { p in
            var w = Bulwark_Federated_V1_Participant()
            w.clientID = p.id
            w.signingKey = p.credentials.signingKey
            w.endorsement = p.credentials.endorsement
            w.certificate = p.credentials.certificate
            return w
        }
        m.clipNorm = a.clipNorm ?? 0
        m.phaseTimeoutMs = Int64(a.phaseTimeout * 1000)
        return m
    }

    static func assignment(_ m: Bulwark_Federated_V1_SecureAggregationSetup) throws(FederatedError) -> SecureAggregationAssignment {
        guard (2...maximumParticipants).contains(m.participants.count) else {
            throw FederatedError(.malformed, "secure aggregation with \(m.participants.count) participants")
        }
        guard (0..<m.participants.count).contains(Int(m.clientNumber)), m.threshold >= 1, m.neighbourCount >= 0,
              m.clipRange > 0, m.clipRange.isFinite, (8...64).contains(m.bitWidth), m.clipNorm >= 0, m.clipNorm.isFinite, m.phaseTimeoutMs > 0 else {
            throw FederatedError(.malformed, "secure aggregation: parameters out of range")
        }
        return SecureAggregationAssignment(
            roundID: m.roundID, number: Int(m.clientNumber), threshold: Int(m.threshold), neighbours: m.neighbourCount > 0 ? Int(m.neighbourCount) : nil,
            graphSeed: m.graphSeed, clipRange: m.clipRange, bitWidth: Int(m.bitWidth),
            participants: m.participants.map { ($0.clientID, .init(signingKey: $0.signingKey, endorsement: $0.endorsement, certificate: $0.certificate)) },
            clipNorm: m.clipNorm > 0 ? m.clipNorm : nil, phaseTimeout: Double(m.phaseTimeoutMs) / 1000)
    }

    static func message(_ upload: SecureAggregationUpload) -> Bulwark_Federated_V1_SecureAggregationStep {
        var m = Bulwark_Federated_V1_SecureAggregationStep()
        switch upload {
        case .advertise(let a): m.advertise = message(a)
        case .shares(let s): m.shares.shares = s.shares.map(message)
        case .maskedInput(let i): m.maskedInput = i.values
        case .unmasking(let u):
            m.unmasking.selfMaskShares = u.selfMaskShares.map(message)
            m.unmasking.maskingKeyShares = u.maskingKeyShares.map(message)
        }
        return m
    }

    /// The upload in `m`, from the client numbered `number`.
    static func upload(_ m: Bulwark_Federated_V1_SecureAggregationStep, number: Int) throws(FederatedError) -> SecureAggregationUpload {
        switch m.message {
        case .advertise(let a)?: return .advertise(try bundle(a))
        case .shares(let s)?:
            guard s.shares.count <= maximumParticipants else { throw FederatedError(.malformed, "too many encrypted shares") }
            return .shares(.init(client: number, shares: s.shares.map(encryptedShare)))
        case .maskedInput(let values)?: return .maskedInput(.init(client: number, values: values))
        case .unmasking(let u)?:
            guard u.selfMaskShares.count + u.maskingKeyShares.count <= 2 * maximumParticipants else { throw FederatedError(.malformed, "too many revealed shares") }
            var selfShares: [SecureAggregationMessage.RevealedShare] = [], keyShares: [SecureAggregationMessage.RevealedShare] = []
            for r in u.selfMaskShares { selfShares.append(try revealed(r)) }
            for r in u.maskingKeyShares { keyShares.append(try revealed(r)) }
            return .unmasking(.init(client: number, selfMaskShares: selfShares, maskingKeyShares: keyShares))
        case nil: throw FederatedError(.malformed, "an empty secure-aggregation step")
        }
    }

    static func message(_ download: SecureAggregationDownload) -> Bulwark_Federated_V1_SecureAggregationReply {
        var m = Bulwark_Federated_V1_SecureAggregationReply()
        switch download {
        case .directory(let d): m.directory.bundles = d.bundles.map(message)
        case .routed(let r): m.routed.shares = r.shares.map(message)
        case .unmaskingRequest(let r):
            m.unmaskingRequest.survivors = r.survivors.map(Int32.init)
            m.unmaskingRequest.dropouts = r.dropouts.map(Int32.init)
        case .finished: m.finished = true
        case .aborted(let reason): m.aborted = reason
        }
        return m
    }

    /// The download in `m` for the client numbered `number`.
    static func download(_ m: Bulwark_Federated_V1_SecureAggregationReply, number: Int) throws(FederatedError) -> SecureAggregationDownload {
        switch m.message {
        case .directory(let d)?:
            guard d.bundles.count <= maximumParticipants else { throw FederatedError(.malformed, "too many key bundles") }
            var bundles: [SecureAggregationMessage.AdvertiseKeys] = []
            for b in d.bundles { bundles.append(try bundle(b)) }
            return .directory(.init(recipient: number, bundles: bundles))
        case .routed(let r)?:
            guard r.shares.count <= maximumParticipants else { throw FederatedError(.malformed, "too many routed shares") }
            return .routed(.init(recipient: number, shares: r.shares.map(encryptedShare)))
        case .unmaskingRequest(let r)?:
            guard r.survivors.count + r.dropouts.count <= maximumParticipants else { throw FederatedError(.malformed, "too many clients in the unmasking request") }
            return .unmaskingRequest(.init(survivors: r.survivors.map(Int.init), dropouts: r.dropouts.map(Int.init)))
        case .finished?: return .finished
        case .aborted(let reason)?: return .aborted(String(reason.prefix(500)))
        case nil: throw FederatedError(.malformed, "an empty secure-aggregation reply")
        }
    }

    private static func message(_ a: SecureAggregationMessage.AdvertiseKeys) -> Bulwark_Federated_V1_KeyBundle {
        var m = Bulwark_Federated_V1_KeyBundle()
        m.client = Int32(a.client)
        m.encryptionKey = a.encryptionKey
        m.maskingKey = a.maskingKey
        m.signature = a.signature
        return m
    }

    private static func bundle(_ m: Bulwark_Federated_V1_KeyBundle) throws(FederatedError) -> SecureAggregationMessage.AdvertiseKeys {
        guard m.client >= 0, m.encryptionKey.count == 32, m.maskingKey.count == 32, m.signature.count == 64 else {
            throw FederatedError(.malformed, "a malformed key bundle")
        }
        return .init(client: Int(m.client), encryptionKey: m.encryptionKey, maskingKey: m.maskingKey, signature: m.signature)
    }

    private static func message(_ s: SecureAggregationMessage.EncryptedShares) -> Bulwark_Federated_V1_EncryptedShare {
        var m = Bulwark_Federated_V1_EncryptedShare()
        m.sender = Int32(s.sender)
        m.recipient = Int32(s.recipient)
        m.ciphertext = s.ciphertext
        return m
    }

    private static func encryptedShare(_ m: Bulwark_Federated_V1_EncryptedShare) -> SecureAggregationMessage.EncryptedShares {
        .init(sender: Int(m.sender), recipient: Int(m.recipient), ciphertext: m.ciphertext)
    }

    private static func message(_ r: SecureAggregationMessage.RevealedShare) -> Bulwark_Federated_V1_RevealedShare {
        var m = Bulwark_Federated_V1_RevealedShare()
        m.owner = Int32(r.owner)
        m.share.x = r.share.x.value
        m.share.values = r.share.values.map(\.value)
        return m
    }

    private static func revealed(_ m: Bulwark_Federated_V1_RevealedShare) throws(FederatedError) -> SecureAggregationMessage.RevealedShare {
        guard m.share.values.count <= maximumShareValues else { throw FederatedError(.malformed, "a share with too many values") }
        do {
            let x = try MersenneField(exactly: m.share.x)
            var values: [MersenneField] = []
            for v in m.share.values { values.append(try MersenneField(exactly: v)) }
            return .init(owner: Int(m.owner), share: ShamirShare(x: x, values: values))
        } catch {
            throw FederatedError(.malformed, "a share value outside the field", underlying: error)
        }
    }
}
