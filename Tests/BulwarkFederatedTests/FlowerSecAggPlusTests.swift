import BulwarkCrypto
import BulwarkData
@testable import BulwarkFederated
import Crypto
import Testing

/// Flower SecAgg+ client protocol: known answers from Flower's own helpers (printed by
/// `Benchmarks/federated/flower_secaggplus_kats.py` in the Flower venv), a whole protocol among
/// Swift nodes unmasked the way Flower's `SecAggPlusWorkflow` does it (with and without a
/// dropout), and hostile or out-of-order stages.
@Suite struct FlowerSecAggPlusTests {
    typealias Config = [(name: String, value: FlowerConfigValue)]

    // MARK: known answers

    @Test func masksMatchFlowersPseudoRandGen() throws {
        // pseudo_rand_gen(bytes(range(32)), 2**32, [(1,), (2, 3), ()])
        var vectors: [[Int64]] = [[0], [0, 0, 0, 0, 0, 0], [0]]
        try FlowerSecAggPlusState.addMask(&vectors, seed: Array(0..<32), modRange: 1 << 32, counts: [1, 6, 1], sign: 1)
        #expect(vectors == [[2_357_136_044], [2_546_248_239, 3_071_714_933, 3_626_093_760, 2_588_848_963, 3_684_848_379, 2_340_255_427], [3_638_918_503]])
        // a 44-byte base64url shared key as the seed: pseudo_rand_gen(key, 2**20, [(5,)])
        var five: [[Int64]] = [[0, 0, 0, 0, 0]]
        let key = Array("ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1-f4CBgoM=".utf8)
        #expect(key == Base64URL.encode(Array(100..<132)))
        try FlowerSecAggPlusState.addMask(&five, seed: key, modRange: 1 << 20, counts: [5], sign: -1)
        #expect(five == [[-174_067, -356_214, -576_048, -246_131, -573_641]])
    }

    @Test func sharedKeyMatchesFlowersGenerateSharedKey() throws {
        let privatePEM = """
            -----BEGIN PRIVATE KEY-----
            MIG2AgEAMBAGByqGSM49AgEGBSuBBAAiBIGeMIGbAgEBBDAAAAAAAAAAAAAAAAAA
            AAASNFZ4kKvN7wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAFWhZANiAASunn08FAEr
            5rC+zfcjgqvyfuwQxkIMncHq5W+cOU+e21r+sDkIYKHhXMqtxKqqMB9kdw7bssij
            d7fRRwtg7GOwn/DkR1woGgart6Lmeh55CGxLQRpNN86PB4sCwKrnYnQ=
            -----END PRIVATE KEY-----
            """
        let peerPEM = """
            -----BEGIN PUBLIC KEY-----
            MHYwEAYHKoZIzj0CAQYFK4EEACIDYgAE8qtTBnnCGCPaVTAXFLUK3JFmQ1Bm61TU
            +yJ3gZy+LdU3N2fcaxlHLu3+cDiqQCzzdqdEjrTFtUS/LcBBJcgsxMx2+Qrwf8Oo
            KN1ChHrkWIAbV01UruZN8KiksUjVaX22
            -----END PUBLIC KEY-----

            """
        let key = try P384.KeyAgreement.PrivateKey(pemRepresentation: privatePEM)
        let shared = try FlowerSecAggPlusState.sharedKey(key, peerPEM: Array(peerPEM.utf8), peer: 2)
        #expect(String(decoding: shared, as: UTF8.self) == "G1JxAiMSwRb4fRmGlUR_caCkWL5sdZ_EB7N-R1iNSsI=")
        #expect(throws: FederatedError.self) { try FlowerSecAggPlusState.sharedKey(key, peerPEM: Array("not a key".utf8), peer: 2) }
    }

    // MARK: a whole protocol among Swift nodes

    static let setupConfig: Config = [
        ("sample_num", .int(3)), ("share_num", .int(3)), ("threshold", .int(2)), ("clipping_range", .double(8)),
        ("target_range", .int(1 << 22)), ("mod_range", .int(1 << 32)), ("max_weight", .double(1000)),
    ]

    static func weights(_ values: [Float]) throws -> ModelWeights {
        try ModelWeights(tensors: [.init(name: "0", shape: [2, 2], values: Array(values[0..<4])), .init(name: "1", shape: [], values: [values[4]])])
    }

    /// Runs setup, share_keys and collect_masked_vectors on three nodes (ids 11, 22, 33, the
    /// last dropping after share_keys when `dropout`), then unmasks as Flower's server does.
    func runProtocol(dropout: Bool) throws -> (aggregate: [Double], expected: [Double]) {
        let ids: [UInt64] = [11, 22, 33]
        var states = ids.map { _ in FlowerSecAggPlusState() }
        var publicKeys: Config = []
        for i in states.indices {
            let reply = try states[i].setup(Self.setupConfig, nodeID: ids[i])
            states[i].stage = .setup
            guard case .bytes(let pk1) = reply[0].value, case .bytes(let pk2) = reply[1].value else { Issue.record("no keys"); return ([], []) }
            #expect(String(decoding: pk1, as: UTF8.self).hasPrefix("-----BEGIN PUBLIC KEY-----"))
            publicKeys.append((String(ids[i]), .byteStrings([pk1, pk2])))
        }
        var forwarded: [UInt64: (srcs: [UInt64], ctxts: [[UInt8]])] = [:]
        for i in states.indices {
            try states[i].checkTransition(to: .shareKeys)
            let reply = try states[i].shareKeys(publicKeys + [("stage", .string("share_keys"))])
            states[i].stage = .shareKeys
            guard case .ints(let dsts) = reply[0].value, case .byteStrings(let ctxts) = reply[1].value else { Issue.record("bad reply"); return ([], []) }
            #expect(dsts.count == 2)
            for (dst, ctxt) in zip(dsts, ctxts) {
                forwarded[UInt64(dst), default: ([], [])].srcs.append(ids[i])
                forwarded[UInt64(dst), default: ([], [])].ctxts.append(ctxt)
            }
        }
        // The plaintext layout Flower's share_keys_plaintext_concat writes: src, dst (8 bytes LE), share length (4 bytes LE).
        let key = states[1].sharedKeys2[11]!
        let plaintext = try Fernet(base64URLKey: key).decrypt(forwarded[11]!.ctxts[forwarded[11]!.srcs.firstIndex(of: 22)!])
        #expect(Array(plaintext.prefix(20)) == [22, 0, 0, 0, 0, 0, 0, 0, 11, 0, 0, 0, 0, 0, 0, 0, 52, 0, 0, 0])

        let updates: [[Float]] = [[0.5, -1.25, 2, 0.125, 3], [-0.75, 0.25, 1, -2, 1], [1.5, 1.5, -0.5, 0.25, -1]]
        let examples = [200, 300, 100]
        let active = dropout ? [0, 1] : [0, 1, 2]
        var sum: [[Int64]]?
        for i in active {
            let sources = try states[i].receiveShares([("ctxts", .byteStrings(forwarded[ids[i]]!.ctxts)),
                                                        ("srcs", .ints(forwarded[ids[i]]!.srcs.map { Int64($0) }))])
            let masked = try states[i].maskedVectors(weights: try Self.weights(updates[i]), exampleCount: examples[i], neighbours: sources)
            let arrays = try masked.map { try NPY.decode($0, label: "masked") }
            #expect(arrays.map(\.shape) == [[1], [2, 2], []])
            let values = arrays.map { array -> [Int64] in if case .int64(let v) = array.storage { v } else { [] } }
            sum = sum.map { zip($0, values).map { zip($0, $1).map { ($0 + $1) & 0xFFFF_FFFF } } } ?? values
        }
        guard var vector = sum else { return ([], []) }

        // The server's unmask stage: every active node's seed, and the dropped node's sk1.
        var collectedSeeds: [UInt64: [[UInt8]]] = [:], collectedKeys: [UInt64: [[UInt8]]] = [:]
        for i in active {
            let reply = try states[i].unmask([("active_nids", .ints(active.map { Int64(ids[$0]) })),
                                               ("dead_nids", dropout ? .ints([33]) : .bools([]))])
            guard case .ints(let nids) = reply[0].value, case .byteStrings(let shares) = reply[1].value else { Issue.record("bad unmask"); return ([], []) }
            for (nid, share) in zip(nids, shares) {
                if active.contains(where: { ids[$0] == UInt64(nid) }) { collectedSeeds[UInt64(nid), default: []].append(share) } else { collectedKeys[UInt64(nid), default: []].append(share) }
            }
        }
        let counts = vector.map(\.count)
        for i in active {
            let seed = try GF128SecretSharing.combine(collectedSeeds[ids[i]]!)
            #expect(seed == states[i].maskSeed)
            try FlowerSecAggPlusState.addMask(&vector, seed: seed, modRange: 1 << 32, counts: counts, sign: -1)
        }
        if dropout {
            let pem = try GF128SecretSharing.combine(collectedKeys[33]!)
            let sk1 = try P384.KeyAgreement.PrivateKey(pemRepresentation: String(decoding: pem, as: UTF8.self))
            for neighbour in [0, 1] {
                let shared = try FlowerSecAggPlusState.sharedKey(sk1, peerPEM: states[neighbour].pk1, peer: ids[neighbour])
                try FlowerSecAggPlusState.addMask(&vector, seed: shared, modRange: 1 << 32, counts: counts, sign: 33 > ids[neighbour] ? 1 : -1)
            }
        }
        vector = vector.map { $0.map { $0 & 0xFFFF_FFFF } }
        // Flower's dequantisation: q_total, then (x · 2c/T − c) − (n − 1)c, times T / q_total.
        let total = Double(vector[0][0]), clipping = 8.0, target = Double(1 << 22)
        let flat = vector.dropFirst().flatMap { $0 }
        let aggregate = flat.map { (Double($0) * 2 * clipping / target - clipping - Double(active.count - 1) * clipping) * target / total }
        let weight = active.map { Double(examples[$0]) }.reduce(0, +)
        let expected = (0..<5).map { k in active.map { Double(updates[$0][k]) * Double(examples[$0]) }.reduce(0, +) / weight }
        #expect(total == active.map { (Double(examples[$0]) / 1000 * target).rounded(.toNearestOrEven) }.reduce(0, +))
        return (aggregate, expected)
    }

    @Test func maskedSumUnmasksToTheWeightedMean() throws {
        let (aggregate, expected) = try runProtocol(dropout: false)
        #expect(aggregate.count == 5)
        for (got, want) in zip(aggregate, expected) { #expect(abs(got - want) < 1e-4, "\(got) vs \(want)") }
    }

    @Test func droppedNodesMasksAreRemovedFromItsKeyShares() throws {
        let (aggregate, expected) = try runProtocol(dropout: true)
        #expect(aggregate.count == 5)
        for (got, want) in zip(aggregate, expected) { #expect(abs(got - want) < 1e-4, "\(got) vs \(want)") }
    }

    // MARK: hostile and out-of-order stages

    @Test func stagesMustComeInOrder() throws {
        let fresh = FlowerSecAggPlusState()
        try fresh.checkTransition(to: .setup)
        for stage in [FlowerSecAggPlusState.Stage.shareKeys, .collectMaskedVectors, .unmask] {
            #expect(throws: FederatedError.self) { try fresh.checkTransition(to: stage) }
        }
        var state = FlowerSecAggPlusState()
        #expect(throws: FederatedError.self) { try state.shareKeys([]) }
        #expect(throws: FederatedError.self) { try state.receiveShares([("ctxts", .byteStrings([])), ("srcs", .ints([]))]) }
        state.stage = .setup
        try state.checkTransition(to: .shareKeys)
        try state.checkTransition(to: .setup)
        #expect(throws: FederatedError.self) { try state.checkTransition(to: .unmask) }
    }

    @Test func stageRecordsAreRead() throws {
        #expect(try FlowerSecAggPlusState.requestedStage(in: FlowerRecordDict()) == nil)
        let good = FlowerRecordDict([("secaggplus_configs", .config([("stage", .string("setup"))]))])
        #expect(try FlowerSecAggPlusState.requestedStage(in: good) == .setup)
        for bad: FlowerRecord in [.config([]), .config([("stage", .int(1))]), .config([("stage", .string("teardown"))]), .metrics([])] {
            #expect(throws: FederatedError.self) { try FlowerSecAggPlusState.requestedStage(in: FlowerRecordDict([("secaggplus_configs", bad)])) }
        }
    }

    @Test(arguments: [
        ("share_num", FlowerConfigValue.int(0)), ("share_num", .int(1_000_000_000)), ("threshold", .int(4)), ("threshold", .int(0)),
        ("clipping_range", .double(.nan)), ("clipping_range", .double(-1)), ("clipping_range", .int(8)), ("target_range", .int(0)),
        ("target_range", .int(1 << 40)), ("mod_range", .int(1)), ("max_weight", .double(.infinity)), ("max_weight", .double(0)),
        ("sample_num", .string("3")), ("mod_range", .uint(.max)),
    ])
    func hostileSetupsAreOneLineErrors(key: String, value: FlowerConfigValue) throws {
        var state = FlowerSecAggPlusState()
        let config: Config = Self.setupConfig.map { $0.name == key ? (name: key, value: value) : $0 }
        #expect(throws: FederatedError.self) { try state.setup(config, nodeID: 1) }
        #expect(throws: FederatedError.self) { try state.setup(Self.setupConfig.filter { $0.name != key }, nodeID: 1) }
        #expect(state.sk1 == nil)
    }

    @Test func hostileShareKeysAreOneLineErrors() throws {
        var state = FlowerSecAggPlusState()
        let reply = try state.setup(Self.setupConfig, nodeID: 7)
        state.stage = .setup
        guard case .bytes(let pk1) = reply[0].value, case .bytes(let pk2) = reply[1].value else { Issue.record("no keys"); return }
        var other = FlowerSecAggPlusState()
        let otherReply = try other.setup(Self.setupConfig, nodeID: 8)
        guard case .bytes(let opk1) = otherReply[0].value, case .bytes(let opk2) = otherReply[1].value else { Issue.record("no keys"); return }
        let own: (name: String, value: FlowerConfigValue) = ("7", .byteStrings([pk1, pk2]))
        let cases: [Config] = [
            [own],                                                                   // fewer than the threshold
            [own, ("8", .byteStrings([opk1, opk2])), ("9", .byteStrings([Array("a".utf8), Array("b".utf8)])), ("10", .byteStrings([Array("c".utf8), Array("d".utf8)]))],  // more than share_num
            [own, ("8", .byteStrings([pk1, opk2]))],                                  // duplicate keys
            [("7", .byteStrings([opk1, pk2])), ("8", .byteStrings([pk1, opk2]))],     // own keys altered
            [own, ("eight", .byteStrings([opk1, opk2]))],                             // not a node id
            [own, ("8", .byteStrings([opk1]))],                                       // not two keys
            [own, ("8", .bytes(opk1))],
            [own, ("8", .byteStrings([Array("junk-1".utf8), Array("junk-2".utf8)]))], // not PEM keys
        ]
        for config in cases {
            var copy = state
            #expect(throws: FederatedError.self) { try copy.shareKeys(config) }
        }
        // and a good one still works afterwards
        var copy = state
        let good = try copy.shareKeys([own, ("8", .byteStrings([opk1, opk2]))])
        #expect(good.map(\.name) == ["dsts", "ctxts"])
        // collect_masked_vectors with forged, unknown or mismatched shares
        for config: Config in [
            [("ctxts", .byteStrings([Array("forged".utf8)])), ("srcs", .ints([8]))],
            [("ctxts", .byteStrings([Array("forged".utf8)])), ("srcs", .ints([99]))],
            [("ctxts", .byteStrings([])), ("srcs", .ints([8]))],
            [("ctxts", .ints([1])), ("srcs", .ints([8]))],
            [("ctxts", .byteStrings([]))],
            [("srcs", .ints([-8])), ("ctxts", .byteStrings([[1]]))],
        ] {
            var again = copy
            #expect(throws: FederatedError.self) { try again.receiveShares(config) }
        }
        // unmask asking for shares this node never received
        #expect(throws: FederatedError.self) { try copy.unmask([("active_nids", .ints([7, 8])), ("dead_nids", .ints([]))]) }
        #expect(throws: FederatedError.self) { try copy.unmask([("active_nids", .ints([7]))]) }
        #expect(throws: FederatedError.self) { try copy.unmask([("active_nids", .strings(["7"])), ("dead_nids", .ints([]))]) }
    }

    @Test func nonFiniteUpdatesAreRefused() throws {
        var state = FlowerSecAggPlusState()
        _ = try state.setup(Self.setupConfig, nodeID: 7)
        let bad = try Self.weights([1, .nan, 0, 0, 0])
        #expect(throws: FederatedError.self) { try state.maskedVectors(weights: bad, exampleCount: 10, neighbours: []) }
        #expect(throws: FederatedError.self) { try state.maskedVectors(weights: try Self.weights([0, 0, 0, 0, 0]), exampleCount: 0, neighbours: []) }
    }

    @Test func aNodeThatDidNotOptInRepliesWithTheFlag() async throws {
        let node = try FlowerSuperNode(configuration: .init(superlink: "127.0.0.1:9"))
        var metadata = Flwr_Proto_Metadata()
        metadata.runID = 1
        metadata.messageType = "train"
        var states: [UInt64: FlowerSecAggPlusState] = [:]
        var record = FlowerSuperNode.TaskRecord(runID: 1, round: 1, kind: "error", exampleCount: 0, loss: nil, seconds: 0)
        let content = FlowerRecordDict([("secaggplus_configs", .config([("stage", .string("setup"))] + Self.setupConfig))])
        do {
            _ = try await node.secAggPlusStep(.setup, content: content, metadata: metadata, states: &states, record: &record, log: { _ in }) { task in
                FlowerTaskResult(weights: task.weights, exampleCount: 1, loss: 0)
            }
            Issue.record("a node without the opt-in took part in SecAgg+")
        } catch {
            #expect(error.message.contains("--flower-secaggplus"))
            #expect(!error.message.contains("\n"))
        }
        #expect(states.isEmpty)
        let optedIn = try FlowerSuperNode(configuration: .init(superlink: "127.0.0.1:9", secAggPlus: true))
        let reply = try await optedIn.secAggPlusStep(.setup, content: content, metadata: metadata, states: &states, record: &record, log: { _ in }) { task in
            FlowerTaskResult(weights: task.weights, exampleCount: 1, loss: 0)
        }
        #expect(reply["secaggplus_configs"] != nil)
        #expect(states[1]?.stage == .setup)
        #expect(record.kind == "secaggplus-setup")
    }
}
