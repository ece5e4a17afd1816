import ArgumentParser
import BulwarkModels
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
func failPrivacy(_ error: any Error) -> ExitCode {
    let text = (error as? PrivacyError).map(flagMessage) ?? "\(error)"
    FileHandle.standardError.write(Data("error: \(text)\n".utf8))
    return ExitCode.validationFailure
}

/// The privacy error behind `error` (itself, or the cause a training error carries), if any.
func privacyCause(_ error: any Error) -> PrivacyError? {
    if let p = error as? PrivacyError { return p }
    if let m = error as? ModelError { return m.underlying.flatMap(privacyCause) }
    return nil
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

/// What `privacy epsilon|noise|steps --json` prints: the mechanism's parameters and the answer
/// (`epsilon` is `null` when it is not finite: no privacy).
struct AccountingResult: Encodable {
    var epsilon: Double?
    var noiseMultiplier: Double?
    var samplingRate: Double
    var steps: Int?
    var delta: Double
    var accountant: String
    /// Set when `steps` hit the search limit (`privacy steps --max-steps`).
    var stepsCapped: Bool? = nil

    enum CodingKeys: String, CodingKey {
        case epsilon, steps, delta, accountant
        case noiseMultiplier = "noise_multiplier", samplingRate = "sampling_rate", stepsCapped = "steps_capped"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(epsilon.flatMap { $0.isFinite ? $0 : nil }, forKey: .epsilon)   // explicit null
        try c.encodeIfPresent(noiseMultiplier, forKey: .noiseMultiplier)
        try c.encode(samplingRate, forKey: .samplingRate)
        try c.encodeIfPresent(steps, forKey: .steps)
        try c.encode(delta, forKey: .delta)
        try c.encode(accountant, forKey: .accountant)
        try c.encodeIfPresent(stepsCapped, forKey: .stepsCapped)
    }
}
