/// The poisoning-specific check of the L∞ perturbation the clean-label attacks share; the
/// perturbation steps themselves are `InputPerturbation` in BulwarkModels (shared with
/// extraction's fingerprints: modules on one floor never import each other).
package enum Perturbation {
    /// Checks an L∞ budget and a step count.
    package static func check(epsilon: Float, steps: Int) throws(PoisoningError) {
        guard epsilon > 0, epsilon <= 1, epsilon.isFinite else {
            throw PoisoningError(.invalidParameter, "--eps must be in (0, 1] (an L∞ budget on inputs in [0, 1]), got \(epsilon)")
        }
        guard steps >= 1, steps <= 100_000 else {
            throw PoisoningError(.invalidParameter, "--steps must be in 1…100000, got \(steps)")
        }
    }
}
