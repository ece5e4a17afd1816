public import BulwarkCrypto
import Crypto
import Foundation

/// The sum a secure-aggregation round produced, and who contributed to it.
public struct SecureAggregationResult: Sendable, Hashable, Codable {
    /// The dequantised sum of the survivors' clipped inputs (within the quantiser's error bound).
    public var sum: [Float]
    /// Clients whose inputs are in the sum, ascending.
    public var survivors: [Int]
    /// Clients that shared keys but whose inputs are not in the sum, ascending.
    public var dropouts: [Int]

    /// A result holding `sum` of `survivors`' inputs.
    public init(sum: [Float], survivors: [Int], dropouts: [Int]) {
        self.sum = sum
        self.survivors = survivors
        self.dropouts = dropouts
    }

    /// The sum laid out as `template` (its names and shapes, scalars included); throws
    /// `shapeMismatch` when the counts differ.
    public func sum(shapedAs template: ModelWeights) throws(FederatedError) -> ModelWeights {
        try template.replacing(with: sum)
    }

    /// The survivors' mean, `sum / survivors.count`, laid out as `template`.
    public func mean(shapedAs template: ModelWeights) throws(FederatedError) -> ModelWeights {
        let count = Float(max(1, survivors.count))
        return try template.replacing(with: sum.map { $0 / count })
    }
}

/// The server's side of SecAgg / SecAgg+: collects each round's messages, decides who goes on,
/// routes what it cannot read and, at the end, removes the masks to get the sum of the survivors'
/// inputs — and nothing about any single input.
///
/// Each round is `receive` for every message that arrives (in any order), then the call that
/// closes the round: ``keyDirectories()``, ``routedShares()``, ``unmaskingRequest()``,
/// ``finish()``. A client whose message has not arrived when a round closes has dropped. A
/// round closed with fewer clients than the threshold throws `notEnoughClients`; so does
/// ``finish()`` when fewer than the threshold of some client's shareholders answered.
///
/// The server checks the structure of what it relays (numbers, lengths, duplicates) but trusts
/// nothing it cannot check: clients verify signatures and ciphertexts themselves. A dropped
/// client's reconstructed masking key is checked against the public key it advertised
/// (`verificationFailed` when a shareholder sent a wrong share).
///
/// Cost: unmasking expands one ChaCha20 stream per survivor and one per (dropout, surviving
/// neighbour) pair, each as long as the vector; Lagrange interpolation per client is `O(t²)`.
/// See ``SecureAggregationClient`` for a whole round in code.
public struct SecureAggregationServer: Sendable {
    private enum Phase: String, Sendable { case advertising, sharing, masking, unmasking, finished }

    /// The round's public parameters.
    public let configuration: SecureAggregationConfiguration
    private var phase = Phase.advertising
    private var bundles: [Int: SecureAggregationMessage.AdvertiseKeys] = [:]
    private var shareMessages: [Int: SecureAggregationMessage.ShareKeys] = [:]
    private var maskedInputs: [Int: [UInt64]] = [:]
    private var responses: [Int: SecureAggregationMessage.UnmaskingResponse] = [:]
    private var request: SecureAggregationMessage.UnmaskingRequest?

    /// A server for the round `configuration` describes.
    public init(configuration: SecureAggregationConfiguration) {
        self.configuration = configuration
    }

    /// Round 1: a client's advertised keys. Throws `malformed` for an unknown client or a second
    /// bundle, `invalidParameter` once the round is closed.
    public mutating func receive(_ message: SecureAggregationMessage.AdvertiseKeys) throws(FederatedError) {
        try expect(.advertising, "advertised keys")
        try checkClient(message.client)
        guard bundles[message.client] == nil else { throw FederatedError(.malformed, "client \(message.client) advertised keys twice") }
        bundles[message.client] = message
    }

    /// Closes round 1: for each client that advertised, the bundles of its neighbours that did
    /// (and its own). Throws `notEnoughClients` below the threshold.
    public mutating func keyDirectories() throws(FederatedError) -> [SecureAggregationMessage.KeyDirectory] {
        try expect(.advertising, "close key advertisement")
        try require(bundles.count, "advertised keys")
        phase = .sharing
        return bundles.keys.sorted().map { client in
            .init(recipient: client, bundles: configuration.shareholders(of: client).compactMap { bundles[$0] })
        }
    }

    /// Round 2: a client's encrypted shares. Throws `malformed` for a client that did not
    /// advertise, a second message, or a ciphertext not from the sender or not for one of its
    /// neighbours that advertised.
    public mutating func receive(_ message: SecureAggregationMessage.ShareKeys) throws(FederatedError) {
        try expect(.sharing, "shares")
        guard bundles[message.client] != nil else { throw FederatedError(.malformed, "shares from client \(message.client), which did not advertise keys") }
        guard shareMessages[message.client] == nil else { throw FederatedError(.malformed, "client \(message.client) sent shares twice") }
        var recipients = Set<Int>()
        for share in message.shares {
            guard share.sender == message.client, configuration.areNeighbours(share.sender, share.recipient), bundles[share.recipient] != nil,
                  recipients.insert(share.recipient).inserted else {
                throw FederatedError(.malformed, "client \(message.client) sent a ciphertext from \(share.sender) for \(share.recipient)")
            }
        }
        shareMessages[message.client] = message
    }

    /// Closes round 2: for each client that sent shares, the ciphertexts addressed to it by the
    /// others that did. Throws `notEnoughClients` below the threshold.
    public mutating func routedShares() throws(FederatedError) -> [SecureAggregationMessage.RoutedShares] {
        try expect(.sharing, "close share routing")
        try require(shareMessages.count, "sent shares")
        phase = .masking
        var inbox: [Int: [SecureAggregationMessage.EncryptedShares]] = [:]
        for sender in shareMessages.keys.sorted() {
            for share in shareMessages[sender]?.shares ?? [] where shareMessages[share.recipient] != nil {
                inbox[share.recipient, default: []].append(share)
            }
        }
        return shareMessages.keys.sorted().map { .init(recipient: $0, shares: inbox[$0] ?? []) }
    }

    /// Round 3: a client's masked input. Throws `malformed` for a client that did not send
    /// shares or sent twice, `shapeMismatch` for a vector of the wrong length.
    public mutating func receive(_ message: SecureAggregationMessage.MaskedInput) throws(FederatedError) {
        try expect(.masking, "masked inputs")
        guard shareMessages[message.client] != nil else { throw FederatedError(.malformed, "masked input from client \(message.client), which sent no shares") }
        guard maskedInputs[message.client] == nil else { throw FederatedError(.malformed, "client \(message.client) sent its masked input twice") }
        let quantizer = configuration.quantizer
        maskedInputs[message.client] = try SecureAggregationPrimitives.unpack(message.values, count: configuration.vectorLength, bitWidth: quantizer.bitWidth,
                                                                             mask: quantizer.mask, client: message.client)
    }

    /// Closes round 3: the survivors (who sent masked inputs) and the dropouts (who sent shares
    /// but no input), one request for every survivor. Throws `notEnoughClients` below the threshold.
    public mutating func unmaskingRequest() throws(FederatedError) -> SecureAggregationMessage.UnmaskingRequest {
        try expect(.masking, "close masked-input collection")
        try require(maskedInputs.count, "sent masked inputs")
        phase = .unmasking
        let survivors = maskedInputs.keys.sorted()
        let dropouts = shareMessages.keys.filter { maskedInputs[$0] == nil }.sorted()
        let request = SecureAggregationMessage.UnmaskingRequest(survivors: survivors, dropouts: dropouts)
        self.request = request
        return request
    }

    /// Round 4: a survivor's revealed shares. Throws `malformed` for a client that is not a
    /// survivor, a second response, or a share for a client it does not hold shares of.
    public mutating func receive(_ message: SecureAggregationMessage.UnmaskingResponse) throws(FederatedError) {
        try expect(.unmasking, "unmasking responses")
        guard maskedInputs[message.client] != nil else { throw FederatedError(.malformed, "unmasking response from client \(message.client), not a survivor") }
        guard responses[message.client] == nil else { throw FederatedError(.malformed, "client \(message.client) answered the unmasking request twice") }
        let holdable = Set(configuration.shareholders(of: message.client))
        for revealed in message.selfMaskShares + message.maskingKeyShares {
            guard holdable.contains(revealed.owner), revealed.share.x.value == UInt64(message.client + 1) else {
                throw FederatedError(.malformed, "client \(message.client) revealed a share of client \(revealed.owner) it cannot hold")
            }
        }
        responses[message.client] = message
    }

    /// Closes round 4: reconstructs each survivor's self-mask seed and each dropout's masking
    /// key from the revealed shares, removes every mask and dequantises the sum.
    ///
    /// Throws `notEnoughClients` when fewer than the threshold of shares of some client's secret
    /// arrived, `verificationFailed` when shares do not reconstruct a 32-byte secret or a
    /// reconstructed masking key does not match its advertised public key (a shareholder lied;
    /// a wrong self-mask share is not detected this way — it leaves a wrong sum), and `malformed` when the unmasked sum is
    /// outside what the survivors' clipped inputs can add up to.
    public mutating func finish() throws(FederatedError) -> SecureAggregationResult {
        try expect(.unmasking, "finish")
        guard let request else { throw FederatedError(.invalidParameter, "no unmasking request was made") }
        try require(responses.count, "answered the unmasking request")
        let quantizer = configuration.quantizer, threshold = configuration.threshold
        var sum = [UInt64](repeating: 0, count: configuration.vectorLength)
        for client in request.survivors {
            guard let input = maskedInputs[client] else { continue }
            sum.withUnsafeMutableBufferPointer { out in
                input.withUnsafeBufferPointer { values in
                    for index in 0..<out.count { out[index] = (out[index] &+ values[index]) & quantizer.mask }
                }
            }
        }
        var selfMaskShares: [Int: [ShamirShare]] = [:], maskingKeyShares: [Int: [ShamirShare]] = [:]
        for responder in responses.keys.sorted() {
            guard let response = responses[responder] else { continue }
            for revealed in response.selfMaskShares { selfMaskShares[revealed.owner, default: []].append(revealed.share) }
            for revealed in response.maskingKeyShares { maskingKeyShares[revealed.owner, default: []].append(revealed.share) }
        }
        for client in request.survivors {
            let seed = try reconstruct(selfMaskShares[client] ?? [], of: client, what: "self-mask seed", threshold: threshold)
            try SecureAggregationPrimitives.applyMask(seed: seed, to: &sum, subtract: true, bitWidth: quantizer.bitWidth, mask: quantizer.mask)
        }
        let survivors = Set(request.survivors)
        for dropped in request.dropouts {
            let raw = try reconstruct(maskingKeyShares[dropped] ?? [], of: dropped, what: "masking key", threshold: threshold)
            guard let bundle = bundles[dropped],
                  let key = try? Curve25519.KeyAgreement.PrivateKey(rawRepresentation: raw),
                  key.publicKey.rawRepresentation == bundle.maskingKey else {
                throw FederatedError(.verificationFailed, "the masking key of dropped client \(dropped) does not match the key it advertised: a shareholder sent a wrong share")
            }
            // Every surviving neighbour that received the dropped client's shares added its mask.
            for neighbour in configuration.neighbours(of: dropped) where survivors.contains(neighbour) {
                let received = shareMessages[dropped]?.shares.contains { $0.recipient == neighbour } ?? false
                guard received, let peer = bundles[neighbour] else { continue }
                let seed: [UInt8]
                do {
                    let peerKey = try Curve25519.KeyAgreement.PublicKey(rawRepresentation: peer.maskingKey)
                    seed = SecureAggregationPrimitives.pairwiseMaskSeed(try key.sharedSecretFromKeyAgreement(with: peerKey), roundID: configuration.roundID)
                } catch { throw FederatedError(.verificationFailed, "no key agreement between clients \(dropped) and \(neighbour)") }
                // The neighbour added +mask when its number is below the dropped client's, −mask above.
                try SecureAggregationPrimitives.applyMask(seed: seed, to: &sum, subtract: neighbour < dropped, bitWidth: quantizer.bitWidth, mask: quantizer.mask)
            }
        }
        let values: [Float]
        do { values = try quantizer.dequantize(sum: sum, summands: request.survivors.count) } catch {
            throw FederatedError(.malformed, "the unmasked sum is not a sum of \(request.survivors.count) clipped inputs", underlying: error)
        }
        phase = .finished
        return SecureAggregationResult(sum: values, survivors: request.survivors, dropouts: request.dropouts)
    }

    private func reconstruct(_ shares: [ShamirShare], of client: Int, what: String, threshold: Int) throws(FederatedError) -> [UInt8] {
        guard shares.count >= threshold else {
            throw FederatedError(.notEnoughClients, "\(shares.count) shares of the \(what) of client \(client) arrived, the threshold is \(threshold)")
        }
        do {
            return try ShamirSecretSharing.reconstructBytes(from: shares, threshold: threshold, byteCount: SecureAggregationPrimitives.secretByteCount)
        } catch {
            // The shares were checked for count and points on arrival: what is left is shares
            // that do not lie on one polynomial of a 32-byte secret.
            throw FederatedError(.verificationFailed, "the shares of the \(what) of client \(client) are inconsistent: a shareholder sent a wrong share",
                                 underlying: error)
        }
    }

    private func expect(_ wanted: Phase, _ what: String) throws(FederatedError) {
        guard phase == wanted else {
            throw FederatedError(.invalidParameter, "the server cannot take \(what) in phase \(phase.rawValue) (expected \(wanted.rawValue))")
        }
    }

    private func checkClient(_ client: Int) throws(FederatedError) {
        guard (0..<configuration.clientCount).contains(client) else {
            throw FederatedError(.malformed, "client \(client) is not one of the round's \(configuration.clientCount)")
        }
    }

    private func require(_ count: Int, _ what: String) throws(FederatedError) {
        guard count >= configuration.threshold else {
            throw FederatedError(.notEnoughClients, "\(count) clients \(what), the threshold is \(configuration.threshold)")
        }
    }
}
