import Foundation

/// A mechanism event an accountant composes.
///
/// DP-SGD reports one `poissonSubsampledGaussian` event per training run (or per phase):
/// noise multiplier σ (noise std / clipping norm), sampling rate q, and number of steps.
public enum PrivacyEvent: Sendable, Equatable {
    /// `steps` compositions of the Gaussian mechanism on a Poisson-subsampled batch.
    case poissonSubsampledGaussian(noiseMultiplier: Double, samplingRate: Double, steps: Int)
}

/// Rényi-DP accountant: composes events by adding RDP curves and converts to (ε, δ)
/// with the same orders and the same conversion formula as dp-accounting's `RdpAccountant`.
public struct RDPAccountant: Sendable {
    /// The orders dp-accounting's `RdpAccountant` uses by default:
    /// 1.1, 1.2, …, 10.9, then 11…63, then 128, 256, 512, 1024.
    public static let defaultOrders: [Double] = {
        var orders: [Double] = (1..<100).map { (x: Int) -> Double in 1 + Double(x) / 10 }
        orders.append(contentsOf: (11..<64).map { (x: Int) -> Double in Double(x) })
        orders.append(contentsOf: [128, 256, 512, 1024])
        return orders
    }()

    /// The RDP orders α this accountant tracks.
    public let orders: [Double]
    /// The accumulated RDP ε(α), one entry per order.
    public private(set) var rdp: [Double]

    /// Creates an empty accountant over `orders` (all > 1).
    public init(orders: [Double] = RDPAccountant.defaultOrders) throws(PrivacyError) {
        guard !orders.isEmpty, orders.allSatisfy({ $0.isFinite && $0 > 1 }) else {
            throw PrivacyError(parameter: "orders", message: "expected a non-empty list of finite orders > 1")
        }
        self.orders = orders
        self.rdp = Array(repeating: 0, count: orders.count)
    }

    /// Adds `event` to the composition.
    public mutating func compose(_ event: PrivacyEvent) throws(PrivacyError) {
        switch event {
        case let .poissonSubsampledGaussian(sigma, q, steps):
            guard steps >= 0 else { throw PrivacyError(parameter: "steps", message: "expected an integer >= 0, got \(steps)") }
            for k in orders.indices {
                let one = try SubsampledGaussianRDP.rdp(samplingRate: q, noiseMultiplier: sigma, order: orders[k])
                rdp[k] += steps == 0 ? 0 : one * Double(steps)
            }
        }
    }

    /// ε for the given δ, minimised over the orders (dp-accounting's conversion,
    /// Canonne, Kamath & Steinke 2020 Prop. 12 / Asoodeh et al. 2020).
    public func epsilon(delta: Double) throws(PrivacyError) -> Double {
        try Self.epsilon(orders: orders, rdp: rdp, delta: delta).epsilon
    }

    /// Converts an RDP curve to ε for `delta`, returning ε and the order that achieved it.
    ///
    /// ε(α) = rdp(α) + log(1 − 1/α) − log(δ·α)/(α − 1); ε = 0 where δ² + expm1(−rdp) > 0
    /// (the KL bound already gives δ); orders ≤ 1.01 give +inf. The result is max(0, min_α ε(α)).
    public static func epsilon(orders: [Double], rdp: [Double], delta: Double) throws(PrivacyError) -> (epsilon: Double, order: Double) {
        guard delta.isFinite, delta > 0, delta < 1 else {
            throw PrivacyError(parameter: "delta", message: "expected a number in (0, 1), got \(delta)")
        }
        guard orders.count == rdp.count, !orders.isEmpty else {
            throw PrivacyError(parameter: "rdp", message: "expected one RDP value per order")
        }
        var best = Double.infinity, bestOrder = orders[0]
        for (a, r) in zip(orders, rdp) {
            guard !r.isNaN, r >= 0 else { throw PrivacyError(parameter: "rdp", message: "expected RDP values >= 0, got \(r)") }
            let eps: Double
            if delta * delta + expm1(-r) > 0 {
                eps = 0
            } else if a > 1.01 {
                eps = r + log1p(-1 / a) - log(delta * a) / (a - 1)
            } else {
                eps = .infinity
            }
            if eps < best { best = eps; bestOrder = a }
        }
        return (max(0, best), bestOrder)
    }
}
