import ArgumentParser
import BulwarkPrivacy
import Foundation

/// `bulwark privacy`: differential-privacy accounting.
struct PrivacyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "privacy",
        abstract: "Differential-privacy accounting for DP-SGD-style training.",
        subcommands: [PrivacyEpsilonCommand.self, PrivacyNoiseCommand.self, PrivacyStepsCommand.self, PrivacyAuditCommand.self]
    )
}

/// The accountant a privacy subcommand uses.
enum PrivacyAccountantChoice: String, ExpressibleByArgument {
    case rdp, pld

    /// The library's accountant kind.
    var kind: PrivacyAccountantKind { self == .rdp ? .rdp : .pld }
}

/// Options every accountant query takes.
struct PrivacyCommonOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Target δ.") var delta: Double
    @Option(help: "Accountant: rdp (Rényi DP, dp-accounting's orders) or pld (privacy loss distributions, tighter, slower).")
    var accountant: PrivacyAccountantChoice = .rdp
    @Flag(help: "Print JSON.") var json = false
}

/// Prints one error line on stderr, naming the command-line flag (`--sampling-rate`, not the
/// library's `samplingRate`), and exits with the usage status.
private func failPrivacy(_ error: any Error) -> ExitCode {
    let text = (error as? PrivacyError).map(flagMessage) ?? "\(error)"
    FileHandle.standardError.write(Data("error: \(text)\n".utf8))
    return ExitCode.validationFailure
}

/// A privacy error as a person at the command line reads it: the library parameter
/// (`noiseMultiplier`) spelt as the flag that set it (`--noise-multiplier`).
func flagMessage(_ error: PrivacyError) -> String {
    var flag = "--"
    for c in error.parameter {
        if c.isUppercase { flag += "-" + c.lowercased() } else { flag.append(c) }
    }
    return "invalid \(flag): \(error.message)"
}

/// A JSON number, or null for a value that is not finite (ε = +∞: no privacy).
private func jsonNumber(_ value: Double) -> String { value.isFinite ? "\(value)" : "null" }

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
            print(common.json ? "{\"epsilon\": \(jsonNumber(eps))}"
                  : "epsilon = \(eps) (delta = \(common.delta), accountant = \(common.accountant.rawValue))\(eps.isFinite ? "" : " — no privacy")")
        } catch {
            throw failPrivacy(error)
        }
    }
}

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
            print(common.json ? "{\"noise_multiplier\": \(sigma)}"
                  : "noise multiplier = \(sigma) (epsilon = \(epsilon), delta = \(common.delta), accountant = \(common.accountant.rawValue))")
        } catch {
            throw failPrivacy(error)
        }
    }
}

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
            print(common.json ? "{\"steps\": \(steps)}"
                  : "steps = \(steps)\(capped) (epsilon = \(epsilon), delta = \(common.delta), accountant = \(common.accountant.rawValue))")
        } catch {
            throw failPrivacy(error)
        }
    }
}
