public import BulwarkCrypto
public import Crypto
import Foundation

/// One client's side of SecAgg / SecAgg+ (Bonawitz et al. 2017; Bell et al. 2020): a state
/// machine that turns each server message into the client's next message, with no transport.
///
/// Call in order: ``advertiseKeys()``, ``shareKeys(_:)``, ``maskedInput(_:shares:)``,
/// ``unmask(_:)``; a call out of order throws `invalidParameter`. What the client does:
///
/// 1. Draws two X25519 key pairs (share encryption `c`, masking `s`) and a 32-byte self-mask seed
///    `b`, and signs both public keys with its long-term Ed25519 key.
/// 2. Verifies every neighbour's bundle against the caller-supplied long-term public keys (a key
///    the server substituted fails: `verificationFailed`), Shamir-shares `b` and the private
///    masking key among its shareholders and encrypts each neighbour's pair of shares with
///    AES-256-GCM under HKDF-SHA256 of the X25519 agreement of the `c` keys.
/// 3. Decrypts the shares routed to it (a tampered ciphertext: `verificationFailed`), quantises
///    its input and adds, modulo 2ᵏ, the ChaCha20 stream of `b` and, for each neighbour `j` that
///    shared keys, ± the ChaCha20 stream seeded by HKDF-SHA256 of the agreement of the `s` keys
///    (+ when its number is below `j`'s, − above), so pairwise masks cancel in the sum.
/// 4. Answers the unmasking request once: for each shareholder-peer that survived, its share of
///    that peer's `b`; for each that dropped, its share of that peer's masking key — never both
///    for one peer (a request naming a peer as both: `verificationFailed`).
///
/// Threat model: clients and server follow the protocol but may collude to learn inputs
/// (semi-honest), plus a server that substitutes advertised keys (stopped by the signatures).
/// The consistency-check round of Bonawitz et al.'s actively secure variant, which makes clients
/// sign the survivor list, is not implemented.
///
/// Secrets stay in this value (its keys in swift-crypto's key types); randomness comes from the
/// system unless a seed is given (tests and simulations only: a seed must be secret and fresh).
///
/// ```swift
/// let configuration = try SecureAggregationConfiguration(
///     roundID: 7, clientCount: 3, threshold: 2, vectorLength: 2,
///     quantizer: FixedPointQuantizer(clipRange: 4, maxSummands: 3))
/// let signingKeys = (0..<3).map { _ in SecureAggregationClient.SigningKey() }
/// let directory = Dictionary(uniqueKeysWithValues: signingKeys.enumerated().map { ($0.offset, $0.element.publicKey) })
/// var server = SecureAggregationServer(configuration: configuration)
/// var clients = try (0..<3).map { try SecureAggregationClient(index: $0, configuration: configuration, signingKey: signingKeys[$0], peerSigningKeys: directory) }
/// for index in clients.indices { try server.receive(try clients[index].advertiseKeys()) }
/// for directory in try server.keyDirectories() { try server.receive(try clients[directory.recipient].shareKeys(directory)) }
/// for routed in try server.routedShares() {
///     try server.receive(try clients[routed.recipient].maskedInput([1, Float(routed.recipient)], shares: routed))
/// }
/// let request = try server.unmaskingRequest()
/// for client in request.survivors { try server.receive(try clients[client].unmask(request)) }
/// print(try server.finish().sum)  // ≈ [3.0, 3.0]
/// ```
public struct SecureAggregationClient: Sendable {
    /// A client's long-term Ed25519 private key, which signs its advertised keys.
    public typealias SigningKey = Curve25519.Signing.PrivateKey
    /// A peer's long-term Ed25519 public key, as the caller's PKI hands it out.
    public typealias SigningPublicKey = Curve25519.Signing.PublicKey

    private enum Phase: String, Sendable { case created, advertised, shared, masked, finished }

    /// This client's number.
    public let index: Int
    /// The round's public parameters.
    public let configuration: SecureAggregationConfiguration
    private let signingKey: Curve25519.Signing.PrivateKey
    private let peerSigningKeys: [Int: Curve25519.Signing.PublicKey]
    private var generator: ChaCha20Generator
    private var phase = Phase.created

    private var encryptionKey: Curve25519.KeyAgreement.PrivateKey?
    private var maskingKey: Curve25519.KeyAgreement.PrivateKey?
    private var selfMaskSeed: [UInt8] = []
    private var advertised: SecureAggregationMessage.AdvertiseKeys?
    /// Neighbours whose verified bundles arrived in round 1 (U1 ∩ N(i)).
    private var peerBundles: [Int: SecureAggregationMessage.AdvertiseKeys] = [:]
    /// Shares this client holds: per owner (itself included), of the self-mask seed and masking key.
    private var heldSelfMaskShares: [Int: ShamirShare] = [:]
    private var heldMaskingKeyShares: [Int: ShamirShare] = [:]
    /// Neighbours whose shares arrived in round 2, itself included (U2 as this client saw it).
    private var sharingPeers: Set<Int> = []
    /// The AES-GCM keys agreed with each neighbour in round 2, reused to open its shares.
    private var shareEncryptionKeys: [Int: SymmetricKey] = [:]

    /// A client numbered `index` that signs with `signingKey` and trusts, for each peer number,
    /// the long-term public key in `peerSigningKeys` (the caller's PKI).
    ///
    /// Throws `invalidParameter` when `index` is not a client of `configuration` or a neighbour
    /// has no key in `peerSigningKeys`, and when `seed` is given but is not 32 bytes.
    public init(index: Int, configuration: SecureAggregationConfiguration, signingKey: Curve25519.Signing.PrivateKey,
                peerSigningKeys: [Int: Curve25519.Signing.PublicKey], seed: [UInt8]? = nil) throws(FederatedError) {
        guard (0..<configuration.clientCount).contains(index) else {
            throw FederatedError(.invalidParameter, "client \(index) of a round of \(configuration.clientCount)")
        }
        for neighbour in configuration.neighbours(of: index) where peerSigningKeys[neighbour] == nil {
            throw FederatedError(.invalidParameter, "client \(index) has no signing public key for its neighbour \(neighbour)")
        }
        if let seed {
            do { generator = try ChaCha20Generator(seed: seed) } catch { throw FederatedError(.invalidParameter, "client seed", underlying: error) }
        } else {
            generator = ChaCha20Generator()
        }
        self.index = index
        self.configuration = configuration
        self.signingKey = signingKey
        self.peerSigningKeys = peerSigningKeys
    }

    /// Round 1: fresh key pairs and a self-mask seed, the public keys signed.
    public mutating func advertiseKeys() throws(FederatedError) -> SecureAggregationMessage.AdvertiseKeys {
        try expect(.created, "advertise keys")
        let encryption: Curve25519.KeyAgreement.PrivateKey
        let masking: Curve25519.KeyAgreement.PrivateKey
        do {
            encryption = try Curve25519.KeyAgreement.PrivateKey(rawRepresentation: generator.bytes(count: 32))
            masking = try Curve25519.KeyAgreement.PrivateKey(rawRepresentation: generator.bytes(count: 32))
        } catch { throw FederatedError(.invalidParameter, "cannot make X25519 keys", underlying: error) }
        selfMaskSeed = generator.bytes(count: SecureAggregationPrimitives.secretByteCount)
        let encryptionPublic = encryption.publicKey.rawRepresentation, maskingPublic = masking.publicKey.rawRepresentation
        let signed = SecureAggregationPrimitives.advertisedKeysMessage(roundID: configuration.roundID, client: index,
                                                                      encryptionKey: encryptionPublic, maskingKey: maskingPublic)
        let signature: Data
        do { signature = try signingKey.signature(for: signed) } catch { throw FederatedError(.invalidParameter, "cannot sign the advertised keys", underlying: error) }
        let message = SecureAggregationMessage.AdvertiseKeys(client: index, encryptionKey: encryptionPublic, maskingKey: maskingPublic, signature: signature)
        encryptionKey = encryption
        maskingKey = masking
        advertised = message
        phase = .advertised
        return message
    }

    /// Round 2: verifies the neighbours' signed keys, then shares the self-mask seed and the
    /// masking key among the shareholders and encrypts each neighbour's shares.
    ///
    /// Throws `verificationFailed` for a bundle whose signature does not verify under the
    /// peer's long-term key (a substituted key) or that differs from the one this client sent,
    /// `malformed` for a bundle from a non-neighbour, twice, or with keys of the wrong size, and
    /// `notEnoughClients` when fewer than the threshold of shareholders remain.
    public mutating func shareKeys(_ directory: SecureAggregationMessage.KeyDirectory) throws(FederatedError) -> SecureAggregationMessage.ShareKeys {
        try expect(.advertised, "share keys")
        guard directory.recipient == index else { throw FederatedError(.malformed, "key directory for client \(directory.recipient) sent to client \(index)") }
        guard let advertised, let encryptionKey, let maskingKey else { throw FederatedError(.invalidParameter, "client \(index) has no keys") }
        let neighbours = Set(configuration.neighbours(of: index))
        var bundles: [Int: SecureAggregationMessage.AdvertiseKeys] = [:]
        var sawOwn = false
        for bundle in directory.bundles {
            if bundle.client == index {
                guard bundle == advertised, !sawOwn else {
                    throw FederatedError(.verificationFailed, "client \(index): the directory holds a key bundle for this client that it did not send")
                }
                sawOwn = true
                continue
            }
            guard neighbours.contains(bundle.client) else { throw FederatedError(.malformed, "client \(index): key bundle from client \(bundle.client), not a neighbour") }
            guard bundles[bundle.client] == nil else { throw FederatedError(.malformed, "client \(index): two key bundles from client \(bundle.client)") }
            try verify(bundle)
            bundles[bundle.client] = bundle
        }
        guard sawOwn else { throw FederatedError(.verificationFailed, "client \(index): the directory leaves out this client's own keys") }
        let shareholders = ([index] + bundles.keys).sorted()
        guard shareholders.count >= configuration.threshold else {
            throw FederatedError(.notEnoughClients, "client \(index): \(shareholders.count) shareholders advertised keys, the threshold is \(configuration.threshold)")
        }
        let points = shareholders.map { UInt64($0 + 1) }
        let selfMaskShares: [ShamirShare], maskingKeyShares: [ShamirShare]
        do {
            selfMaskShares = try ShamirSecretSharing.split(bytes: selfMaskSeed, threshold: configuration.threshold, at: points, using: &generator)
            maskingKeyShares = try ShamirSecretSharing.split(bytes: Array(maskingKey.rawRepresentation), threshold: configuration.threshold, at: points, using: &generator)
        } catch { throw FederatedError(.invalidParameter, "client \(index): cannot share its secrets", underlying: error) }
        var out: [SecureAggregationMessage.EncryptedShares] = []
        for (position, holder) in shareholders.enumerated() {
            if holder == index {
                heldSelfMaskShares[index] = selfMaskShares[position]
                heldMaskingKeyShares[index] = maskingKeyShares[position]
                continue
            }
            guard let bundle = bundles[holder] else { continue }
            let key = try shareKey(own: encryptionKey, peer: bundle)
            shareEncryptionKeys[holder] = key
            let plaintext = SecureAggregationPrimitives.sharePlaintext(sender: index, recipient: holder, selfMaskShare: selfMaskShares[position],
                                                                       maskingKeyShare: maskingKeyShares[position])
            let aad = SecureAggregationPrimitives.shareAssociatedData(roundID: configuration.roundID, sender: index, recipient: holder)
            do {
                let sealed = try AES.GCM.seal(plaintext, using: key, authenticating: aad)
                guard let combined = sealed.combined else { throw FederatedError(.invalidParameter, "AES-GCM gave no combined form") }
                out.append(.init(sender: index, recipient: holder, ciphertext: combined))
            } catch { throw FederatedError(.invalidParameter, "client \(index): cannot encrypt shares for client \(holder)", underlying: error) }
        }
        peerBundles = bundles
        phase = .shared
        return .init(client: index, shares: out)
    }

    /// Round 3: decrypts the routed shares, then masks `input` (clipped and quantised) with the
    /// self mask and the pairwise masks of the neighbours that shared keys.
    ///
    /// Throws `shapeMismatch` when `input` is not ``SecureAggregationConfiguration/vectorLength``
    /// long, `invalidParameter` for a non-finite value, `verificationFailed` for a ciphertext that
    /// does not decrypt or whose content names other clients, `malformed` for a ciphertext from
    /// a non-neighbour or twice from one, and `notEnoughClients` when fewer than the threshold
    /// of shareholders remain.
    public mutating func maskedInput(_ input: [Float], shares routed: SecureAggregationMessage.RoutedShares) throws(FederatedError) -> SecureAggregationMessage.MaskedInput {
        try expect(.shared, "mask its input")
        guard routed.recipient == index else { throw FederatedError(.malformed, "shares for client \(routed.recipient) sent to client \(index)") }
        guard input.count == configuration.vectorLength else {
            throw FederatedError(.shapeMismatch, "client \(index): input of \(input.count) values, the round aggregates \(configuration.vectorLength)")
        }
        guard let maskingKey else { throw FederatedError(.invalidParameter, "client \(index) has no keys") }
        var senders: Set<Int> = [index]
        var selfMaskShares = heldSelfMaskShares, maskingKeyShares = heldMaskingKeyShares
        for encrypted in routed.shares {
            guard encrypted.recipient == index else { throw FederatedError(.malformed, "client \(index): a ciphertext for client \(encrypted.recipient)") }
            guard let key = shareEncryptionKeys[encrypted.sender] else {
                throw FederatedError(.malformed, "client \(index): a ciphertext from client \(encrypted.sender), which did not advertise keys as its neighbour")
            }
            guard senders.insert(encrypted.sender).inserted else { throw FederatedError(.malformed, "client \(index): two ciphertexts from client \(encrypted.sender)") }
            let aad = SecureAggregationPrimitives.shareAssociatedData(roundID: configuration.roundID, sender: encrypted.sender, recipient: index)
            let plaintext: [UInt8]
            do {
                plaintext = Array(try AES.GCM.open(try AES.GCM.SealedBox(combined: encrypted.ciphertext), using: key, authenticating: aad))
            } catch {
                throw FederatedError(.verificationFailed, "client \(index): the shares from client \(encrypted.sender) fail authentication")
            }
            let expectedLength = 16 + 2 * SecureAggregationPrimitives.shareByteCount
            guard plaintext.count == expectedLength else { throw FederatedError(.malformed, "client \(index): shares from client \(encrypted.sender) of \(plaintext.count) bytes") }
            let header = SecureAggregationPrimitives.littleEndian(UInt64(encrypted.sender)) + SecureAggregationPrimitives.littleEndian(UInt64(index))
            guard Array(plaintext[0..<16]) == header else {
                throw FederatedError(.verificationFailed, "client \(index): the shares from client \(encrypted.sender) name other clients")
            }
            let selfShare = try SecureAggregationPrimitives.decodeShare(plaintext[16..<(16 + SecureAggregationPrimitives.shareByteCount)])
            let keyShare = try SecureAggregationPrimitives.decodeShare(plaintext[(16 + SecureAggregationPrimitives.shareByteCount)...])
            guard selfShare.x.value == UInt64(index + 1), keyShare.x.value == UInt64(index + 1) else {
                throw FederatedError(.verificationFailed, "client \(index): shares from client \(encrypted.sender) are for another point")
            }
            selfMaskShares[encrypted.sender] = selfShare
            maskingKeyShares[encrypted.sender] = keyShare
        }
        guard senders.count >= configuration.threshold else {
            throw FederatedError(.notEnoughClients, "client \(index): \(senders.count) shareholders shared keys, the threshold is \(configuration.threshold)")
        }
        let quantizer = configuration.quantizer
        var vector: [UInt64]
        do { vector = try quantizer.quantize(input) } catch { throw FederatedError(.invalidParameter, "client \(index): input", underlying: error) }
        try SecureAggregationPrimitives.applyMask(seed: selfMaskSeed, to: &vector, subtract: false, bitWidth: quantizer.bitWidth, mask: quantizer.mask)
        for peer in senders.sorted() where peer != index {
            guard let bundle = peerBundles[peer] else { continue }
            let seed = try pairwiseSeed(own: maskingKey, peerKey: bundle.maskingKey, peer: peer)
            try SecureAggregationPrimitives.applyMask(seed: seed, to: &vector, subtract: index > peer, bitWidth: quantizer.bitWidth, mask: quantizer.mask)
        }
        heldSelfMaskShares = selfMaskShares
        heldMaskingKeyShares = maskingKeyShares
        sharingPeers = senders
        phase = .masked
        return .init(client: index, values: SecureAggregationPrimitives.pack(vector, bitWidth: quantizer.bitWidth))
    }

    /// Round 3 for a model: masks `weights.flattened` (every tensor, scalars included).
    public mutating func maskedInput(_ weights: ModelWeights, shares routed: SecureAggregationMessage.RoutedShares) throws(FederatedError) -> SecureAggregationMessage.MaskedInput {
        try maskedInput(weights.flattened, shares: routed)
    }

    /// Round 4, answered once: for each shareholder-peer (and itself) among the survivors, its
    /// share of that client's self-mask seed; for each among the dropouts, its share of that
    /// client's masking key.
    ///
    /// Throws `verificationFailed` when the request names a client as both survivor and dropout,
    /// leaves out this client, or leaves out a peer whose shares this client holds, and
    /// `notEnoughClients` when fewer survivors than the threshold are named.
    public mutating func unmask(_ request: SecureAggregationMessage.UnmaskingRequest) throws(FederatedError) -> SecureAggregationMessage.UnmaskingResponse {
        try expect(.masked, "unmask")
        let survivors = Set(request.survivors), dropouts = Set(request.dropouts)
        guard survivors.count == request.survivors.count, dropouts.count == request.dropouts.count, survivors.isDisjoint(with: dropouts) else {
            throw FederatedError(.verificationFailed, "client \(index): the unmasking request names a client twice or as both survivor and dropout")
        }
        guard survivors.contains(index) else { throw FederatedError(.verificationFailed, "client \(index): the unmasking request does not name this client a survivor") }
        guard survivors.count >= configuration.threshold else {
            throw FederatedError(.notEnoughClients, "\(survivors.count) survivors, the threshold is \(configuration.threshold)")
        }
        var selfMaskShares: [SecureAggregationMessage.RevealedShare] = []
        var maskingKeyShares: [SecureAggregationMessage.RevealedShare] = []
        for peer in sharingPeers.sorted() {
            if survivors.contains(peer), let share = heldSelfMaskShares[peer] {
                selfMaskShares.append(.init(owner: peer, share: share))
            } else if dropouts.contains(peer), let share = heldMaskingKeyShares[peer] {
                maskingKeyShares.append(.init(owner: peer, share: share))
            } else {
                throw FederatedError(.verificationFailed, "client \(index): the unmasking request says nothing of client \(peer), which shared keys")
            }
        }
        phase = .finished
        shareEncryptionKeys = [:]
        heldSelfMaskShares = [:]
        heldMaskingKeyShares = [:]
        return .init(client: index, selfMaskShares: selfMaskShares, maskingKeyShares: maskingKeyShares)
    }

    private func expect(_ wanted: Phase, _ action: String) throws(FederatedError) {
        guard phase == wanted else {
            throw FederatedError(.invalidParameter, "client \(index) cannot \(action) in phase \(phase.rawValue) (expected \(wanted.rawValue))")
        }
    }

    private func verify(_ bundle: SecureAggregationMessage.AdvertiseKeys) throws(FederatedError) {
        guard let publicKey = peerSigningKeys[bundle.client] else {
            throw FederatedError(.verificationFailed, "client \(index): no signing key for client \(bundle.client)")
        }
        guard bundle.encryptionKey.count == 32, bundle.maskingKey.count == 32 else {
            throw FederatedError(.malformed, "client \(index): key bundle of client \(bundle.client) has keys of the wrong size")
        }
        let signed = SecureAggregationPrimitives.advertisedKeysMessage(roundID: configuration.roundID, client: bundle.client,
                                                                      encryptionKey: bundle.encryptionKey, maskingKey: bundle.maskingKey)
        guard publicKey.isValidSignature(bundle.signature, for: signed) else {
            throw FederatedError(.verificationFailed, "client \(index): the key bundle of client \(bundle.client) is not signed by its long-term key")
        }
    }

    private func shareKey(own: Curve25519.KeyAgreement.PrivateKey, peer bundle: SecureAggregationMessage.AdvertiseKeys) throws(FederatedError) -> SymmetricKey {
        do {
            let peerKey = try Curve25519.KeyAgreement.PublicKey(rawRepresentation: bundle.encryptionKey)
            return SecureAggregationPrimitives.shareEncryptionKey(try own.sharedSecretFromKeyAgreement(with: peerKey), roundID: configuration.roundID)
        } catch { throw FederatedError(.verificationFailed, "client \(index): no key agreement with client \(bundle.client)") }
    }

    private func pairwiseSeed(own: Curve25519.KeyAgreement.PrivateKey, peerKey: Data, peer: Int) throws(FederatedError) -> [UInt8] {
        do {
            let key = try Curve25519.KeyAgreement.PublicKey(rawRepresentation: peerKey)
            return SecureAggregationPrimitives.pairwiseMaskSeed(try own.sharedSecretFromKeyAgreement(with: key), roundID: configuration.roundID)
        } catch { throw FederatedError(.verificationFailed, "client \(index): no key agreement with client \(peer)") }
    }
}
