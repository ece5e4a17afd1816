import ArgumentParser
import BulwarkPrivacy
import Foundation

/// `bulwark privacy epsilon`: ε for a noise multiplier, sampling rate, steps and δ.
struct PrivacyEpsilonCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "epsilon", abstract: "ε of the Poisson-subsampled Gaussian mechanism composed over steps.")
    @Option(parsing: .unconditional, help: "Noise standard deviation divided by the clipping norm.") var noiseMultiplier: Double
    @Option(parsing: .unconditional, help: "Poisson sampling rate (batch size / dataset size).") var samplingRate: Double
    @Option(parsing: .unconditional, help: "Number of steps.") var steps: Int
    @OptionGroup var common: PrivacyCommonOptions

    func run() throws {
        do {
            let eps = try PrivacyCalibration.epsilon(noiseMultiplier: noiseMultiplier, samplingRate: samplingRate, steps: steps,
                                                     delta: common.delta, accountant: common.accountant.kind)
            if common.json {
                return try printJSON(AccountingResult(epsilon: eps, noiseMultiplier: noiseMultiplier, samplingRate: samplingRate, steps: steps,
                                                      delta: common.delta, accountant: common.accountant.rawValue))
            }
            print("epsilon = \(eps) (delta = \(common.delta), accountant = \(common.accountant.rawValue))\(eps.isFinite ? "" : " — no privacy")")
        } catch {
            throw failPrivacy(error)
        }
    }
}
