import Foundation

/// How vectors sit in the N/2 slots of a CKKS ciphertext for encrypted linear algebra: the slots
/// are cut into `blockCount` disjoint blocks of `blockSize` consecutive slots (a power of two that
/// divides the slot count), and vector b occupies slots b·blockSize ..< b·blockSize + its length,
/// the rest of its block being zero. Every block is computed on independently by
/// ``CKKSEvaluator/multiply(_:_:keys:)``, so one ciphertext carries `blockCount` images (SIMD
/// packing: at N = 8192, blocks of 1024 slots hold four 784-pixel images).
///
/// No replication is needed: the diagonal products only ever read a slot outside a vector's own
/// block where the (plaintext) diagonal is zero, so the neighbouring blocks' values are multiplied
/// by zero (see ``CKKSMatrixShape``).
///
/// ```swift
/// let layout = try CKKSBlockLayout(slotCount: 16, blockSize: 8)
/// let slots = try layout.pack([[1, 2], [3]])
/// print(slots[0], slots[1], slots[8], layout.blockCount)  // 1.0 2.0 3.0 2
/// print(layout.unpack(slots, count: 2, width: 2))  // [[1.0, 2.0], [3.0, 0.0]]
/// ```
public struct CKKSBlockLayout: Sendable, Hashable {
    /// The number of slots, N/2.
    public let slotCount: Int
    /// The slots per block, a power of two dividing ``slotCount``.
    public let blockSize: Int

    /// A layout of `slotCount` slots in blocks of `blockSize`; throws `invalidParameter` unless
    /// both are powers of two and `blockSize` ≤ `slotCount`.
    public init(slotCount: Int, blockSize: Int) throws(CryptoError) {
        guard slotCount > 0, slotCount & (slotCount - 1) == 0 else {
            throw CryptoError(.invalidParameter, "slot count \(slotCount) is not a power of two")
        }
        guard blockSize > 0, blockSize & (blockSize - 1) == 0, blockSize <= slotCount else {
            throw CryptoError(.invalidParameter, "block size \(blockSize) is not a power of two in 1…\(slotCount)")
        }
        self.slotCount = slotCount
        self.blockSize = blockSize
    }

    /// The number of blocks (vectors per ciphertext).
    public var blockCount: Int { slotCount / blockSize }

    /// The slot vector holding `vectors[b]` at the start of block b (zeros elsewhere); throws
    /// `invalidParameter` for more vectors than blocks, a vector longer than a block, or a
    /// non-finite value.
    public func pack<Scalar: BinaryFloatingPoint>(_ vectors: [[Scalar]]) throws(CryptoError) -> [Double] {
        guard vectors.count <= blockCount else {
            throw CryptoError(.invalidParameter, "\(vectors.count) vectors do not fit in \(blockCount) blocks of \(blockSize) slots")
        }
        var slots = [Double](repeating: 0, count: slotCount)
        for (b, vector) in vectors.enumerated() {
            guard vector.count <= blockSize else {
                throw CryptoError(.invalidParameter, "vector \(b) has \(vector.count) values for a block of \(blockSize) slots")
            }
            for (i, value) in vector.enumerated() {
                let v = Double(value)
                guard v.isFinite else { throw CryptoError(.invalidParameter, "vector \(b) holds a non-finite value at index \(i)") }
                slots[b * blockSize + i] = v
            }
        }
        return slots
    }

    /// The slot vector holding `vector` at the start of every block (weights and biases shared by
    /// all packed images); throws like ``pack(_:)``.
    public func replicate<Scalar: BinaryFloatingPoint>(_ vector: [Scalar]) throws(CryptoError) -> [Double] {
        try pack([[Scalar]](repeating: vector, count: blockCount))
    }

    /// The first `width` slots of each of the first `count` blocks (at most ``blockCount`` and
    /// ``blockSize``; slots beyond `slots.count` read as zero).
    public func unpack(_ slots: [Double], count: Int, width: Int) -> [[Double]] {
        (0..<min(max(count, 0), blockCount)).map { b in
            (0..<min(max(width, 0), blockSize)).map { i in
                let index = b * blockSize + i
                return index < slots.count ? slots[index] : 0
            }
        }
    }
}

/// The plan of one encrypted matrix–vector product y = W·x for a plaintext W with `outputCount`
/// rows and `inputCount` columns, evaluated on every block of a ``CKKSBlockLayout`` at once by the
/// diagonal method with baby-step giant-step (Halevi–Shoup 2014, "Algorithms in HElib"; the
/// rectangular fold as in Juvekar–Vaikuntanathan–Chandrakasan 2018, GAZELLE).
///
/// Let p be `outputCount` rounded up to a power of two (``diagonalCount``) and D the smallest
/// power of two with D ≥ p and D ≥ inputCount + p − 1 (``span``). Within a block, with x at slots
/// 0 ..< inputCount and zeros after it, the product first forms for every slot j < D
///
///     t[j] = Σ_{i<p} d_i[j] · x[j − i],   d_i[j] = W[j mod p][j − i] (0 where that entry does not exist)
///
/// — each entry W[r][c] is used exactly once, at the one j ≡ r (mod p) in [c, c + p) — and then
/// folds: t ← t + rot(t, s) for s = D/2, D/4, …, p, after which slot r < outputCount holds
/// y[r] = Σ_c W[r][c]·x[c]. Slots p ≤ j < D of the block hold partial sums (not zeros); later
/// layers never read them (their diagonals are zero there), but they must stay within the
/// modulus like any value. A read x[j − i] with j − i < 0 falls in the previous block, where
/// d_i[j] = 0, so packed blocks never mix.
///
/// Baby-step giant-step: with i = g·a + b (b < g baby steps, a < p/g giant steps),
/// Σ_i d_i ⊙ rot(x, −i) = Σ_a rot(Σ_b rot(d_{ga+b}, g·a) ⊙ rot(x, −b), −g·a): the g − 1 baby
/// rotations of x share one key-switching decomposition (hoisted), the diagonals are rotated in
/// the clear, and only p/g − 1 giant rotations and log2(D/p) folds act on sums. The rotations are
/// the steps ``galoisSteps``: generate Galois keys for exactly those.
///
/// ```swift
/// let layout = try CKKSBlockLayout(slotCount: 4096, blockSize: 1024)
/// let shape = try CKKSMatrixShape(outputCount: 32, inputCount: 784, layout: layout)
/// print(shape.diagonalCount, shape.span, shape.babyStepCount, shape.giantStepCount)  // 32 1024 8 4
/// print(shape.galoisSteps.count)  // 15
/// ```
public struct CKKSMatrixShape: Sendable, Hashable {
    /// The rows of W (entries of y).
    public let outputCount: Int
    /// The columns of W (entries of x).
    public let inputCount: Int
    /// The slot layout the product runs on.
    public let layout: CKKSBlockLayout
    /// p: `outputCount` rounded up to a power of two, the number of diagonals.
    public let diagonalCount: Int
    /// D: the slots of each block the product works in (a power of two ≤ the block size).
    public let span: Int
    /// g: the baby steps (rotations of the input, hoisted), a power of two dividing p.
    public let babyStepCount: Int

    /// Plans W (outputCount × inputCount) on `layout`. `babyStepCount` (a power of two ≤ p)
    /// defaults to 2^⌈log2(p)/2⌉, about √p; p gives the plain diagonal method (all p − 1 rotations
    /// of the input hoisted, no giant steps), 1 gives rotations of the products only. Throws
    /// `invalidParameter` when the span D does not fit in a block or a count is not positive.
    public init(outputCount: Int, inputCount: Int, layout: CKKSBlockLayout, babyStepCount: Int? = nil) throws(CryptoError) {
        guard outputCount > 0, inputCount > 0 else {
            throw CryptoError(.invalidParameter, "a matrix of \(outputCount) × \(inputCount) has no entries")
        }
        var p = 1
        while p < outputCount { p *= 2 }
        var d = p
        while d < inputCount + p - 1 { d *= 2 }
        guard d <= layout.blockSize else {
            throw CryptoError(.invalidParameter,
                              "a \(outputCount) × \(inputCount) product needs \(d) slots per block (inputs + padded outputs − 1, rounded up to a power of two), more than the block size \(layout.blockSize)")
        }
        var logP = 0
        while (1 << logP) < p { logP += 1 }
        let g = babyStepCount ?? (1 << ((logP + 1) / 2))
        guard g > 0, g & (g - 1) == 0, g <= p else {
            throw CryptoError(.invalidParameter, "baby-step count \(g) is not a power of two in 1…\(p)")
        }
        self.outputCount = outputCount
        self.inputCount = inputCount
        self.layout = layout
        diagonalCount = p
        span = d
        self.babyStepCount = g
    }

    /// p / g: the giant steps.
    public var giantStepCount: Int { diagonalCount / babyStepCount }

    /// The rotations of the baby steps: −1 … −(g − 1) (right by b).
    public var babySteps: [Int] { (1..<max(babyStepCount, 1)).map { -$0 } }
    /// The rotations of the giant steps: −g·a for 1 ≤ a < p/g.
    public var giantSteps: [Int] { (1..<max(giantStepCount, 1)).map { -babyStepCount * $0 } }
    /// The rotations of the fold: D/2, D/4, …, p (left).
    public var foldSteps: [Int] {
        var steps: [Int] = []
        var s = span / 2
        while s >= diagonalCount {
            steps.append(s)
            s /= 2
        }
        return steps
    }

    /// Every rotation step the product performs, ascending and without duplicates: the Galois keys
    /// a client must generate (``CKKSKeyGenerator/galoisKeys(rotations:conjugation:)``) for it.
    public var galoisSteps: [Int] {
        CKKSMatrixShape.normalisedSteps(babySteps + giantSteps + foldSteps, slotCount: layout.slotCount)
    }

    /// The nonzero steps among `steps` that are distinct modulo the slot count (the first of each
    /// class kept), ascending.
    static func normalisedSteps(_ steps: [Int], slotCount: Int) -> [Int] {
        var seen = Set<Int>()
        var result: [Int] = []
        for s in steps {
            let key = ((s % slotCount) + slotCount) % slotCount
            if key != 0, seen.insert(key).inserted { result.append(s) }
        }
        return result.sorted()
    }

    /// The slot vector of the diagonal d_i of `weights` (row-major, outputCount × inputCount),
    /// repeated in every block and rotated left by `shift` slots.
    func diagonal(_ i: Int, of weights: [Double], shift: Int) -> [Double] {
        let n = layout.slotCount
        let blockSize = layout.blockSize
        let p = diagonalCount
        var result = [Double](repeating: 0, count: n)
        var nonzero = false
        for s in 0..<n {
            let source = (s + shift) % n
            let j = source % blockSize
            guard j < span else { continue }
            let r = j % p, c = j - i
            guard r < outputCount, c >= 0, c < inputCount else { continue }
            let w = weights[r * inputCount + c]
            result[s] = w
            if w != 0 { nonzero = true }
        }
        return nonzero ? result : []
    }
}

/// A plaintext weight matrix encoded for ``CKKSEvaluator/multiply(_:_:keys:)``: its diagonals,
/// rotated for the giant steps, as CKKS plaintexts at one level, at the scale of the prime that
/// the product's rescale removes (so y comes out at x's scale). Encode once, multiply many
/// ciphertexts; all-zero diagonals are skipped.
///
/// Cost: p encodings (FFT of N/2 points and `level` NTTs each); memory p · level · N words.
///
/// ```swift
/// let parameters = try CKKSParameters.insecureForTesting(polyDegree: 64, coefficientModulusBits: [50, 40, 50], scale: 0x1p40)
/// let context = try CKKSContext(parameters: parameters)
/// let shape = try CKKSMatrixShape(outputCount: 2, inputCount: 3, layout: CKKSBlockLayout(slotCount: 32, blockSize: 8))
/// let matrix = try CKKSEncodedMatrix(weights: [[1, 2, 3], [4, 5, 6]], shape: shape, context: context, level: 2)
/// print(matrix.level, matrix.plaintextCount)  // 2 2
/// ```
public struct CKKSEncodedMatrix: Sendable {
    /// The product's plan.
    public let shape: CKKSMatrixShape
    /// The level of the plaintexts (the input ciphertext's level; the output is one lower).
    public let level: Int
    /// plaintexts[a][b]: the diagonal g·a + b rotated left by g·a, or nil when it is all zero.
    let plaintexts: [[CKKSPlaintext?]]
    /// The scale of every plaintext: the prime q_{level−1}.
    let scale: Double
    let contextIdentifier: UInt64

    /// Encodes `weights` (`shape.outputCount` rows of `shape.inputCount` values) at `level`
    /// (2 … the context's maximum: the product rescales once). Throws `invalidParameter` for a
    /// matrix of another shape, a non-finite weight, a layout of another slot count or a level
    /// out of range.
    public init<Scalar: BinaryFloatingPoint>(weights: [[Scalar]], shape: CKKSMatrixShape, context: CKKSContext, level: Int) throws(CryptoError) {
        guard weights.count == shape.outputCount, weights.allSatisfy({ $0.count == shape.inputCount }) else {
            throw CryptoError(.invalidParameter,
                              "the weight matrix is not \(shape.outputCount) rows of \(shape.inputCount) values (got \(weights.count) rows of \(weights.first?.count ?? 0))")
        }
        guard shape.layout.slotCount == context.parameters.slotCount else {
            throw CryptoError(.invalidParameter, "the layout has \(shape.layout.slotCount) slots, the context \(context.parameters.slotCount)")
        }
        guard (2...context.maximumLevel).contains(level) else {
            throw CryptoError(.invalidParameter,
                              "a matrix product at level \(level) cannot rescale: encode it at a level in 2…\(context.maximumLevel)")
        }
        var flat: [Double] = []
        flat.reserveCapacity(shape.outputCount * shape.inputCount)
        for (r, row) in weights.enumerated() {
            for (c, w) in row.enumerated() {
                let v = Double(w)
                guard v.isFinite else { throw CryptoError(.invalidParameter, "weight [\(r)][\(c)] is not finite") }
                flat.append(v)
            }
        }
        let encoder = CKKSEncoder(context: context)
        // Encoding at the rescaled prime's own value makes the output scale equal the input's.
        let scale = Double(context.moduli[level - 1].prime)
        var plaintexts: [[CKKSPlaintext?]] = []
        let g = shape.babyStepCount
        for a in 0..<shape.giantStepCount {
            var row: [CKKSPlaintext?] = []
            for b in 0..<g {
                let slots = shape.diagonal(g * a + b, of: flat, shift: g * a)
                row.append(slots.isEmpty ? nil : try encoder.encode(slots, scale: scale, level: level))
            }
            plaintexts.append(row)
        }
        self.shape = shape
        self.level = level
        self.plaintexts = plaintexts
        self.scale = scale
        contextIdentifier = context.identifier
    }

    /// The number of nonzero diagonals stored (plaintext multiplications per product).
    public var plaintextCount: Int { plaintexts.reduce(0) { $0 + $1.count { $0 != nil } } }
}

extension CKKSGaloisKeys {
    /// The steps among `steps` that these keys cannot rotate by (in `context`), in the given order.
    public func missingRotations(_ steps: [Int], context: CKKSContext) -> [Int] {
        steps.filter { step in
            let g = context.galoisElement(forRotation: step)
            return g != 1 && keys[g] == nil
        }
    }
}

extension CKKSEvaluator {
    /// The encrypted product W·x on every block of `x` (see ``CKKSMatrixShape`` for the slot
    /// layout and the baby-step giant-step evaluation), rescaled once: the result is one level
    /// below `matrix.level` at x's scale. A ciphertext above the matrix's level is switched down
    /// first. Throws `operandMismatch` for a ciphertext below the matrix's level, of another context
    /// or key, or when `keys` lack a rotation of ``CKKSMatrixShape/galoisSteps`` (the message lists
    /// the missing steps).
    ///
    /// Cost: g − 1 hoisted rotations, p/g − 1 rotations at `matrix.level`, log2(D/p) rotations one
    /// level lower, p plaintext multiply-accumulates and one rescale.
    ///
    /// ```swift
    /// let parameters = try CKKSParameters.insecureForTesting(polyDegree: 64, coefficientModulusBits: [50, 40, 50], scale: 0x1p40)
    /// let context = try CKKSContext(parameters: parameters)
    /// let keys = CKKSKeyGenerator(context: context)
    /// let layout = try CKKSBlockLayout(slotCount: 32, blockSize: 8)
    /// let shape = try CKKSMatrixShape(outputCount: 2, inputCount: 3, layout: layout)
    /// let matrix = try CKKSEncodedMatrix(weights: [[1, 2, 3], [4, 5, 6]], shape: shape, context: context, level: 2)
    /// let encoder = CKKSEncoder(context: context)
    /// let x = try CKKSEncryptor(context: context, secretKey: keys.secretKey).encrypt(encoder.encode(layout.pack([[1, 0, -1]])))
    /// let y = try CKKSEvaluator(context: context).multiply(matrix, x, keys: keys.galoisKeys(rotations: shape.galoisSteps))
    /// let slots = try encoder.decode(CKKSDecryptor(context: context, secretKey: keys.secretKey).decrypt(y))
    /// print(layout.unpack(slots, count: 1, width: 2)[0].map { $0.rounded() })  // [-2.0, -2.0]
    /// ```
    public func multiply(_ matrix: CKKSEncodedMatrix, _ x: CKKSCiphertext, keys: CKKSGaloisKeys) throws(CryptoError) -> CKKSCiphertext {
        try context.checkSame(matrix.contextIdentifier, "the encoded matrix")
        try context.checkSame(x.contextIdentifier, "the ciphertext")
        try context.checkSame(keys.contextIdentifier, "the Galois keys")
        let shape = matrix.shape
        let missing = keys.missingRotations(shape.galoisSteps, context: context)
        guard missing.isEmpty else {
            throw CryptoError(.operandMismatch,
                              "no Galois keys for rotations \(missing) of the \(shape.outputCount) × \(shape.inputCount) product; generate keys for CKKSMatrixShape.galoisSteps")
        }
        guard x.level >= matrix.level else {
            throw CryptoError(.operandMismatch, "the ciphertext is at level \(x.level), below the matrix's level \(matrix.level)")
        }
        guard x.size == 2 else {
            throw CryptoError(.operandMismatch, "a matrix product needs a relinearised ciphertext (2 polynomials), got \(x.size)")
        }
        let input = x.level > matrix.level ? try modSwitch(x, toLevel: matrix.level) : x
        let g = shape.babyStepCount
        let babies = try rotations(input, by: [0] + shape.babySteps, keys: keys)
        var total: CKKSCiphertext?
        for a in 0..<shape.giantStepCount {
            guard var inner = multiplyAccumulate(babies, matrix.plaintexts[a]) else { continue }
            inner.scale = input.scale * matrix.scale
            if a > 0 { inner = try rotate(inner, by: -g * a, keys: keys) }
            if let sum = total { total = try add(sum, inner) } else { total = inner }
        }
        guard var result = total else {
            // An all-zero matrix: W·x = 0, as an encryption of zero (x times zero) at the output's level.
            let zero = try CKKSEncoder(context: context).encode([], scale: matrix.scale, level: matrix.level)
            return try rescale(multiply(input, zero))
        }
        result = try rescale(result)
        for s in shape.foldSteps { result = try add(result, rotate(result, by: s, keys: keys)) }
        return result
    }

    /// Σ_b ciphertexts[b] ⊙ plaintexts[b] over the non-nil plaintexts with one reduction per
    /// coefficient (128-bit accumulation); nil when every plaintext is nil. The scale is left to
    /// the caller.
    func multiplyAccumulate(_ ciphertexts: [CKKSCiphertext], _ plaintexts: [CKKSPlaintext?]) -> CKKSCiphertext? {
        let terms = zip(ciphertexts, plaintexts).compactMap { c, p in p.map { (c, $0) } }
        guard let first = terms.first?.0 else { return nil }
        let n = context.degree
        let level = first.level
        var components: [[UInt64]] = []
        var accumulator = [UInt64](repeating: 0, count: 2 * n)
        for component in 0..<2 {
            var out = [UInt64](repeating: 0, count: level * n)
            out.withUnsafeMutableBufferPointer { outBuffer in
                accumulator.withUnsafeMutableBufferPointer { accBuffer in
                    let acc = accBuffer.baseAddress!
                    for j in 0..<level {
                        let m = context.moduli[j]
                        acc.update(repeating: 0, count: 2 * n)
                        // Residues below 2^61: each product is below 2^122, so 64 of them fit in 128 bits;
                        // reduce after every 64 terms.
                        for (t, (c, p)) in terms.enumerated() {
                            if t > 0, t % 64 == 0 {
                                for k in 0..<n {
                                    acc[2 * k] = m.reduce(high: acc[2 * k + 1], low: acc[2 * k])
                                    acc[2 * k + 1] = 0
                                }
                            }
                            c.components[component].withUnsafeBufferPointer { cb in
                                p.values.withUnsafeBufferPointer { pb in
                                    let cc = cb.baseAddress! + j * n, pp = pb.baseAddress! + j * n
                                    for k in 0..<n {
                                        let product = cc[k].multipliedFullWidth(by: pp[k])
                                        let (low, overflow) = acc[2 * k].addingReportingOverflow(product.low)
                                        acc[2 * k] = low
                                        acc[2 * k + 1] = acc[2 * k + 1] &+ product.high &+ (overflow ? 1 : 0)
                                    }
                                }
                            }
                        }
                        let o = outBuffer.baseAddress! + j * n
                        for k in 0..<n { o[k] = m.reduce(high: acc[2 * k + 1], low: acc[2 * k]) }
                    }
                }
            }
            components.append(out)
        }
        return CKKSCiphertext(components: components, level: level, scale: first.scale, keyIdentifier: first.keyIdentifier,
                              contextIdentifier: context.identifier, seed: nil)
    }
}
