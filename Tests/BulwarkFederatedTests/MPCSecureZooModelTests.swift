import BulwarkCrypto
import BulwarkFederated
import BulwarkModels
import BulwarkTensor
import Testing

/// The zoo models mapped to MPC operations, in one process: the cnn's secure logits match the
/// plaintext model, only the client learns them, and the dealer refuses parties that disagree.
@Suite struct MPCSecureZooModelTests {
    @Test func cnnLogitsMatchPlaintextAndOnlyTheClientLearnsThem() async throws {
        let model = ZooArchitecture.cnn.makeModel(seed: 2)
        var generator = MPCTestGenerator(seed: 4)
        let image = (0..<784).map { _ in Float(generator.next() % 1000) / 1000 }
        let owner = try SecureZooModel(owning: model, architecture: .cnn)
        let client = try SecureZooModel(publicArchitecture: .cnn)
        #expect(owner.holdsWeights && !client.holdsWeights)
        let channels = InProcessChannel.network(parties: 2, timeoutSeconds: 120)
        let dealer = InProcessDealer(parties: 2)
        let ownerRun = Task {
            var party = try await MPCParty.connect(channel: channels[0], preprocessing: dealer.source(for: 0))
            let output = try await owner.forward(&party, images: nil, batch: 1, reveal: .logits)
            return (output, party.cost.rounds)
        }
        var party = try await MPCParty.connect(channel: channels[1], preprocessing: dealer.source(for: 1))
        let output = try #require(try await client.forward(&party, images: image.map(Double.init), batch: 1, reveal: .logits))
        let (ownerOutput, ownerRounds) = try await ownerRun.value
        #expect(ownerOutput == nil)
        // 2 convolutions, 2 max-pools (2 maxima each) and 3 ReLUs at 9 rounds, 2 dense products, the opening; plus the seeds.
        #expect(ownerRounds == 1 + 68 && party.cost.rounds == ownerRounds)
        let plain = model.logits(Tensor(shape: [1, 1, 28, 28], scalars: image)).scalars
        let logits = try #require(output.logits)
        for index in 0..<10 { #expect(abs(logits[index] - Double(plain[index])) < 0.01, "logit \(index): \(logits[index]) vs \(plain[index])") }
        #expect(output.labels == [plain.indices.max { plain[$0] < plain[$1] }!])
    }

    @Test func modelsOfOtherShapesAreRefused() {
        #expect(throws: FederatedError.self) { try SecureZooModel(owning: ZooArchitecture.mlp.makeModel(seed: 0), architecture: .cnn) }
        #expect(throws: FederatedError.self) { try SecureZooModel(publicArchitecture: .resnet) }
        #expect(throws: FederatedError.self) { try SecureZooModel(mlpWeights: [[0]], biases: [[0]]) }
    }

    @Test func theDealerRefusesPartiesThatAskForDifferentMaterial() async throws {
        let channels = InProcessChannel.network(parties: 3, timeoutSeconds: 10)
        let dealer = Task { try await MPCDealerService.serve(channel: channels[2], parties: [0, 1]) }
        async let first: Void = Self.ask(channels[0], count: 2)
        async let second: Void = Self.ask(channels[1], count: 3)
        await #expect(throws: CryptoError.self) { try await dealer.value }
        channels[2].close()
        await first
        await second
    }

    /// Asks the dealer (party 2) for `count` triples, ignoring the outcome.
    static func ask(_ channel: InProcessChannel, count: Int) async {
        var source = RemoteDealerPreprocessing(channel: channel, dealer: 2), cost = MPCCost()
        _ = try? await source.beaverTriples(count: count, channel: channel, cost: &cost)
    }
}
