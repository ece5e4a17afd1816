public import ArgumentParser
import BulwarkData
import BulwarkModels
import BulwarkPoisoning
import BulwarkTensor
import Foundation

/// `bulwark data`: validate training data and record its provenance before training.
struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Validate training data (profile, check), find poison in it (detect) and record its provenance (manifest).",
        subcommands: [DataProfileCommand.self, DataCheckCommand.self, DataDetectCommand.self, DataManifestCommand.self]
    )
}

extension DataCheckMethod: ExpressibleByArgument {}
extension ValidationFinding.Severity: ExpressibleByArgument {}

/// Options shared by `data profile` and `data check`: the valid range, histogram bins, the
/// near-duplicate threshold.
struct ProfileArguments: ParsableArguments {
    @Option(name: .customLong("valid-range"),
            help: "LO:HI values must lie in (corrupt otherwise), or 'none'. Default: 0:1 for arrays and images, none for CSV.")
    var validRange: String?

    @Option(parsing: .unconditional, help: "Bins of each histogram.")
    var bins: Int = 20

    @Option(name: .customLong("near-duplicate-rms"), parsing: .unconditional,
            help: "Near-duplicate threshold on the root-mean-square difference of two examples.")
    var nearDuplicateRMS: Double = 0.02

    func validate() throws {
        try Bounds.check(bins, in: 1...1000, "--bins")
        guard nearDuplicateRMS >= 0, nearDuplicateRMS.isFinite else { throw ValidationError("--near-duplicate-rms must be a number ≥ 0") }
        _ = try range(isCSV: false)
    }

    /// The valid range (nil: none).
    func range(isCSV: Bool) throws -> ClosedRange<Double>? {
        guard let validRange else { return isCSV ? nil : 0...1 }
        if validRange.lowercased() == "none" { return nil }
        let parts = validRange.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let lo = Double(parts[0]), let hi = Double(parts[1]), lo.isFinite, hi.isFinite, lo <= hi else {
            throw ValidationError("--valid-range must be LO:HI with LO ≤ HI (e.g. 0:1) or 'none', got '\(validRange)'")
        }
        return lo...hi
    }

    func options(isCSV: Bool) throws -> ProfileOptions {
        ProfileOptions(histogramBins: bins, validRange: try range(isCSV: isCSV), nearDuplicateRMS: nearDuplicateRMS)
    }
}

/// Reads the examples of `data` for validation (NaN kept), cut to `--limit`.
func validationExamples(_ data: LabelledDataOptions) throws -> ValidationExamples {
    guard let source = try data.source.dataset() else { throw CLIError("give the examples: --data X.npy --labels Y.npy, --image-folder DIR, or --csv FILE --label-column NAME") }
    let examples = try ValidationExamples.load(source)
    return data.limit.map { examples.prefix($0) } ?? examples
}

/// A number in 4 significant digits, for the text output of the data commands.
func fmt(_ x: Double) -> String { String(format: "%.4g", x) }
