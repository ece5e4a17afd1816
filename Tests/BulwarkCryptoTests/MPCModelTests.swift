import BulwarkCrypto
import Testing

/// A two-layer perceptron scored on secret-shared weights (the model owner, party 0) and inputs
/// (the client, party 1): the client alone learns the logits, and the argmax matches plaintext.
@Suite struct MPCModelTests {
    struct Model: Sendable {
        let inputs: Int, hidden: Int, classes: Int
        let w1: [Double], b1: [Double], w2: [Double], b2: [Double]

        init(inputs: Int, hidden: Int, classes: Int, using generator: inout ChaCha20Generator) {
            self.inputs = inputs
            self.hidden = hidden
            self.classes = classes
            let s1 = 1 / Double(inputs).squareRoot(), s2 = 1 / Double(hidden).squareRoot()
            w1 = randomDoubles(inputs * hidden, in: -s1..<s1, using: &generator)
            b1 = randomDoubles(hidden, in: -0.1..<0.1, using: &generator)
            w2 = randomDoubles(hidden * classes, in: -s2..<s2, using: &generator)
            b2 = randomDoubles(classes, in: -0.1..<0.1, using: &generator)
        }

        func logits(_ x: [Double], batch: Int) -> [Double] {
            var h = [Double](repeating: 0, count: batch * hidden)
            for n in 0..<batch {
                for j in 0..<hidden {
                    var sum = b1[j]
                    for i in 0..<inputs { sum += x[n * inputs + i] * w1[i * hidden + j] }
                    h[n * hidden + j] = max(sum, 0)
                }
            }
            var out = [Double](repeating: 0, count: batch * classes)
            for n in 0..<batch {
                for k in 0..<classes {
                    var sum = b2[k]
                    for j in 0..<hidden { sum += h[n * hidden + j] * w2[j * classes + k] }
                    out[n * classes + k] = sum
                }
            }
            return out
        }
    }

    /// The secure forward pass: X·W₁ + b₁ → ReLU → ·W₂ + b₂ → argmax; returns the client's
    /// logits and labels (nil at the model owner).
    static func secureForward(_ party: inout MPCParty, model: Model, images: [Double]?, batch: Int) async throws -> (logits: [Double]?, labels: [UInt64]?) {
        let owner = 0, client = 1
        let mine = party.partyID == owner
        let w1 = try party.input(mine ? model.w1 : nil, owner: owner, count: model.w1.count)
        let b1 = try party.input(mine ? model.b1 : nil, owner: owner, count: model.b1.count)
        let w2 = try party.input(mine ? model.w2 : nil, owner: owner, count: model.w2.count)
        let b2 = try party.input(mine ? model.b2 : nil, owner: owner, count: model.b2.count)
        let x = try party.input(images, owner: client, count: batch * model.inputs)
        func broadcast(_ bias: ArithmeticShare, rows: Int) -> ArithmeticShare {
            ArithmeticShare(words: (0..<rows).flatMap { _ in bias.words })
        }
        var h = try await party.matrixProduct(x, w1, rows: batch, inner: model.inputs, columns: model.hidden)
        h = try party.add(h, broadcast(b1, rows: batch))
        h = try await party.relu(h)
        var logits = try await party.matrixProduct(h, w2, rows: batch, inner: model.hidden, columns: model.classes)
        logits = try party.add(logits, broadcast(b2, rows: batch))
        let label = try await party.argmax(logits, rows: batch, columns: model.classes).index
        return (try await party.open(logits, to: client), try await party.openRing(label, to: client))
    }

    @Test func twoLayerPerceptronMatchesPlaintextArgmax() async throws {
        var generator = try ChaCha20Generator(seed: [UInt8](repeating: 21, count: 32))
        let model = Model(inputs: 30, hidden: 16, classes: 5, using: &generator)
        let batch = 40
        let images = randomDoubles(batch * model.inputs, in: 0..<1, using: &generator)
        let results = try await runMPC(seed: 22) { party in
            try await Self.secureForward(&party, model: model, images: party.partyID == 1 ? images : nil, batch: batch)
        }
        #expect(results[0].result.logits == nil && results[0].result.labels == nil)
        let logits = try #require(results[1].result.logits), labels = try #require(results[1].result.labels)
        let expected = model.logits(images, batch: batch)
        var agree = 0
        for n in 0..<batch {
            let row = expected[(n * model.classes)..<((n + 1) * model.classes)]
            for k in 0..<model.classes { #expect(abs(logits[n * model.classes + k] - row[row.startIndex + k]) <= 2e-3) }
            let sorted = row.sorted(by: >)
            if Int(labels[n]) == plainArgmax(row) {
                agree += 1
            } else {
                // Only a near tie may differ.
                #expect(sorted[0] - sorted[1] < 2e-3)
            }
        }
        #expect(agree >= batch - 1)
        // Rounds: two matrix products (1 each), ReLU (9), argmax over 5 classes (3 levels of 9),
        // two openings to the client (1 each).
        #expect(results[0].cost.rounds == 1 + 9 + 1 + 27 + 2)
    }
}
