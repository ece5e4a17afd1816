/// Comparisons by arithmetic-to-binary conversion (A2B) and a Kogge–Stone carry circuit.
///
/// Choice: the sign of a shared x is its most significant bit. A2B turns the additive shares
/// x₀, x₁ into XOR shares of x by adding them in a parallel-prefix (Kogge–Stone) adder over XOR
/// shares, each 64-bit word one element (bit-sliced across the word): the generate and
/// propagate words g = x₀ ∧ x₁, p = x₀ ⊕ x₁ (one AND round), then six prefix levels
/// G ← G ⊕ (P ∧ (G ≪ s)), P ← P ∧ (P ≪ s) for s = 1, 2, 4, …, 32 (one round each, both ANDs
/// batched), and the sum p ⊕ (G ≪ 1): 7 rounds. The bit is brought back to an arithmetic
/// share (B2A) with one Beaver product, b = b₀ + b₁ − 2·b₀·b₁. Function secret sharing would
/// need fewer rounds but a dealer for keys of every comparison; the circuit uses the same
/// binary triples as any other AND.
extension MPCParty {
    /// XOR shares of x + y for XOR-shared x and y (64-bit words, wrapping): the Kogge–Stone
    /// adder, 7 rounds; each party sends 2·count words in the first round and 4·count words
    /// in each of the next six (2·count in the last) to each peer.
    public mutating func binaryAdd(_ x: BinaryShare, _ y: BinaryShare) async throws(CryptoError) -> BinaryShare {
        try Self.checkSameCount(x.count, y.count, "add")
        let count = x.count
        var generate = try await and(x, y).words
        let propagateBits = zip(x.words, y.words).map { $0 ^ $1 }
        var propagate = propagateBits
        var shift: UInt64 = 1
        while shift < 64 {
            let last = shift == 32
            let shiftedG = generate.map { $0 << shift }
            if last {
                let product = try await and(BinaryShare(words: propagate), BinaryShare(words: shiftedG)).words
                for index in 0..<count { generate[index] ^= product[index] }
            } else {
                let shiftedP = propagate.map { $0 << shift }
                let product = try await and(BinaryShare(words: propagate + propagate), BinaryShare(words: shiftedG + shiftedP)).words
                for index in 0..<count {
                    generate[index] ^= product[index]
                    propagate[index] = product[count + index]
                }
            }
            shift <<= 1
        }
        return BinaryShare(words: (0..<count).map { propagateBits[$0] ^ (generate[$0] << 1) })
    }

    /// XOR shares of the ring elements of `x` (A2B): each party's additive share becomes a
    /// binary input (its own word at its index, zero elsewhere) and the inputs are added by
    /// ``binaryAdd(_:_:)``, 7 rounds per addition (n − 1 additions for n parties).
    public mutating func arithmeticToBinary(_ x: ArithmeticShare) async throws(CryptoError) -> BinaryShare {
        let zero = [UInt64](repeating: 0, count: x.count)
        func input(of party: Int) -> BinaryShare { BinaryShare(words: party == partyID ? x.words : zero) }
        var sum = input(of: 0)
        for party in 1..<max(partyCount, 1) {
            sum = try await binaryAdd(sum, input(of: party))
        }
        return sum
    }

    /// Arithmetic shares (integers 0 or 1, not fixed-point) of XOR-shared bits held in the
    /// lowest bit of each word (B2A): b = b₀ + b₁ − 2·b₀·b₁ with one Beaver product, one round.
    /// Two parties.
    public mutating func bitToArithmetic(_ bits: BinaryShare) async throws(CryptoError) -> ArithmeticShare {
        guard partyCount == 2 else { throw CryptoError(.invalidParameter, "bit conversion needs exactly two parties, not \(partyCount)") }
        let mine = bits.words.map { $0 & 1 }, zero = [UInt64](repeating: 0, count: bits.count)
        let first = ArithmeticShare(words: partyID == 0 ? mine : zero)
        let second = ArithmeticShare(words: partyID == 1 ? mine : zero)
        let product = try await multiply(first, second, truncating: false)
        let sum = try add(first, second)
        return try subtract(sum, multiply(product, byInteger: 2))
    }

    /// Arithmetic shares of [x < 0] (integers 0 or 1): the most significant bit of x, by A2B and
    /// B2A — 8 rounds. For fixed-point x this is the sign of the value.
    public mutating func isNegative(_ x: ArithmeticShare) async throws(CryptoError) -> ArithmeticShare {
        let binary = try await arithmeticToBinary(x)
        return try await bitToArithmetic(BinaryShare(words: binary.words.map { $0 >> 63 }))
    }

    /// Arithmetic shares of [x < y] (integers 0 or 1), 8 rounds; correct while |x − y| stays
    /// within the ring's signed range (always, for values inside the encoding's range).
    public mutating func lessThan(_ x: ArithmeticShare, _ y: ArithmeticShare) async throws(CryptoError) -> ArithmeticShare {
        try await isNegative(subtract(x, y))
    }

    /// Arithmetic shares of sign(x) as integers: −1 for x < 0, +1 otherwise (zero counts as
    /// positive), 8 rounds.
    public mutating func sign(_ x: ArithmeticShare) async throws(CryptoError) -> ArithmeticShare {
        let negative = try await isNegative(x)
        return try addRing(multiply(negative, byInteger: -2), [UInt64](repeating: 1, count: x.count))
    }

    /// Shares of ReLU(x) = max(x, 0): x · [x ≥ 0], 9 rounds (8 for the bit, one product). Exact:
    /// the product of a value and a bit needs no truncation.
    public mutating func relu(_ x: ArithmeticShare) async throws(CryptoError) -> ArithmeticShare {
        let negative = try await isNegative(x)
        let nonNegative = try addRing(multiply(negative, byInteger: -1), [UInt64](repeating: 1, count: x.count))
        return try await multiply(x, nonNegative, truncating: false)
    }

    /// Shares of `bit` ? a : b for arithmetic bits (integers 0 or 1): b + bit·(a − b), one round.
    public mutating func select(_ bit: ArithmeticShare, _ a: ArithmeticShare, _ b: ArithmeticShare) async throws(CryptoError) -> ArithmeticShare {
        let difference = try subtract(a, b)
        return try add(b, await multiply(bit, difference, truncating: false))
    }

    /// Shares of the elementwise max(x, y): 9 rounds.
    public mutating func maximum(_ x: ArithmeticShare, _ y: ArithmeticShare) async throws(CryptoError) -> ArithmeticShare {
        let xSmaller = try await lessThan(x, y)
        return try await select(xSmaller, y, x)
    }

    /// Shares of the maximum of each row of a row-major `rows` × `columns` matrix and the index
    /// of a maximal element (an integer share, the first of equal maxima in the tournament),
    /// by a tournament: ⌈log₂ columns⌉ levels, each one comparison and one selection of value
    /// and index together — 9 rounds per level (36 for 10 columns). Every row's tournament runs
    /// in the same rounds.
    public mutating func argmax(_ x: ArithmeticShare, rows: Int, columns: Int) async throws(CryptoError) -> (maximum: ArithmeticShare, index: ArithmeticShare) {
        guard rows > 0, columns > 0, x.count == rows * columns else {
            throw CryptoError(.invalidParameter, "argmax of \(x.count) elements does not fit \(rows)×\(columns)")
        }
        // Candidates per row, as flat columns-major lists of (value, index) for the current level.
        var values = (0..<columns).map { column in (0..<rows).map { x.words[$0 * columns + column] } }
        var indices = (0..<columns).map { column in constantRing([UInt64](repeating: UInt64(column), count: rows)).words }
        while values.count > 1 {
            let pairs = values.count / 2
            var left: [UInt64] = [], right: [UInt64] = [], leftIndex: [UInt64] = [], rightIndex: [UInt64] = []
            left.reserveCapacity(pairs * rows)
            for pair in 0..<pairs {
                left += values[2 * pair]; right += values[2 * pair + 1]
                leftIndex += indices[2 * pair]; rightIndex += indices[2 * pair + 1]
            }
            // Keep the left candidate unless it is strictly smaller.
            let leftSmaller = try await lessThan(ArithmeticShare(words: left), ArithmeticShare(words: right))
            let chosen = try await select(ArithmeticShare(words: leftSmaller.words + leftSmaller.words),
                                          ArithmeticShare(words: right + rightIndex), ArithmeticShare(words: left + leftIndex))
            var nextValues: [[UInt64]] = [], nextIndices: [[UInt64]] = []
            let half = pairs * rows
            for pair in 0..<pairs {
                nextValues.append(Array(chosen.words[(pair * rows)..<((pair + 1) * rows)]))
                nextIndices.append(Array(chosen.words[(half + pair * rows)..<(half + (pair + 1) * rows)]))
            }
            if values.count % 2 == 1 {
                nextValues.append(values[values.count - 1])
                nextIndices.append(indices[indices.count - 1])
            }
            values = nextValues
            indices = nextIndices
        }
        return (ArithmeticShare(words: values[0]), ArithmeticShare(words: indices[0]))
    }

    /// Shares of the maximum of each row of a row-major `rows` × `columns` matrix (the
    /// tournament of ``argmax(_:rows:columns:)`` without the indices).
    public mutating func rowMaximum(_ x: ArithmeticShare, rows: Int, columns: Int) async throws(CryptoError) -> ArithmeticShare {
        try await argmax(x, rows: rows, columns: columns).maximum
    }

    /// Shares of 2-D max pooling of `x`, laid out (channels, height, width) row-major, with a
    /// square `window` and `stride` (no padding; windows that do not fit are dropped): output
    /// (channels, ⌊(height − window)/stride⌋ + 1, likewise for width). One tournament over
    /// window² candidates for all outputs at once: 9·⌈log₂ window²⌉ rounds (18 for 2×2).
    public mutating func maxPool2D(_ x: ArithmeticShare, channels: Int, height: Int, width: Int,
                                   window: Int, stride: Int) async throws(CryptoError) -> ArithmeticShare {
        guard channels > 0, height > 0, width > 0, window > 0, stride > 0, window <= height, window <= width,
              x.count == channels * height * width else {
            throw CryptoError(.invalidParameter, "max pool of \(x.count) elements does not fit \(channels)×\(height)×\(width) with window \(window), stride \(stride)")
        }
        let outHeight = (height - window) / stride + 1, outWidth = (width - window) / stride + 1
        let outputs = channels * outHeight * outWidth, candidates = window * window
        var gathered = [UInt64](repeating: 0, count: outputs * candidates)
        var output = 0
        for channel in 0..<channels {
            for row in 0..<outHeight {
                for column in 0..<outWidth {
                    var slot = 0
                    for dy in 0..<window {
                        for dx in 0..<window {
                            let source = (channel * height + row * stride + dy) * width + column * stride + dx
                            gathered[output * candidates + slot] = x.words[source]
                            slot += 1
                        }
                    }
                    output += 1
                }
            }
        }
        return try await rowMaximum(ArithmeticShare(words: gathered), rows: outputs, columns: candidates)
    }
}
