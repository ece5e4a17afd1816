import BulwarkCrypto
import BulwarkData
import Crypto

/// The client side of Flower's SecAgg+ protocol (`flwr.client.mod.secaggplus_mod`, run by a
/// ServerApp's `SecAggPlusWorkflow`; Bell et al. 2020, "Secure Single-Server Aggregation with
/// (Poly)Logarithmic Overhead"), bit-compatible with Python nodes in the same round.
///
/// Four train messages carry a `secaggplus_configs` record whose `stage` names the step:
///
/// - `setup`: the parameters (share count, threshold, clipping and quantisation ranges, modulus,
///   maximum weight); the node makes two P-384 key pairs and answers with their public keys
///   (PEM SubjectPublicKeyInfo) as `pk1`, `pk2`.
/// - `share_keys`: the neighbours' public keys; the node draws a 32-byte mask seed, splits it and
///   its first private key (PEM PKCS#8) with Shamir over GF(2¹²⁸) (``GF128SecretSharing``) and
///   sends each neighbour its two shares encrypted with Fernet under
///   base64url(HKDF-SHA256(ECDH(sk2, pk2′))) (`dsts`, `ctxts`).
/// - `collect_masked_vectors`: the legacy fit instructions plus the shares addressed to this
///   node; the node decrypts and checks them, trains, quantises `[w, w·params]` stochastically,
///   adds its private mask and the pairwise masks (numpy's MT19937, ``NumpyLegacyRandomState``,
///   seeded as Flower's `pseudo_rand_gen`) modulo the modulus and sends the int64 `.npy`
///   vectors as `masked_params`; the usual `fitres.*` records go along with empty parameters.
/// - `unmask`: the surviving and dropped neighbours; the node returns its shares of the
///   survivors' mask seeds and the dropped nodes' first private keys (`nids`, `shares`).
///
/// The masks come from numpy's Mersenne Twister seeded with 32 bits, as Flower's own nodes draw
/// them: this is Flower's protocol reproduced for compatibility, **not** a cryptographically
/// strong masking; Bulwark's own secure aggregation (`bulwark fl serve --secure-aggregation`) uses ChaCha20.
/// A malformed or out-of-order message is rejected with a one-line error and leaves the state
/// as it was.
struct FlowerSecAggPlusState: Sendable {
    /// The protocol's stages in order (Flower's `Stage.all()`).
    enum Stage: String, Sendable, CaseIterable {
        case setup
        case shareKeys = "share_keys"
        case collectMaskedVectors = "collect_masked_vectors"
        case unmask
    }

    /// The record that carries the stage's configuration and the node's answer.
    static let recordName = "secaggplus_configs"
    /// The most neighbours (and so shares) a setup may ask for.
    static let maximumShareCount = 4096

    var stage: Stage = .unmask
    var nodeID: UInt64 = 0
    var shareCount = 0
    var threshold = 0
    var clippingRange = 0.0
    var targetRange: Int64 = 0
    var modRange: Int64 = 0
    var maxWeight = 0.0
    var sk1: P384.KeyAgreement.PrivateKey?
    var pk1: [UInt8] = []
    var sk2: P384.KeyAgreement.PrivateKey?
    var pk2: [UInt8] = []
    var maskSeed: [UInt8] = []
    var seedShares: [UInt64: [UInt8]] = [:]
    var keyShares: [UInt64: [UInt8]] = [:]
    var sharedKeys2: [UInt64: [UInt8]] = [:]
    var publicKeys: [UInt64: (pk1: [UInt8], pk2: [UInt8])] = [:]

    /// The stage a message's SecAgg+ record asks for, or nil when the message has none.
    static func requestedStage(in content: FlowerRecordDict) throws(FederatedError) -> Stage? {
        guard let record = content[recordName] else { return nil }
        guard case .config(let items) = record else { throw FederatedError(.malformed, "Flower SecAgg+: \(recordName) is not a ConfigRecord") }
        guard let value = items.first(where: { $0.name == "stage" })?.value else {
            throw FederatedError(.malformed, "Flower SecAgg+: the required key 'stage' is missing")
        }
        guard case .string(let text) = value else { throw FederatedError(.malformed, "Flower SecAgg+: 'stage' is not a string") }
        guard let stage = Stage(rawValue: text) else { throw FederatedError(.malformed, "Flower SecAgg+: unknown stage '\(text.prefix(40))'") }
        return stage
    }

    /// Checks that `next` may follow the current stage (setup may always restart the protocol).
    func checkTransition(to next: Stage) throws(FederatedError) {
        guard next != .setup else { return }
        let all = Stage.allCases
        let expected = all[(all.firstIndex(of: stage)! + 1) % all.count]
        guard next == expected else {
            throw FederatedError(.invalidParameter, "Flower SecAgg+: expected the \(expected.rawValue) stage, received \(next.rawValue)")
        }
    }

    // MARK: setup

    /// The `setup` stage: reads the parameters, makes both key pairs; returns `pk1`, `pk2`.
    mutating func setup(_ config: [(name: String, value: FlowerConfigValue)], nodeID: UInt64) throws(FederatedError) -> [(name: String, value: FlowerConfigValue)] {
        let find = { (key: String) -> FlowerConfigValue? in config.first { $0.name == key }?.value }
        func integer(_ key: String) throws(FederatedError) -> Int64 {
            switch find(key) {
            case .int(let v)?: return v
            case .uint(let v)? where v <= UInt64(Int64.max): return Int64(v)
            case nil: throw FederatedError(.malformed, "Flower SecAgg+ setup: the required key '\(key)' is missing")
            default: throw FederatedError(.malformed, "Flower SecAgg+ setup: '\(key)' must be an integer")
            }
        }
        func real(_ key: String) throws(FederatedError) -> Double {
            switch find(key) {
            case .double(let v)?: return v
            case nil: throw FederatedError(.malformed, "Flower SecAgg+ setup: the required key '\(key)' is missing")
            default: throw FederatedError(.malformed, "Flower SecAgg+ setup: '\(key)' must be a float")
            }
        }
        _ = try integer("sample_num")
        let shares = try integer("share_num"), threshold = try integer("threshold")
        let clipping = try real("clipping_range"), target = try integer("target_range"), modulus = try integer("mod_range")
        let maxWeight = try real("max_weight")
        guard shares >= 1, shares <= Int64(Self.maximumShareCount) else {
            throw FederatedError(.invalidParameter, "Flower SecAgg+ setup: share_num \(shares) is outside 1 ... \(Self.maximumShareCount)")
        }
        guard threshold >= 1, threshold <= shares else {
            throw FederatedError(.invalidParameter, "Flower SecAgg+ setup: threshold \(threshold) is outside 1 ... share_num \(shares)")
        }
        guard clipping.isFinite, clipping > 0 else { throw FederatedError(.invalidParameter, "Flower SecAgg+ setup: clipping_range must be a positive number") }
        guard target >= 1, target <= Int64(Int32.max) else {
            throw FederatedError(.invalidParameter, "Flower SecAgg+ setup: target_range \(target) is outside 1 ... 2^31 - 1")
        }
        guard modulus >= 2 else { throw FederatedError(.invalidParameter, "Flower SecAgg+ setup: mod_range \(modulus) must be at least 2") }
        guard maxWeight.isFinite, maxWeight > 0 else { throw FederatedError(.invalidParameter, "Flower SecAgg+ setup: max_weight must be a positive number") }

        self = FlowerSecAggPlusState()
        stage = .setup
        self.nodeID = nodeID
        shareCount = Int(shares)
        self.threshold = Int(threshold)
        clippingRange = clipping
        targetRange = target
        modRange = modulus
        self.maxWeight = maxWeight
        let first = P384.KeyAgreement.PrivateKey(), second = P384.KeyAgreement.PrivateKey()
        sk1 = first
        sk2 = second
        pk1 = Array((first.publicKey.pemRepresentation + "\n").utf8)
        pk2 = Array((second.publicKey.pemRepresentation + "\n").utf8)
        return [("pk1", .bytes(pk1)), ("pk2", .bytes(pk2))]
    }

    // MARK: share_keys

    /// The `share_keys` stage: checks the neighbours' keys, shares the mask seed and `sk1`;
    /// returns `dsts` and `ctxts`.
    mutating func shareKeys(_ config: [(name: String, value: FlowerConfigValue)]) throws(FederatedError) -> [(name: String, value: FlowerConfigValue)] {
        guard let sk1, let sk2 else { throw FederatedError(.invalidParameter, "Flower SecAgg+ share_keys: no keys from a setup stage") }
        var order: [UInt64] = []
        var keys: [UInt64: (pk1: [UInt8], pk2: [UInt8])] = [:]
        for (name, value) in config where name != "stage" {
            guard let id = UInt64(name) else { throw FederatedError(.malformed, "Flower SecAgg+ share_keys: key '\(name.prefix(40))' is not a node id") }
            guard case .byteStrings(let pair) = value, pair.count == 2 else {
                throw FederatedError(.malformed, "Flower SecAgg+ share_keys: the value for node \(id) must be a list of two bytes")
            }
            if keys.updateValue((pair[0], pair[1]), forKey: id) == nil { order.append(id) }
        }
        guard keys.count >= threshold else {
            throw FederatedError(.invalidParameter, "Flower SecAgg+ share_keys: \(keys.count) neighbours, fewer than the threshold \(threshold)")
        }
        guard keys.count <= shareCount else {
            throw FederatedError(.invalidParameter, "Flower SecAgg+ share_keys: \(keys.count) neighbours but only \(shareCount) shares")
        }
        let all = keys.values.flatMap { [$0.pk1, $0.pk2] }
        guard Set(all).count == all.count else { throw FederatedError(.invalidParameter, "Flower SecAgg+ share_keys: some public keys are identical") }
        guard let own = keys[nodeID], own.pk1 == pk1, own.pk2 == pk2 else {
            throw FederatedError(.invalidParameter, "Flower SecAgg+ share_keys: this node's own public keys are missing or altered")
        }

        var generator = SystemRandomNumberGenerator()
        let seed = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let seedShareList: [[UInt8]], keyShareList: [[UInt8]]
        do {
            seedShareList = try GF128SecretSharing.split(bytes: seed, threshold: threshold, count: shareCount, using: &generator)
            keyShareList = try GF128SecretSharing.split(bytes: Array((sk1.pemRepresentation + "\n").utf8), threshold: threshold,
                                                        count: shareCount, using: &generator)
        } catch { throw FederatedError(.invalidParameter, "Flower SecAgg+ share_keys: \(error.message)") }

        var next = self
        next.maskSeed = seed
        next.publicKeys = keys
        var destinations: [UInt64] = [], ciphertexts: [[UInt8]] = []
        for (index, id) in order.enumerated() {
            if id == nodeID {
                next.seedShares[id] = seedShareList[index]
                next.keyShares[id] = keyShareList[index]
                continue
            }
            let shared = try Self.sharedKey(sk2, peerPEM: keys[id]!.pk2, peer: id)
            next.sharedKeys2[id] = shared
            var plaintext = [UInt8]()
            withUnsafeBytes(of: nodeID.littleEndian) { plaintext.append(contentsOf: $0) }
            withUnsafeBytes(of: id.littleEndian) { plaintext.append(contentsOf: $0) }
            withUnsafeBytes(of: UInt32(seedShareList[index].count).littleEndian) { plaintext.append(contentsOf: $0) }
            plaintext += seedShareList[index]
            plaintext += keyShareList[index]
            do {
                ciphertexts.append(try Fernet(base64URLKey: shared).encrypt(plaintext))
            } catch { throw FederatedError(.invalidParameter, "Flower SecAgg+ share_keys: \(error.message)") }
            destinations.append(id)
        }
        self = next
        return [("dsts", Self.idList(destinations)), ("ctxts", .byteStrings(ciphertexts))]
    }

    // MARK: collect_masked_vectors

    /// The first half of `collect_masked_vectors`: decrypts and checks the shares addressed to
    /// this node; returns the neighbours whose shares arrived, in order.
    mutating func receiveShares(_ config: [(name: String, value: FlowerConfigValue)]) throws(FederatedError) -> [UInt64] {
        guard sk1 != nil, !maskSeed.isEmpty else {
            throw FederatedError(.invalidParameter, "Flower SecAgg+ collect_masked_vectors: no keys shared in a share_keys stage")
        }
        let find = { (key: String) -> FlowerConfigValue? in config.first { $0.name == key }?.value }
        let ciphertexts: [[UInt8]]
        switch find("ctxts") {
        case .byteStrings(let list)?: ciphertexts = list
        case let value? where Self.isEmptyList(value): ciphertexts = []
        case nil: throw FederatedError(.malformed, "Flower SecAgg+ collect_masked_vectors: the required key 'ctxts' is missing")
        default: throw FederatedError(.malformed, "Flower SecAgg+ collect_masked_vectors: 'ctxts' must be a list of bytes")
        }
        guard let sourceValue = find("srcs") else {
            throw FederatedError(.malformed, "Flower SecAgg+ collect_masked_vectors: the required key 'srcs' is missing")
        }
        let sources = try Self.ids(sourceValue, key: "srcs")
        guard sources.count == ciphertexts.count else {
            throw FederatedError(.malformed, "Flower SecAgg+ collect_masked_vectors: \(sources.count) sources for \(ciphertexts.count) ciphertexts")
        }
        guard ciphertexts.count + 1 >= threshold else {
            throw FederatedError(.invalidParameter, "Flower SecAgg+ collect_masked_vectors: \(ciphertexts.count) neighbours' shares, too few for threshold \(threshold)")
        }
        var next = self
        for (source, ciphertext) in zip(sources, ciphertexts) {
            guard let key = sharedKeys2[source] else {
                throw FederatedError(.invalidParameter, "Flower SecAgg+ collect_masked_vectors: shares from node \(source), which is no neighbour")
            }
            let plaintext: [UInt8]
            do { plaintext = try Fernet(base64URLKey: key).decrypt(ciphertext) } catch {
                throw FederatedError(.invalidParameter, "Flower SecAgg+ collect_masked_vectors: the shares from node \(source) do not decrypt")
            }
            guard plaintext.count >= 20 else {
                throw FederatedError(.malformed, "Flower SecAgg+ collect_masked_vectors: the shares from node \(source) are truncated")
            }
            let actualSource = Self.littleEndian(plaintext[0..<8]), destination = Self.littleEndian(plaintext[8..<16])
            let mark = Int(Self.littleEndian(plaintext[16..<20]))
            guard actualSource == source, destination == nodeID else {
                throw FederatedError(.invalidParameter, "Flower SecAgg+ collect_masked_vectors: shares from node \(source) claim to be from \(actualSource) to \(destination)")
            }
            guard mark <= plaintext.count - 20 else {
                throw FederatedError(.malformed, "Flower SecAgg+ collect_masked_vectors: the shares from node \(source) are truncated")
            }
            next.seedShares[source] = Array(plaintext[20..<(20 + mark)])
            next.keyShares[source] = Array(plaintext[(20 + mark)...])
        }
        self = next
        return sources
    }

    /// The second half of `collect_masked_vectors`: `[q, quantise(params · q / T)]` with the
    /// private and pairwise masks, modulo the modulus, as int64 `.npy` bytes per array.
    func maskedVectors(weights: ModelWeights, exampleCount: Int, neighbours: [UInt64]) throws(FederatedError) -> [[UInt8]] {
        guard let sk1 else { throw FederatedError(.invalidParameter, "Flower SecAgg+: no keys from a setup stage") }
        guard exampleCount > 0 else { throw FederatedError(.invalidParameter, "Flower SecAgg+: the example count must be positive, got \(exampleCount)") }
        for tensor in weights.tensors where !tensor.values.allSatisfy(\.isFinite) {
            throw FederatedError(.invalidParameter, "Flower SecAgg+: tensor \(tensor.name) of the update is not finite")
        }
        let ratio = Double(exampleCount) / maxWeight
        let quantisedRatio = (ratio * Double(targetRange)).rounded(.toNearestOrEven)
        guard quantisedRatio.isFinite, quantisedRatio < 9.0e18 else {
            throw FederatedError(.invalidParameter, "Flower SecAgg+: the weight \(exampleCount) overflows max_weight \(maxWeight)")
        }
        let factor = Int64(quantisedRatio)
        let scale = Double(factor) / Double(targetRange)
        let quantizer = Double(targetRange) / (2 * clippingRange)
        var generator = SystemRandomNumberGenerator()
        var vectors: [[Int64]] = [[factor]]
        var shapes: [[Int]] = [[1]]
        for tensor in weights.tensors {
            shapes.append(tensor.shape)
            vectors.append(tensor.values.map { value in
                let clipped = min(max(Double(value) * scale, -clippingRange), clippingRange)
                let pre = (clipped + clippingRange) * quantizer
                var rounded = pre.rounded(.up)
                if Double.random(in: 0..<1, using: &generator) < rounded - pre { rounded -= 1 }
                return Int64(rounded)
            })
        }
        let counts = vectors.map(\.count)
        try Self.addMask(&vectors, seed: maskSeed, modRange: modRange, counts: counts, sign: 1)
        for neighbour in neighbours {
            guard let keys = publicKeys[neighbour] else { throw FederatedError(.invalidParameter, "Flower SecAgg+: node \(neighbour) sent no public keys") }
            let shared = try Self.sharedKey(sk1, peerPEM: keys.pk1, peer: neighbour)
            try Self.addMask(&vectors, seed: shared, modRange: modRange, counts: counts, sign: nodeID > neighbour ? 1 : -1)
        }
        let powerOfTwo = modRange & (modRange - 1) == 0
        var out: [[UInt8]] = []
        for (vector, shape) in zip(vectors, shapes) {
            let reduced = vector.map { value -> Int64 in
                if powerOfTwo { return value & (modRange - 1) }
                let r = value % modRange
                return r < 0 ? r + modRange : r
            }
            do { out.append(NPY.encode(try NDArray(shape: shape, storage: .int64(reduced)))) } catch {
                throw FederatedError(.shapeMismatch, "Flower SecAgg+: \(error.message)")
            }
        }
        return out
    }

    // MARK: unmask

    /// The `unmask` stage: this node's shares of the survivors' seeds and the dropped nodes' keys.
    func unmask(_ config: [(name: String, value: FlowerConfigValue)]) throws(FederatedError) -> [(name: String, value: FlowerConfigValue)] {
        let find = { (key: String) -> FlowerConfigValue? in config.first { $0.name == key }?.value }
        guard let activeValue = find("active_nids") else { throw FederatedError(.malformed, "Flower SecAgg+ unmask: the required key 'active_nids' is missing") }
        guard let deadValue = find("dead_nids") else { throw FederatedError(.malformed, "Flower SecAgg+ unmask: the required key 'dead_nids' is missing") }
        let active = try Self.ids(activeValue, key: "active_nids"), dead = try Self.ids(deadValue, key: "dead_nids")
        guard active.count >= threshold else {
            throw FederatedError(.invalidParameter, "Flower SecAgg+ unmask: \(active.count) surviving neighbours, fewer than the threshold \(threshold)")
        }
        var shares: [[UInt8]] = []
        for id in active {
            guard let share = seedShares[id] else { throw FederatedError(.invalidParameter, "Flower SecAgg+ unmask: no seed share of node \(id)") }
            shares.append(share)
        }
        for id in dead {
            guard let share = keyShares[id] else { throw FederatedError(.invalidParameter, "Flower SecAgg+ unmask: no key share of node \(id)") }
            shares.append(share)
        }
        return [("nids", Self.idList(active + dead)), ("shares", .byteStrings(shares))]
    }

    // MARK: helpers

    /// Flower's `generate_shared_key`: base64url(HKDF-SHA256(ECDH(private, peer), no salt, no
    /// info, 32 bytes)), as the 44 ASCII bytes Flower uses both as a Fernet key and a mask seed.
    static func sharedKey(_ privateKey: P384.KeyAgreement.PrivateKey, peerPEM: [UInt8], peer: UInt64) throws(FederatedError) -> [UInt8] {
        guard let text = String(validating: peerPEM, as: UTF8.self),
              let publicKey = try? P384.KeyAgreement.PublicKey(pemRepresentation: text) else {
            throw FederatedError(.malformed, "Flower SecAgg+: node \(peer)'s public key is not a PEM P-384 key")
        }
        guard let secret = try? privateKey.sharedSecretFromKeyAgreement(with: publicKey) else {
            throw FederatedError(.invalidParameter, "Flower SecAgg+: key agreement with node \(peer) failed")
        }
        let derived = secret.hkdfDerivedSymmetricKey(using: SHA256.self, salt: [UInt8](), sharedInfo: [UInt8](), outputByteCount: 32)
        return Base64URL.encode(derived.withUnsafeBytes { Array($0) })
    }

    /// Adds (`sign` 1) or subtracts (−1) Flower's `pseudo_rand_gen(seed, modRange, shapes)`,
    /// with numpy's int64 wrap-around.
    static func addMask(_ vectors: inout [[Int64]], seed: [UInt8], modRange: Int64, counts: [Int], sign: Int64) throws(FederatedError) {
        var generator = NumpyLegacyRandomState(seed: foldedSeed(seed))
        for (index, count) in counts.enumerated() {
            let mask: [Int64]
            do { mask = try generator.randomIntegers(low: 0, high: modRange - 1, count: count) } catch {
                throw FederatedError(.invalidParameter, "Flower SecAgg+: mask for mod_range \(modRange): \(error.message)")
            }
            for i in 0..<count { vectors[index][i] = sign > 0 ? vectors[index][i] &+ mask[i] : vectors[index][i] &- mask[i] }
        }
    }

    /// The 32-bit seed Flower's `pseudo_rand_gen` gives numpy: the XOR of the seed's
    /// little-endian 4-byte words (a trailing partial word, which Flower refuses, is zero-padded).
    static func foldedSeed(_ seed: [UInt8]) -> UInt32 {
        var folded: UInt32 = 0
        for start in stride(from: 0, to: seed.count, by: 4) {
            var word: UInt32 = 0
            for (shift, byte) in seed[start..<min(start + 4, seed.count)].enumerated() { word |= UInt32(byte) << (8 * UInt32(shift)) }
            folded ^= word
        }
        return folded
    }

    /// A list of node ids as Flower's serialiser writes it: `sint64` unless one exceeds it.
    static func idList(_ ids: [UInt64]) -> FlowerConfigValue {
        ids.allSatisfy { $0 <= UInt64(Int64.max) } ? .ints(ids.map { Int64($0) }) : .uints(ids)
    }

    /// Node ids from a config value: a list of signed or unsigned integers (an empty list may
    /// arrive as any list type, as Flower serialises `[]`).
    static func ids(_ value: FlowerConfigValue, key: String) throws(FederatedError) -> [UInt64] {
        switch value {
        case .uints(let list): return list
        case .ints(let list):
            guard list.allSatisfy({ $0 >= 0 }) else { throw FederatedError(.malformed, "Flower SecAgg+: '\(key)' holds a negative node id") }
            return list.map { UInt64($0) }
        case let other where isEmptyList(other): return []
        default: throw FederatedError(.malformed, "Flower SecAgg+: '\(key)' must be a list of node ids")
        }
    }

    static func isEmptyList(_ value: FlowerConfigValue) -> Bool {
        switch value {
        case .doubles(let l): l.isEmpty
        case .ints(let l): l.isEmpty
        case .uints(let l): l.isEmpty
        case .bools(let l): l.isEmpty
        case .strings(let l): l.isEmpty
        case .byteStrings(let l): l.isEmpty
        default: false
        }
    }

    static func littleEndian(_ bytes: ArraySlice<UInt8>) -> UInt64 {
        bytes.reversed().reduce(0) { $0 << 8 | UInt64($1) }
    }
}
