import Foundation

/// Poisson subsampling: every example joins a batch independently with probability `rate`, so
/// batch sizes vary (Abadi et al. 2016; the sampler the RDP analysis of the subsampled Gaussian
/// assumes).
///
/// Draws geometric gaps between chosen indices, so a batch costs O(q·N) random numbers, not O(N).
public struct PoissonSampler: Sendable {
    /// Number of examples to sample from.
    public let population: Int
    /// Inclusion probability q of each example in each batch.
    public let rate: Double

    /// A sampler over `0..<population` with inclusion probability `rate` in (0, 1].
    public init(population: Int, rate: Double) throws(PrivacyError) {
        guard population > 0 else { throw PrivacyError(parameter: "population", message: "expected at least one example, got \(population)") }
        guard rate.isFinite, rate > 0, rate <= 1 else {
            throw PrivacyError(parameter: "samplingRate", message: "expected a number in (0, 1], got \(rate)")
        }
        self.population = population
        self.rate = rate
    }

    /// The indices of one batch, increasing.
    public func sample(using source: inout DPRandomSource) -> [Int] {
        if rate == 1 { return Array(0..<population) }
        var out: [Int] = []
        out.reserveCapacity(Int(Double(population) * rate * 1.2) + 8)
        let logStay = log1p(-rate)
        var i = -1
        while true {
            let gap = (log(source.nextOpenUniform()) / logStay).rounded(.down)
            guard gap.isFinite, gap < Double(population) else { break }
            i += Int(gap) + 1
            if i >= population { break }
            out.append(i)
        }
        return out
    }

    /// Steps that make one expected pass over the data: round(1/q).
    public var stepsPerEpoch: Int { max(1, Int((1 / rate).rounded())) }
}
