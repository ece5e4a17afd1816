import BulwarkCrypto
import Foundation
import Testing

@Suite struct MPCProtocolTests {
    static let unit = 1.0 / 65536  // one fixed-point unit at f = 16

    /// Inputs x (owned by party 0) and y (owned by party 1) of `count` values in `range`.
    static func inputs(_ count: Int, _ range: Range<Double>, seed: UInt8) throws -> ([Double], [Double]) {
        var generator = try ChaCha20Generator(seed: [UInt8](repeating: seed, count: 32))
        return (randomDoubles(count, in: range, using: &generator), randomDoubles(count, in: range, using: &generator))
    }

    @Test func inputAddOpenAndCostNothingButTheOpening() async throws {
        let (x, y) = try Self.inputs(16, -100..<100, seed: 11)
        let results = try await runMPC { party in
            let a = try party.input(party.partyID == 0 ? x : nil, owner: 0, count: 16)
            let b = try party.input(party.partyID == 1 ? y : nil, owner: 1, count: 16)
            let sum = try party.add(party.add(a, b), constant: [Double](repeating: 1, count: 16))
            let before = party.cost
            let opened = try await party.open(sum)
            return (opened, party.cost - before, a.words)
        }
        for (index, value) in results[0].result.0.enumerated() { #expect(abs(value - (x[index] + y[index] + 1)) <= 2 * Self.unit) }
        #expect(results[0].result.0 == results[1].result.0)
        // Inputs through the pairwise streams cost nothing; the opening one round of 16 words each way.
        #expect(results[0].result.1 == MPCCost(rounds: 1, messagesSent: 1, bytesSent: 128, bytesReceived: 128))
        #expect(results.allSatisfy { $0.cost.rounds == 1 && $0.cost.bytesSent == 128 })
        // Party 1's share of party 0's input is not the input.
        #expect(try FixedPointEncoding().encode(x) != results[1].result.2)
    }

    @Test func openingToOnePartyTellsOnlyThatParty() async throws {
        let results = try await runMPC { party in
            let a = try party.input(party.partyID == 0 ? [3.25, -1] : nil, owner: 0, count: 2)
            return try await party.open(a, to: 1)
        }
        #expect(results[0].result == nil)
        #expect(results[1].result == [3.25, -1])
        #expect(results[0].cost.bytesSent == 16 && results[1].cost.bytesSent == 0)
    }

    @Test func beaverMultiplicationMatchesPlaintext() async throws {
        let count = 200
        let (x, y) = try Self.inputs(count, -300..<300, seed: 12)
        let results = try await runMPC { party in
            let a = try party.input(party.partyID == 0 ? x : nil, owner: 0, count: count)
            let b = try party.input(party.partyID == 1 ? y : nil, owner: 1, count: count)
            let before = party.cost
            let product = try await party.multiply(a, b)
            let cost = party.cost - before
            return (try await party.open(product), cost)
        }
        for index in 0..<count {
            // Error: the inputs' encoding (half a unit each, times the other factor) plus one unit.
            let bound = (abs(x[index]) + abs(y[index]) + 2) * Self.unit
            #expect(abs(results[0].result.0[index] - x[index] * y[index]) <= bound)
        }
        #expect(results[0].result.1 == MPCCost(rounds: 1, messagesSent: 1, bytesSent: 16 * count, bytesReceived: 16 * count))
    }

    @Test func multiplicationWorksForThreePartiesWithoutTruncation() async throws {
        let results = try await runMPC(parties: 3) { party in
            let a = try party.inputRing(party.partyID == 2 ? [7, UInt64(bitPattern: -3)] : nil, owner: 2, count: 2)
            let b = try party.inputRing(party.partyID == 0 ? [6, 5] : nil, owner: 0, count: 2)
            return try await party.openRing(party.multiply(a, b, truncating: false))
        }
        #expect(results[0].result == [42, UInt64(bitPattern: -15)])
        #expect(results[1].cost.rounds == 2 && results[1].cost.messagesSent == 4)
        // Fixed-point truncation is two-party only: a typed error, not a wrong answer.
        await #expect(throws: CryptoError.self) {
            _ = try await runMPC(parties: 3) { party in
                let a = try party.input(party.partyID == 0 ? [1] : nil, owner: 0, count: 1)
                return try await party.multiply(a, a)
            }
        }
    }

    @Test func matrixProductMatchesPlaintext() async throws {
        let (rows, inner, columns) = (3, 17, 5)
        var generator = try ChaCha20Generator(seed: [UInt8](repeating: 13, count: 32))
        let x = randomDoubles(rows * inner, in: -4..<4, using: &generator)
        let w = randomDoubles(inner * columns, in: -1..<1, using: &generator)
        let results = try await runMPC { party in
            let a = try party.input(party.partyID == 0 ? x : nil, owner: 0, count: x.count)
            let b = try party.input(party.partyID == 1 ? w : nil, owner: 1, count: w.count)
            let before = party.cost
            let product = try await party.matrixProduct(a, b, rows: rows, inner: inner, columns: columns)
            let cost = party.cost - before
            return (try await party.open(product), cost)
        }
        for i in 0..<rows {
            for j in 0..<columns {
                var expected = 0.0
                for k in 0..<inner { expected += x[i * inner + k] * w[k * columns + j] }
                // Encoding error of each term plus one unit of truncation.
                #expect(abs(results[0].result.0[i * columns + j] - expected) <= Double(inner) * 5 * Self.unit + Self.unit)
            }
        }
        let words = rows * inner + inner * columns
        #expect(results[1].result.1 == MPCCost(rounds: 1, messagesSent: 1, bytesSent: 8 * words, bytesReceived: 8 * words))
    }

    @Test func binaryAdditionAndConversions() async throws {
        var generator = try ChaCha20Generator(seed: [UInt8](repeating: 14, count: 32))
        let x = (0..<64).map { _ in generator.next() }, y = (0..<64).map { _ in generator.next() }
        let results = try await runMPC { party in
            let a = try party.inputRing(party.partyID == 0 ? x : nil, owner: 0, count: 64)
            let b = try party.inputRing(party.partyID == 1 ? y : nil, owner: 1, count: 64)
            let before = party.cost
            let binary = try await party.arithmeticToBinary(party.add(a, b))
            let a2bCost = party.cost - before
            let bits = try await party.bitToArithmetic(BinaryShare(words: binary.words.map { $0 >> 63 }))
            return (try await party.open(binary), try await party.openRing(bits), a2bCost)
        }
        let sums = zip(x, y).map { $0 &+ $1 }
        #expect(results[0].result.0 == sums)
        #expect(results[0].result.1 == sums.map { $0 >> 63 })
        // Kogge–Stone: one AND round for g, six prefix levels.
        #expect(results[0].result.2.rounds == 7)
        #expect(results[0].result.2.bytesSent == 8 * 64 * (2 + 5 * 4 + 2))
    }

    /// A2B for three parties chains two Kogge–Stone additions (14 rounds).
    @Test func arithmeticToBinaryWorksForThreeParties() async throws {
        var generator = try ChaCha20Generator(seed: [UInt8](repeating: 18, count: 32))
        let x = (0..<32).map { _ in generator.next() }
        let results = try await runMPC(parties: 3) { party in
            let a = try party.inputRing(party.partyID == 2 ? x : nil, owner: 2, count: 32)
            let before = party.cost
            let binary = try await party.arithmeticToBinary(a)
            let cost = party.cost - before
            return (try await party.open(binary), cost.rounds)
        }
        #expect(results.allSatisfy { $0.result.0 == x && $0.result.1 == 14 })
    }

    @Test func comparisonSignAndReluMatchPlaintext() async throws {
        let (randomX, randomY) = try Self.inputs(100, -1000..<1000, seed: 15)
        let x = randomX + [0, 1e-4, -1e-4, 5, -7], y = randomY + [0, 0, 0, 5, -6]
        let count = x.count
        let results = try await runMPC { party in
            let a = try party.input(party.partyID == 0 ? x : nil, owner: 0, count: count)
            let b = try party.input(party.partyID == 1 ? y : nil, owner: 1, count: count)
            let less = try await party.openRing(party.lessThan(a, b))
            let sign = try await party.openRing(party.sign(a))
            let before = party.cost
            let relu = try await party.relu(a)
            let reluCost = party.cost - before
            let maximum = try await party.open(party.maximum(a, b))
            return (less, sign, try await party.open(relu), maximum, reluCost)
        }
        let encoding = FixedPointEncoding()
        let ex = encoding.decode(try encoding.encode(x)), ey = encoding.decode(try encoding.encode(y))
        let (less, sign, relu, maximum, reluCost) = results[0].result
        for index in 0..<count {
            #expect(less[index] == (ex[index] < ey[index] ? 1 : 0), "x=\(ex[index]) y=\(ey[index])")
            #expect(Int64(bitPattern: sign[index]) == (ex[index] < 0 ? -1 : 1))
            #expect(relu[index] == max(ex[index], 0))
            #expect(maximum[index] == max(ex[index], ey[index]))
        }
        // A2B 7 rounds (192 bytes per element), B2A and the product one round each (16 bytes).
        #expect(reluCost == MPCCost(rounds: 9, messagesSent: 9, bytesSent: 224 * count, bytesReceived: 224 * count))
    }

    @Test func argmaxAndMaxPoolMatchPlaintext() async throws {
        let (rows, columns) = (6, 10)
        var generator = try ChaCha20Generator(seed: [UInt8](repeating: 16, count: 32))
        let x = randomDoubles(rows * columns, in: -20..<20, using: &generator)
        let image = randomDoubles(2 * 6 * 6, in: -3..<3, using: &generator)
        let results = try await runMPC { party in
            let a = try party.input(party.partyID == 0 ? x : nil, owner: 0, count: x.count)
            let before = party.cost
            let (maximum, index) = try await party.argmax(a, rows: rows, columns: columns)
            let argmaxCost = party.cost - before
            let pooledInput = try party.input(party.partyID == 1 ? image : nil, owner: 1, count: image.count)
            let pooled = try await party.maxPool2D(pooledInput, channels: 2, height: 6, width: 6, window: 2, stride: 2)
            return (try await party.open(maximum), try await party.openRing(index), try await party.open(pooled), argmaxCost)
        }
        let encoding = FixedPointEncoding()
        let ex = encoding.decode(try encoding.encode(x)), eimage = encoding.decode(try encoding.encode(image))
        let (maximum, index, pooled, cost) = results[1].result
        for row in 0..<rows {
            let slice = ex[(row * columns)..<((row + 1) * columns)]
            #expect(Int(index[row]) == plainArgmax(slice))
            #expect(maximum[row] == slice.max())
        }
        #expect(cost.rounds == 9 * 4)
        for channel in 0..<2 {
            for row in 0..<3 {
                for column in 0..<3 {
                    var expected = -Double.infinity
                    for dy in 0..<2 { for dx in 0..<2 { expected = max(expected, eimage[(channel * 6 + 2 * row + dy) * 6 + 2 * column + dx]) } }
                    #expect(pooled[(channel * 3 + row) * 3 + column] == expected)
                }
            }
        }
    }

    @Test func exponentialReciprocalAndSoftmaxAreWithinTheirBounds() async throws {
        let exponents: [Double] = stride(from: -16.0, through: 2.0, by: 0.25).map { $0 }
        let denominators: [Double] = [1, 1.5, 2, 3, 7.25, 10, 33, 100, 250, 400, 450]
        var generator = try ChaCha20Generator(seed: [UInt8](repeating: 17, count: 32))
        let logits = randomDoubles(4 * 10, in: -8..<8, using: &generator)
        let results = try await runMPC { party in
            let e = try party.input(party.partyID == 0 ? exponents : nil, owner: 0, count: exponents.count)
            let d = try party.input(party.partyID == 1 ? denominators : nil, owner: 1, count: denominators.count)
            let l = try party.input(party.partyID == 0 ? logits : nil, owner: 0, count: logits.count)
            var before = party.cost
            let exponential = try await party.exponential(e)
            let expCost = party.cost - before
            before = party.cost
            let reciprocal = try await party.reciprocal(d)
            let reciprocalCost = party.cost - before
            before = party.cost
            let softmax = try await party.softmax(l, rows: 4, columns: 10)
            let softmaxCost = party.cost - before
            return (try await party.open(exponential), try await party.open(reciprocal), try await party.open(softmax),
                    expCost.rounds, reciprocalCost.rounds, softmaxCost.rounds)
        }
        let (exponential, reciprocal, softmax, expRounds, reciprocalRounds, softmaxRounds) = results[0].result
        for (index, x) in exponents.enumerated() {
            // The limit's error x²·eˣ/2⁹ plus rounding amplified by the eight squarings.
            let bound = x * x * Foundation.exp(x) / 512 + 300 * Self.unit * max(Foundation.exp(x), 1)
            #expect(abs(exponential[index] - Foundation.exp(x)) <= bound, "exp(\(x)) = \(exponential[index])")
        }
        for (index, x) in denominators.enumerated() {
            #expect(abs(reciprocal[index] - 1 / x) <= 2 * Self.unit, "1/\(x) = \(reciprocal[index])")
        }
        for row in 0..<4 {
            let slice = logits[(row * 10)..<((row + 1) * 10)]
            let top = slice.max()!
            let total = slice.reduce(0) { $0 + Foundation.exp($1 - top) }
            for (column, value) in slice.enumerated() {
                #expect(abs(softmax[row * 10 + column] - Foundation.exp(value - top) / total) <= 5e-3)
            }
        }
        #expect(expRounds == 8)
        #expect(reciprocalRounds == 28)
        #expect(softmaxRounds == 36 + 8 + 28 + 1)
    }

    @Test func sigmoidMatchesPlaintext() async throws {
        let xs: [Double] = stride(from: -20.0, through: 20.0, by: 0.5).map { $0 }
        let results = try await runMPC { party in
            let x = try party.input(party.partyID == 0 ? xs : nil, owner: 0, count: xs.count)
            let before = party.cost
            let y = try await party.sigmoid(x)
            let rounds = (party.cost - before).rounds
            return (try await party.open(y), rounds)
        }
        for (index, x) in xs.enumerated() {
            #expect(abs(results[0].result.0[index] - 1 / (1 + Foundation.exp(-x))) <= 1e-3, "sigmoid(\(x)) = \(results[0].result.0[index])")
        }
        #expect(results[0].result.1 == 46)
    }
}
