import BulwarkCrypto
import BulwarkFederated
import Testing

/// Property tests: the unmasked sum equals the plain sum of the survivors' inputs, within the
/// quantiser's bound, for SecAgg and SecAgg+ and any dropout pattern the threshold allows.
@Suite struct SecureAggregationTests {
    /// n · clipRange / (2M), plus Float rounding of the sum.
    static func tolerance(_ configuration: SecureAggregationConfiguration, survivors: Int, magnitude: Float) -> Float {
        let quantizer = configuration.quantizer
        return Float(Double(survivors) * Double(quantizer.clipRange) / (2 * Double(quantizer.levels))) + magnitude * 1e-6
    }

    @Test(arguments: [nil, 2, 4] as [Int?])
    func sumWithoutDropoutsEqualsThePlainSum(neighbours: Int?) throws {
        let inputs = try seededInputs(clients: 7, length: 33, range: 1, seed: 3)
        let threshold = neighbours.map { $0 / 2 + 1 } ?? 4
        let report = try SecureAggregationSimulation.run(inputs: inputs, threshold: threshold, neighbours: neighbours, clipRange: 1, seed: 11)
        #expect(report.result.survivors == Array(0..<7))
        #expect(report.result.dropouts.isEmpty)
        let tolerance = Self.tolerance(report.configuration, survivors: 7, magnitude: 7)
        for index in 0..<33 {
            let plain = inputs.reduce(Float(0)) { $0 + $1[index] }
            #expect(abs(report.result.sum[index] - plain) <= tolerance)
        }
        // The server saw masked vectors only: bytes per client are counted and grow with the vector.
        #expect(report.bytesSentPerClient.allSatisfy { $0 > 33 * 4 })
    }

    /// SecAgg+ clients mask and share only with their k neighbours, on a regular graph.
    @Test func secAggPlusGraphIsRegularAndSymmetric() throws {
        for (clients, k) in [(10, 4), (9, 3), (25, 6), (5, 10)] {
            let expected = min(clients - 1, k + k % 2)
            let configuration = try SecureAggregationConfiguration(roundID: 1, clientCount: clients, threshold: expected / 2 + 1,
                                                                   neighbourCount: k, graphSeed: 5, vectorLength: 1,
                                                                   quantizer: FixedPointQuantizer(clipRange: 1, maxSummands: clients))
            for client in 0..<clients {
                let neighbours = configuration.neighbours(of: client)
                #expect(neighbours.count == expected)
                #expect(!neighbours.contains(client))
                #expect(neighbours.allSatisfy { configuration.neighbours(of: $0).contains(client) })
            }
        }
    }

    /// Which checks a scripted dropout pattern must pass, computed independently of the
    /// implementation: the oracle for the property test below.
    static func recoverable(_ configuration: SecureAggregationConfiguration, dropouts: [Int: SecureAggregationSimulation.Phase]) -> Bool {
        let t = configuration.threshold, n = configuration.clientCount
        let order = SecureAggregationSimulation.Phase.allCases
        func reaches(_ client: Int, _ phase: SecureAggregationSimulation.Phase) -> Bool {
            guard let dropped = dropouts[client] else { return true }
            return order.firstIndex(of: phase)! < order.firstIndex(of: dropped)!
        }
        let advertised = Set((0..<n).filter { reaches($0, .advertiseKeys) })
        let shared = Set((0..<n).filter { reaches($0, .shareKeys) })
        let masked = Set((0..<n).filter { reaches($0, .maskedInput) })
        let answered = Set((0..<n).filter { reaches($0, .unmasking) })
        let neighbours = { (client: Int) in Set(configuration.neighbours(of: client)) }
        guard advertised.count >= t, shared.count >= t, masked.count >= t, answered.count >= t else { return false }
        for client in shared where neighbours(client).intersection(advertised).count + 1 < t { return false }
        for client in masked where neighbours(client).intersection(shared).count + 1 < t { return false }
        for client in masked where neighbours(client).intersection(shared).union([client]).intersection(answered).count < t { return false }
        for client in shared.subtracting(masked) where neighbours(client).intersection(shared).intersection(answered).count < t { return false }
        return true
    }

    @Test(arguments: [nil, 4] as [Int?])
    func randomDropoutPatternsGiveThePlainSumOrRefuse(neighbours: Int?) throws {
        let clients = 9, length = 17
        var generator = try ChaCha20Generator(seed: [UInt8](repeating: 21, count: 32))
        var recovered = 0, refused = 0
        for trial in 0..<24 {
            let inputs = try seededInputs(clients: clients, length: length, range: 2, seed: UInt8(trial))
            var dropouts: [Int: SecureAggregationSimulation.Phase] = [:]
            // Every sixth trial drops five of the nine, more than any threshold here allows.
            let dropCount = trial % 6 == 5 ? 5 : Int(generator.next() % 5)
            for _ in 0..<dropCount {
                let client = Int(generator.next() % UInt64(clients))
                dropouts[client] = SecureAggregationSimulation.Phase.allCases[Int(generator.next() % 4)]
            }
            let threshold = neighbours.map { $0 / 2 + 1 } ?? 5
            let configuration = try SecureAggregationConfiguration(roundID: 1, clientCount: clients, threshold: threshold, neighbourCount: neighbours,
                                                                   graphSeed: UInt64(trial), vectorLength: length,
                                                                   quantizer: FixedPointQuantizer(clipRange: 2, maxSummands: clients))
            if Self.recoverable(configuration, dropouts: dropouts) {
                let report = try SecureAggregationSimulation.run(inputs: inputs, threshold: threshold, neighbours: neighbours, clipRange: 2,
                                                                 dropouts: dropouts, seed: UInt64(trial))
                let contributors = (0..<clients).filter { dropouts[$0] == nil || dropouts[$0] == .unmasking }
                #expect(report.result.survivors == contributors, "trial \(trial)")
                let tolerance = Self.tolerance(report.configuration, survivors: contributors.count, magnitude: 2 * Float(clients))
                for index in 0..<length {
                    let plain = contributors.reduce(Float(0)) { $0 + inputs[$1][index] }
                    #expect(abs(report.result.sum[index] - plain) <= tolerance, "trial \(trial), coordinate \(index)")
                }
                recovered += 1
            } else {
                #expect(federatedCode {
                    _ = try SecureAggregationSimulation.run(inputs: inputs, threshold: threshold, neighbours: neighbours, clipRange: 2,
                                                            dropouts: dropouts, seed: UInt64(trial))
                } == .notEnoughClients, "trial \(trial)")
                refused += 1
            }
        }
        #expect(recovered >= 12)  // the patterns are mostly within the threshold
        #expect(refused >= 1)     // and the refusal is exercised too
    }

    /// Every rank is a vector of values: a scalar, a matrix and a rank-3 tensor sum as the plain sum.
    @Test func modelWeightsOfMixedRanksIncludingScalars() throws {
        func weights(_ scale: Float) throws -> ModelWeights {
            try ModelWeights(tensors: [
                .init(name: "dense.weight", shape: [2, 3], values: (0..<6).map { Float($0) * 0.1 * scale }),
                .init(name: "temperature", shape: [], values: [0.5 * scale]),
                .init(name: "conv", shape: [1, 2, 1], values: [scale, -scale]),
                .init(name: "empty", shape: [0], values: []),
            ])
        }
        let models = try [1, -0.5, 2, 0.25].map(weights)
        let report = try SecureAggregationSimulation.run(inputs: models.map(\.flattened), threshold: 3, clipRange: 4, dropouts: [2: .maskedInput], seed: 8)
        let summed = try report.result.sum(shapedAs: models[0])
        #expect(summed.hasSameLayout(as: models[0]))
        let expectedScale: Float = 1 - 0.5 + 0.25
        let expected = try weights(expectedScale)
        for (got, want) in zip(summed.tensors, expected.tensors) {
            #expect(got.values.count == want.values.count)
            for (a, b) in zip(got.values, want.values) { #expect(abs(a - b) < 1e-5, "tensor \(got.name)") }
        }
        #expect(abs(summed.tensors[1].values[0] - 0.375) < 1e-5)  // the scalar
        let mean = try report.result.mean(shapedAs: models[0])
        #expect(abs(mean.tensors[1].values[0] - 0.125) < 1e-5)
    }

    @Test func aRoundDrivenByHandMatchesTheSimulation() throws {
        var harness = try SecureAggregationHarness(clientCount: 4, threshold: 3, vectorLength: 3)
        let inputs: [[Float]] = [[1, 0, -1], [0.5, 0.5, 0.5], [-2, 1, 0], [0, 0, 3]]
        let request = try harness.mask(try harness.share(try harness.advertise()), inputs: inputs)
        let result = try harness.unmask(request)
        for (got, want) in zip(result.sum, [-0.5, 1.5, 2.5] as [Float]) { #expect(abs(got - want) < 1e-6) }
    }
}
