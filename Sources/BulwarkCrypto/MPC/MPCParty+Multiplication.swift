extension MPCParty {
    /// Shares of the elementwise product x·y by Beaver's protocol: open e = x − a and f = y − b
    /// (one round; each party sends 2·count words to each peer), then
    /// z = c + e·b + f·a + e·f (the last term at party 0 only).
    ///
    /// With `truncating` (the default) x and y are fixed-point and the product is brought back to
    /// scale 2ᶠ (two parties; error at most 2⁻ᶠ beyond the inputs' own, with the failure
    /// probability of ``AdditiveSharing/truncate(_:party:bits:)``). Without it the product is
    /// exact in the ring (integers, bits, or one fixed-point factor times an integer).
    public mutating func multiply(_ x: ArithmeticShare, _ y: ArithmeticShare, truncating: Bool = true) async throws(CryptoError) -> ArithmeticShare {
        try Self.checkSameCount(x.count, y.count, "multiply")
        let count = x.count
        let triple = try await preprocessing.beaverTriples(count: count, channel: channel, cost: &preprocessingCost)
        guard triple.count == count else { throw CryptoError(.malformed, "triple source gave \(triple.count) triples for \(count) products") }
        var masked = [UInt64](repeating: 0, count: 2 * count)
        for index in 0..<count {
            masked[index] = x.words[index] &- triple.a[index]
            masked[count + index] = y.words[index] &- triple.b[index]
        }
        let opened = try AdditiveSharing.reconstruct(try await exchange(masked))
        var z = triple.c
        let first = partyID == 0
        for index in 0..<count {
            let e = opened[index], f = opened[count + index]
            var term = z[index] &+ e &* triple.b[index] &+ f &* triple.a[index]
            if first { term = term &+ e &* f }
            z[index] = term
        }
        let product = ArithmeticShare(words: z)
        return truncating ? try truncate(product, bits: encoding.fractionalBits) : product
    }

    /// Shares of the matrix product X·Y of `x` (`rows` × `inner`) and `y` (`inner` × `columns`),
    /// row-major, with one matrix triple: open E = X − A and F = Y − B (one round; each party
    /// sends rows·inner + inner·columns words to each peer), then Z = C + E·B + A·F + E·F (the
    /// last at party 0).
    ///
    /// With `truncating` (the default) the result is brought back to scale 2ᶠ as in
    /// ``multiply(_:_:truncating:)``; each output element carries at most one unit of truncation
    /// error (the inner sums are exact in the ring). Local work: three ring matrix products.
    public mutating func matrixProduct(_ x: ArithmeticShare, _ y: ArithmeticShare, rows: Int, inner: Int, columns: Int,
                                       truncating: Bool = true) async throws(CryptoError) -> ArithmeticShare {
        guard rows > 0, inner > 0, columns > 0, x.count == rows * inner, y.count == inner * columns else {
            throw CryptoError(.invalidParameter, "matrix product of \(x.count) and \(y.count) elements does not fit shapes \(rows)×\(inner) · \(inner)×\(columns)")
        }
        let triple = try await preprocessing.matrixTriple(rows: rows, inner: inner, columns: columns, channel: channel, cost: &preprocessingCost)
        guard triple.rows == rows, triple.inner == inner, triple.columns == columns,
              triple.a.count == x.count, triple.b.count == y.count, triple.c.count == rows * columns else {
            throw CryptoError(.malformed, "triple source gave a matrix triple of another shape")
        }
        var masked = [UInt64](repeating: 0, count: x.count + y.count)
        for index in 0..<x.count { masked[index] = x.words[index] &- triple.a[index] }
        for index in 0..<y.count { masked[x.count + index] = y.words[index] &- triple.b[index] }
        let opened = try AdditiveSharing.reconstruct(try await exchange(masked))
        let e = Array(opened[0..<x.count]), f = Array(opened[x.count...])
        // Party 0 adds E·F: E·B + A·F + E·F = E·(B + F) + A·F; the others add E·B + A·F.
        var bTerm = triple.b
        if partyID == 0 { for index in bTerm.indices { bTerm[index] = bTerm[index] &+ f[index] } }
        let eb = RingMatrix.multiply(e, bTerm, rows: rows, inner: inner, columns: columns)
        let af = RingMatrix.multiply(triple.a, f, rows: rows, inner: inner, columns: columns)
        var z = triple.c
        for index in z.indices { z[index] = z[index] &+ eb[index] &+ af[index] }
        let product = ArithmeticShare(words: z)
        return truncating ? try truncate(product, bits: encoding.fractionalBits) : product
    }

    /// XOR shares of x AND y, word by word, with binary Beaver triples: open e = x ⊕ a and
    /// f = y ⊕ b (one round; 2·count words to each peer), then z = c ⊕ (e∧b) ⊕ (f∧a) ⊕ (e∧f)
    /// (the last at party 0).
    public mutating func and(_ x: BinaryShare, _ y: BinaryShare) async throws(CryptoError) -> BinaryShare {
        try Self.checkSameCount(x.count, y.count, "AND")
        let count = x.count
        let triple = try await preprocessing.binaryTriples(count: count, channel: channel, cost: &preprocessingCost)
        guard triple.count == count else { throw CryptoError(.malformed, "triple source gave \(triple.count) binary triples for \(count) words") }
        var masked = [UInt64](repeating: 0, count: 2 * count)
        for index in 0..<count {
            masked[index] = x.words[index] ^ triple.a[index]
            masked[count + index] = y.words[index] ^ triple.b[index]
        }
        let opened = try BinarySharing.reconstruct(try await exchange(masked))
        var z = triple.c
        let first = partyID == 0
        for index in 0..<count {
            let e = opened[index], f = opened[count + index]
            var term = z[index] ^ (e & triple.b[index]) ^ (f & triple.a[index])
            if first { term ^= e & f }
            z[index] = term
        }
        return BinaryShare(words: z)
    }
}
