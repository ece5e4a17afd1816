public import ArgumentParser
import BulwarkEvasion
import BulwarkModels

// Choice options parse straight into the library's enums: `--help` lists their values and the
// parser rejects a typo with the valid choices, before any work.
extension ZooArchitecture: ExpressibleByArgument {}
extension PerturbationNorm: ExpressibleByArgument {}
extension EvaluatedGradient: ExpressibleByArgument {}

/// Upper bounds on work-size options, so a typo cannot start a run that never ends.
enum Bounds {
    /// `--steps` (iterations per example).
    static let steps = 100_000
    /// `--restarts`.
    static let restarts = 1_000
    /// `--queries` (per example).
    static let queries = 10_000_000
    /// `--batch-size`.
    static let batchSize = 65_536

    /// Throws a `ValidationError` naming `flag` unless `value` lies in `range`.
    static func check<T: Comparable>(_ value: T, in range: ClosedRange<T>, _ flag: String) throws {
        guard range.contains(value) else {
            throw ValidationError("\(flag) must be in \(range.lowerBound)…\(range.upperBound), got \(value)")
        }
    }
}
