public import BulwarkDP

/// Local differential privacy for a client's updates: before an update leaves the client it is
/// clipped to L2 norm ``clipNorm`` and every coordinate gets Gaussian noise of standard
/// deviation ``noiseMultiplier`` × ``clipNorm`` — so the client needs to trust neither the
/// coordinator nor the other clients.
///
/// Any two datasets of the client give updates at most 2·S apart after clipping, so one release
/// is a Gaussian mechanism of L2 sensitivity 2S and noise σS: noise multiplier σ/2. ε after
/// `rounds` participations is the RDP (or PLD) accountant's for that many compositions, without
/// sampling amplification (q = 1: the client knows it took part).
///
/// ```swift
/// let ldp = try LocalDP(clipNorm: 1, noiseMultiplier: 4, delta: 1e-5)
/// print(try ldp.epsilon(afterRounds: 10))
/// ```
public struct LocalDP: Sendable, Codable, Equatable {
    /// The L2 norm each update is clipped to (S).
    public var clipNorm: Double
    /// Noise standard deviation over the clip norm (σ).
    public var noiseMultiplier: Double
    /// δ of the reported (ε, δ).
    public var delta: Double
    /// The accountant.
    public var accountant: PrivacyAccountantKind

    /// A plan; throws `invalidParameter` for a non-positive clip norm or noise, or δ outside (0, 1).
    public init(clipNorm: Double, noiseMultiplier: Double, delta: Double, accountant: PrivacyAccountantKind = .rdp) throws(FederatedError) {
        guard clipNorm > 0, clipNorm.isFinite else { throw FederatedError(.invalidParameter, "local DP clip norm must be positive, got \(clipNorm)") }
        guard noiseMultiplier > 0, noiseMultiplier.isFinite else {
            throw FederatedError(.invalidParameter, "local DP noise multiplier must be positive, got \(noiseMultiplier): without noise there is no ε")
        }
        guard delta > 0, delta < 1 else { throw FederatedError(.invalidParameter, "δ must be in (0, 1), got \(delta)") }
        self.clipNorm = clipNorm
        self.noiseMultiplier = noiseMultiplier
        self.delta = delta
        self.accountant = accountant
    }

    /// ε after the client released `rounds` updates.
    public func epsilon(afterRounds rounds: Int) throws(FederatedError) -> Double {
        guard rounds > 0 else { return 0 }
        do {
            return try PrivacyCalibration.epsilon(noiseMultiplier: noiseMultiplier / 2, samplingRate: 1, steps: rounds, delta: delta,
                                                  accountant: accountant)
        } catch {
            throw FederatedError(.invalidParameter, "cannot account \(rounds) local releases", underlying: error)
        }
    }

    /// `delta` clipped to ``clipNorm`` with N(0, (σS)²) added to every coordinate.
    public func privatize(_ delta: [Float], using random: inout DPRandomSource) -> [Float] {
        var out = clipped(delta, toNorm: clipNorm).values
        out.withUnsafeMutableBufferPointer { p in
            random.addGaussianNoise(to: p, standardDeviation: noiseMultiplier * clipNorm, scale: 1)
        }
        return out
    }
}
