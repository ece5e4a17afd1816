import BulwarkCrypto
import Foundation
import Testing

/// Secure vertical logistic regression on scikit-learn's breast-cancer set (Debian's
/// python3-sklearn data file, 569 records, 30 features): party 0 holds the first 15 columns and
/// the labels, party 1 the other 15. The secure model must classify within 1 point of the
/// plaintext model (on 114 held-out records) trained with the same schedule, and each party
/// learns only its own weights.
@Suite struct VerticalLogisticRegressionTests {
    static let path = "/usr/lib/python3/dist-packages/sklearn/datasets/data/breast_cancer.csv"

    /// Standardised features (per column, as each party would do on its own columns) and labels.
    static func breastCancer() throws -> (features: [[Double]], labels: [Double]) {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var rows: [[Double]] = []
        for line in text.split(separator: "\n").dropFirst() {
            let values = line.split(separator: ",").map { Double($0)! }
            rows.append(values)
        }
        let labels = rows.map { $0.last! }
        var features = rows.map { Array($0.dropLast()) }
        for column in 0..<features[0].count {
            let values = features.map { $0[column] }
            let mean = values.reduce(0, +) / Double(values.count)
            let deviation = (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count)).squareRoot()
            for row in features.indices { features[row][column] = (features[row][column] - mean) / deviation }
        }
        return (features, labels)
    }

    static func accuracy(_ features: [[Double]], _ labels: [Double], weights: [Double], bias: Double) -> Double {
        var correct = 0
        for (row, label) in zip(features, labels) {
            let z = zip(row, weights).map { $0 * $1 }.reduce(bias, +)
            if (z > 0 ? 1.0 : 0.0) == label { correct += 1 }
        }
        return Double(correct) / Double(labels.count)
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: path), "needs Debian's python3-sklearn (scripts/bootstrap)"))
    func reachesPlaintextAccuracyOnBreastCancer() async throws {
        let (all, allLabels) = try Self.breastCancer()
        // Train on the first 455 records (80 %), measure on the 114 held out.
        let features = Array(all[0..<455]), labels = Array(allLabels[0..<455])
        let heldOut = Array(all[455...]), heldOutLabels = Array(allLabels[455...])
        var configuration = VerticalLogisticRegression.Configuration()
        configuration.epochs = 5
        configuration.batchSize = 64
        configuration.learningRate = 0.5
        let settings = configuration
        let left = features.map { Array($0[0..<15]) }, right = features.map { Array($0[15...]) }
        let results = try await runMPC { (party: inout MPCParty) in
            try await VerticalLogisticRegression.train(
                party: &party, columns: party.partyID == 0 ? left : right, featureCounts: [15, 15],
                labels: party.partyID == 0 ? labels : nil, labelOwner: 0, configuration: settings)
        }
        let owner = results[0].result, other = results[1].result
        #expect(owner.weights.count == 15 && other.weights.count == 15)
        #expect(owner.bias != nil && other.bias == nil)   // only the label owner learns the bias
        let plain = VerticalLogisticRegression.trainPlaintext(features: features, labels: labels, configuration: configuration)
        let secureAccuracy = Self.accuracy(heldOut, heldOutLabels, weights: owner.weights + other.weights, bias: owner.bias ?? .nan)
        let plainAccuracy = Self.accuracy(heldOut, heldOutLabels, weights: plain.weights, bias: plain.bias)
        #expect(plainAccuracy > 0.95)
        #expect(abs(secureAccuracy - plainAccuracy) <= 0.01, "secure \(secureAccuracy) vs plaintext \(plainAccuracy)")
        let secureWeights = owner.weights + other.weights
        let largest = zip(secureWeights, plain.weights).map { abs($0 - $1) }.max() ?? .infinity
        #expect(largest < 0.05, "weights differ by \(largest)")
        // 8 batches per epoch, 48 rounds each, plus 3 openings (the record-count check comes before).
        #expect(owner.cost.rounds == 5 * 8 * 48 + 3)
    }

    @Test func mismatchedInputsAreRefused() async throws {
        var oneEpoch = VerticalLogisticRegression.Configuration()
        oneEpoch.epochs = 1
        let configuration = oneEpoch
        // Different record counts at the two parties: refused at both, before any sharing.
        let results = try await runMPC { (party: inout MPCParty) -> String in
            do {
                _ = try await VerticalLogisticRegression.train(
                    party: &party, columns: party.partyID == 0 ? [[1], [2]] : [[1]], featureCounts: [1, 1],
                    labels: party.partyID == 0 ? [0, 1] : nil, labelOwner: 0, configuration: configuration)
                return "trained"
            } catch let error as CryptoError { return error.message }
        }
        #expect(results.allSatisfy { $0.result.contains("different record counts") })
        await #expect(throws: CryptoError.self) {
            _ = try await runMPC(timeoutSeconds: 2) { (party: inout MPCParty) in
                try await VerticalLogisticRegression.train(
                    party: &party, columns: [[1], [2]], featureCounts: [1, 1],
                    labels: party.partyID == 0 ? [0, 2] : nil, labelOwner: 0, configuration: configuration)
            }
        }
    }
}
