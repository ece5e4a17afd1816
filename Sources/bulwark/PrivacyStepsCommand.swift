import ArgumentParser
import BulwarkPrivacy
import Foundation

/// `bulwark privacy steps`: how many steps fit in a target ε.
struct PrivacyStepsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "steps", abstract: "Largest number of steps whose ε stays within a target (exact integer search).")
    @Option(parsing: .unconditional, help: "Target ε.") var epsilon: Double
    @Option(parsing: .unconditional, help: "Noise standard deviation divided by the clipping norm.") var noiseMultiplier: Double
    @Option(parsing: .unconditional, help: "Poisson sampling rate.") var samplingRate: Double
    @Option(parsing: .unconditional, help: "Largest number of steps searched.") var maxSteps: Int = 10_000_000
    @OptionGroup var common: PrivacyCommonOptions

    func run() throws {
        do {
            let steps = try PrivacyCalibration.steps(targetEpsilon: epsilon, noiseMultiplier: noiseMultiplier, samplingRate: samplingRate,
                                                     delta: common.delta, maxSteps: maxSteps, accountant: common.accountant.kind)
            let capped = steps == maxSteps ? " (the search limit --max-steps)" : ""
            if common.json {
                return try printJSON(AccountingResult(epsilon: epsilon, noiseMultiplier: noiseMultiplier, samplingRate: samplingRate, steps: steps,
                                                      delta: common.delta, accountant: common.accountant.rawValue, stepsCapped: steps == maxSteps))
            }
            print("steps = \(steps)\(capped) (epsilon = \(epsilon), delta = \(common.delta), accountant = \(common.accountant.rawValue))")
        } catch {
            throw failPrivacy(error)
        }
    }
}
