public import BulwarkDP
import Foundation

/// DP-FedAvg (McMahan et al. 2018, "Learning differentially private recurrent language
/// models"): user-level differential privacy for federated averaging.
///
/// Each round every client joins independently with probability ``samplingRate`` (Poisson
/// sampling, drawn by ``sampleClients(of:using:)``); each participant's update is clipped to L2
/// norm ``clipNorm``; the coordinator sums the clipped updates, adds Gaussian noise of standard
/// deviation ``noiseMultiplier`` × ``clipNorm`` to every coordinate, and divides by the
/// *expected* number of participants q·N (the fixed-denominator estimator, so one client's
/// presence changes the result by at most S / (qN) in norm).
///
/// A round is one Poisson-subsampled Gaussian mechanism with rate q and multiplier σ, so the
/// ε after T rounds is what the RDP or PLD accountant says for T steps — the sampler used and
/// the one accounted for are the same. The noise is added by the coordinator after the sum
/// (central DP: with secure aggregation, the coordinator still sees the noised sum only after it
/// adds noise to the unmasked sum it reconstructed; a distributed-noise variant is not built).
///
/// ```swift
/// let plan = try DPFedAvg(clipNorm: 1, noiseMultiplier: 1.1, samplingRate: 0.1, population: 100, delta: 1e-5)
/// print(try plan.epsilon(afterRounds: 50))
/// ```
public struct DPFedAvg: Sendable, Codable, Equatable {
    /// The L2 norm every client update is clipped to (S).
    public var clipNorm: Double
    /// Noise standard deviation over the clip norm (σ).
    public var noiseMultiplier: Double
    /// The probability q that a client takes part in a round.
    public var samplingRate: Double
    /// The number of clients N in the federation.
    public var population: Int
    /// δ of the reported (ε, δ).
    public var delta: Double
    /// The accountant that turns rounds into ε.
    public var accountant: PrivacyAccountantKind

    /// A DP-FedAvg plan; throws `invalidParameter` for a non-positive clip norm or noise, a rate
    /// outside (0, 1], an empty population or a δ outside (0, 1).
    public init(clipNorm: Double, noiseMultiplier: Double, samplingRate: Double, population: Int, delta: Double,
                accountant: PrivacyAccountantKind = .rdp) throws(FederatedError) {
        guard clipNorm > 0, clipNorm.isFinite else { throw FederatedError(.invalidParameter, "DP-FedAvg clip norm must be positive, got \(clipNorm)") }
        guard noiseMultiplier > 0, noiseMultiplier.isFinite else {
            throw FederatedError(.invalidParameter, "DP-FedAvg noise multiplier must be positive, got \(noiseMultiplier): without noise there is no ε")
        }
        guard samplingRate > 0, samplingRate <= 1 else { throw FederatedError(.invalidParameter, "client sampling rate must be in (0, 1], got \(samplingRate)") }
        guard population > 0 else { throw FederatedError(.invalidParameter, "DP-FedAvg needs at least one client") }
        guard delta > 0, delta < 1 else { throw FederatedError(.invalidParameter, "δ must be in (0, 1), got \(delta)") }
        self.clipNorm = clipNorm
        self.noiseMultiplier = noiseMultiplier
        self.samplingRate = samplingRate
        self.population = population
        self.delta = delta
        self.accountant = accountant
    }

    /// The smallest noise multiplier whose ε after `rounds` rounds is at most `targetEpsilon`.
    public static func noiseMultiplier(targetEpsilon: Double, rounds: Int, samplingRate: Double, delta: Double,
                                       accountant: PrivacyAccountantKind = .rdp) throws(FederatedError) -> Double {
        do {
            return try PrivacyCalibration.noiseMultiplier(targetEpsilon: targetEpsilon, samplingRate: samplingRate, steps: rounds,
                                                          delta: delta, accountant: accountant)
        } catch {
            throw FederatedError(.invalidParameter, "cannot reach ε = \(targetEpsilon) in \(rounds) rounds", underlying: error)
        }
    }

    /// ε spent after `rounds` rounds, at ``delta``, by ``accountant``.
    public func epsilon(afterRounds rounds: Int) throws(FederatedError) -> Double {
        guard rounds > 0 else { return 0 }
        do {
            return try PrivacyCalibration.epsilon(noiseMultiplier: noiseMultiplier, samplingRate: samplingRate, steps: rounds,
                                                  delta: delta, accountant: accountant)
        } catch {
            throw FederatedError(.invalidParameter, "cannot account \(rounds) rounds", underlying: error)
        }
    }

    /// The clients of one round: each of ``population`` joins with probability ``samplingRate``
    /// (an empty round is possible and is still a round for the accountant).
    public func sampleClients(of population: Int? = nil, using random: inout DPRandomSource) -> [Int] {
        let n = population ?? self.population
        return (0..<n).filter { _ in random.nextOpenUniform() <= samplingRate }
    }

    /// Clips each update to ``clipNorm``, sums them, adds N(0, (σS)²) to every coordinate and
    /// divides by q·N. `dimension` is the model's parameter count (an empty round still adds
    /// noise). Verdicts say which updates were clipped.
    /// - Throws: `shapeMismatch` when an update's length differs from `dimension`, `malformed`
    ///   for a non-finite value.
    public func aggregate(_ updates: [ClientUpdate], dimension: Int, using random: inout DPRandomSource) throws(FederatedError) -> Aggregate {
        var sum = [Float](repeating: 0, count: dimension)
        var verdicts: [ClientVerdict] = []
        for update in updates {
            let (clipped, verdict) = try clip(update, dimension: dimension)
            for j in 0..<dimension { sum[j] += clipped[j] }
            verdicts.append(verdict)
        }
        return Aggregate(delta: noisedMean(sum: sum, using: &random), verdicts: verdicts)
    }

    /// `update`'s delta clipped to ``clipNorm`` and the verdict saying whether it was: what each
    /// client does before a secure sum, which never shows the coordinator single updates.
    /// - Throws: `shapeMismatch` or `malformed` as ``aggregate(_:dimension:using:)``.
    public func clip(_ update: ClientUpdate, dimension: Int) throws(FederatedError) -> (delta: [Float], verdict: ClientVerdict) {
        guard update.delta.count == dimension else {
            throw FederatedError(.shapeMismatch, "client \(update.client) sent \(update.delta.count) values for a model of \(dimension)")
        }
        guard update.delta.allSatisfy({ $0.isFinite }) else { throw FederatedError(.malformed, "client \(update.client) sent a non-finite value") }
        let (values, norm) = clipped(update.delta, toNorm: clipNorm)
        let verdict = ClientVerdict(client: update.client, weight: 1 / (samplingRate * Double(population)), norm: norm,
                                    note: norm > clipNorm ? "clipped \(String(format: "%.4g", norm)) → \(clipNorm)" : nil)
        return (values, verdict)
    }

    /// The sum of clipped updates plus N(0, (σS)²) per coordinate, divided by q·N.
    public func noisedMean(sum: [Float], using random: inout DPRandomSource) -> [Float] {
        var out = sum
        out.withUnsafeMutableBufferPointer { p in
            random.addGaussianNoise(to: p, standardDeviation: noiseMultiplier * clipNorm, scale: 1 / (samplingRate * Double(population)))
        }
        return out
    }
}
