extension MPCParty {
    /// Shares of eˣ by the limit (1 + x/2ᵗ)^(2ᵗ), t = `iterations` (default 8): a local
    /// truncation by t bits, then t squarings — t rounds, each party sending 2·count words per
    /// round.
    ///
    /// Accuracy (f = 16, t = 8), measured: the limit's own error is about x²·eˣ/2ᵗ⁺¹, so for
    /// x ≤ 0 the absolute error stays below 1.1·10⁻³ (largest near x = −2) and results below
    /// 2⁻¹⁶ round to 0 (x ≤ −13); for x > 0 the relative error grows, 0.2 % at x = 1, 3 % at
    /// x = 4. For x < −2ᵗ (−256) the base 1 + x/2ᵗ is negative and the result meaningless; in
    /// softmax the inputs are x − max ≤ 0 and must stay above −256.
    public mutating func exponential(_ x: ArithmeticShare, iterations: Int = 8) async throws(CryptoError) -> ArithmeticShare {
        let t = min(max(iterations, 1), encoding.fractionalBits)
        var y = try addRing(truncate(x, bits: t), [UInt64](repeating: try encoding.encode(1), count: x.count))
        for _ in 0..<t { y = try await multiply(y, y) }
        return y
    }

    /// Shares of 1/x by Newton–Raphson, yₖ₊₁ = yₖ·(2 − x·yₖ), from CrypTen's initial guess
    /// y₀ = 3·e^(0.5 − x) + 0.003: ``exponential(_:iterations:)`` then 2 rounds per iteration
    /// (default 10 iterations: 28 rounds).
    ///
    /// Domain: x ∈ [1, 450]. y₀ must lie in (0, 2/x), and the exponential of 0.5 − x breaks
    /// down below −256 (see ``exponential(_:iterations:)``), which makes y₀ too large past
    /// x ≈ 500 and the iteration diverge. Within the domain the result is within two fixed-point
    /// units (3·10⁻⁵) of 1/x (measured; the relative error therefore grows with x, 0.5 % at
    /// x = 400). Softmax denominators (a sum of exponentials whose largest is e⁰ = 1, over at most
    /// 450 columns) lie in it.
    public mutating func reciprocal(_ x: ArithmeticShare, iterations: Int = 10) async throws(CryptoError) -> ArithmeticShare {
        let count = x.count
        let half = try addRing(multiply(x, byInteger: -1), [UInt64](repeating: try encoding.encode(0.5), count: count))
        var y = try await exponential(half)
        y = try add(multiply(y, byInteger: 3), constant: [Double](repeating: 0.003, count: count))
        let two = [UInt64](repeating: try encoding.encode(2), count: count)
        for _ in 0..<max(iterations, 0) {
            let xy = try await multiply(x, y)
            let correction = try addRing(multiply(xy, byInteger: -1), two)
            y = try await multiply(y, correction)
        }
        return y
    }

    /// Shares of the row-wise softmax of a row-major `rows` × `columns` matrix:
    /// e^(x − max) / Σ e^(x − max), with ``rowMaximum(_:rows:columns:)``,
    /// ``exponential(_:iterations:)``, ``reciprocal(_:iterations:)`` and one product:
    /// 9·⌈log₂ columns⌉ + 8 + 28 + 1 rounds (73 for 10 columns).
    ///
    /// Accuracy: each probability within about 5·10⁻³ of the plaintext softmax for logit
    /// spreads below 16 (the tests' bound); a logit more than 256 below its row's maximum gets a
    /// meaningless weight (see ``exponential(_:iterations:)``). Rows of more than 450 columns
    /// are refused (`.invalidParameter`): their denominators leave the reciprocal's domain.
    public mutating func softmax(_ x: ArithmeticShare, rows: Int, columns: Int) async throws(CryptoError) -> ArithmeticShare {
        guard columns <= 450 else { throw CryptoError(.invalidParameter, "softmax over \(columns) columns: at most 450 (the reciprocal's domain)") }
        let maximum = try await rowMaximum(x, rows: rows, columns: columns)
        var spread = x.words
        for index in spread.indices { spread[index] = spread[index] &- maximum.words[index / columns] }
        let exponentials = try await exponential(ArithmeticShare(words: spread))
        let sums = try sumGroups(exponentials, groupSize: columns)
        let inverses = try await reciprocal(sums)
        let broadcast = ArithmeticShare(words: (0..<(rows * columns)).map { inverses.words[$0 / columns] })
        return try await multiply(exponentials, broadcast)
    }

    /// Shares of the logistic sigmoid σ(x) = 1/(1 + e⁻ˣ), computed on |x| so that the
    /// reciprocal's argument stays in [1, 2]: s = [x < 0], |x| = x·(1 − 2s), σ(|x|) by
    /// ``exponential(_:iterations:)`` and ``reciprocal(_:iterations:)``, then
    /// σ(x) = s ? 1 − σ(|x|) : σ(|x|) — 8 + 1 + 8 + 28 + 1 = 46 rounds.
    ///
    /// Accuracy: within 10⁻³ of σ for |x| < 256 (measured by the tests on [−20, 20]); inputs
    /// must satisfy |x| < 256 (the exponential's domain).
    public mutating func sigmoid(_ x: ArithmeticShare) async throws(CryptoError) -> ArithmeticShare {
        let count = x.count
        let negative = try await isNegative(x)
        let signs = try addRing(multiply(negative, byInteger: -2), [UInt64](repeating: 1, count: count))
        let magnitude = try await multiply(x, signs, truncating: false)
        let decay = try await exponential(multiply(magnitude, byInteger: -1))
        let positive = try await reciprocal(addRing(decay, [UInt64](repeating: try encoding.encode(1), count: count)))
        let mirrored = try addRing(multiply(positive, byInteger: -1), [UInt64](repeating: try encoding.encode(1), count: count))
        return try await select(negative, mirrored, positive)
    }
}
