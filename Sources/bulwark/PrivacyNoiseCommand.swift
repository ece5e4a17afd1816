import ArgumentParser
import BulwarkPrivacy
import Foundation

/// `bulwark privacy noise`: the noise multiplier that reaches a target ε.
struct PrivacyNoiseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "noise", abstract: "Smallest noise multiplier reaching a target ε (bisection; the result always meets the target).")
    @Option(parsing: .unconditional, help: "Target ε.") var epsilon: Double
    @Option(parsing: .unconditional, help: "Poisson sampling rate.") var samplingRate: Double
    @Option(parsing: .unconditional, help: "Number of steps.") var steps: Int
    @Option(parsing: .unconditional, help: "Relative tolerance of the bisection (default 1e-6 with rdp, 1e-4 with pld).") var tolerance: Double?
    @OptionGroup var common: PrivacyCommonOptions

    func run() throws {
        do {
            let tol = tolerance ?? (common.accountant == .pld ? 1e-4 : 1e-6)
            let sigma = try PrivacyCalibration.noiseMultiplier(targetEpsilon: epsilon, samplingRate: samplingRate, steps: steps,
                                                               delta: common.delta, tolerance: tol, accountant: common.accountant.kind)
            if common.json {
                return try printJSON(AccountingResult(epsilon: epsilon, noiseMultiplier: sigma, samplingRate: samplingRate, steps: steps,
                                                      delta: common.delta, accountant: common.accountant.rawValue))
            }
            print("noise multiplier = \(sigma) (epsilon = \(epsilon), delta = \(common.delta), accountant = \(common.accountant.rawValue))")
        } catch {
            throw failPrivacy(error)
        }
    }
}
