import ArgumentParser
import BulwarkPrivacy
import Foundation

/// `bulwark privacy`: differential-privacy accounting.
struct PrivacyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "privacy",
        abstract: "Differential-privacy accounting for DP-SGD-style training.",
        subcommands: [PrivacyEpsilonCommand.self, PrivacyNoiseCommand.self, PrivacyAuditCommand.self]
    )
}

/// The accountant a privacy subcommand uses.
enum PrivacyAccountantChoice: String, ExpressibleByArgument {
    case rdp
}

/// Options every accountant query takes.
struct PrivacyCommonOptions: ParsableArguments {
    @Option(help: "Number of steps.") var steps: Int
    @Option(help: "Target δ.") var delta: Double
    @Option(help: "Accountant (rdp; pld not yet available).") var accountant: PrivacyAccountantChoice = .rdp
    @Flag(help: "Print JSON.") var json = false
}

/// `bulwark privacy epsilon`: ε for a noise multiplier, sampling rate, steps and δ.
struct PrivacyEpsilonCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "epsilon", abstract: "ε of the Poisson-subsampled Gaussian mechanism composed over steps.")
    @Option(help: "Noise standard deviation divided by the clipping norm.") var noiseMultiplier: Double
    @Option(help: "Poisson sampling rate (batch size / dataset size).") var samplingRate: Double
    @OptionGroup var common: PrivacyCommonOptions

    func run() throws {
        do {
            let eps = try PrivacyCalibration.epsilon(noiseMultiplier: noiseMultiplier, samplingRate: samplingRate, steps: common.steps, delta: common.delta)
            print(common.json ? "{\"epsilon\": \(eps)}" : "epsilon = \(eps) (delta = \(common.delta), accountant = rdp)")
        } catch {
            FileHandle.standardError.write(Data("error: \(error.description)\n".utf8))
            throw ExitCode.validationFailure
        }
    }
}

/// `bulwark privacy noise`: the noise multiplier that reaches a target ε.
struct PrivacyNoiseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "noise", abstract: "Smallest noise multiplier reaching a target ε (bisection, 1e-6 relative).")
    @Option(help: "Target ε.") var epsilon: Double
    @Option(help: "Poisson sampling rate.") var samplingRate: Double
    @OptionGroup var common: PrivacyCommonOptions

    func run() throws {
        do {
            let sigma = try PrivacyCalibration.noiseMultiplier(targetEpsilon: epsilon, samplingRate: samplingRate, steps: common.steps, delta: common.delta)
            print(common.json ? "{\"noise_multiplier\": \(sigma)}" : "noise multiplier = \(sigma) (epsilon = \(epsilon), delta = \(common.delta), accountant = rdp)")
        } catch {
            FileHandle.standardError.write(Data("error: \(error.description)\n".utf8))
            throw ExitCode.validationFailure
        }
    }
}
