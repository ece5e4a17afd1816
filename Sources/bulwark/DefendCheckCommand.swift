import ArgumentParser
import BulwarkAssessment
import BulwarkData
import BulwarkEvasion
import BulwarkTensor
import Foundation

/// `bulwark defend check`: a pre-processing defence evaluated naively and adaptively, with the
/// gradient-masking checklist.
struct DefendCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Put a model behind an input-transform defence, attack it naively and adaptively (BPDA/EOT), and run the gradient-masking checklist.",
        discussion: """
        Transforms: \(TransformSpec.help). The naive attacker differentiates the pipeline as \
        implemented (zero gradient through rounding); the adaptive one uses BPDA, plus EOT for \
        random transforms. The undefended model is the transfer source. A robustness figure is \
        printed as reliable only when every checklist check passes.

        Example:
          bulwark defend check --model cnn.safetensors --transform jpeg:75 --data x.npy --labels y.npy --eps 0.1 --limit 200
        """
    )

    @OptionGroup var input: ModelOptions
    @OptionGroup var examples: LabelledDataOptions

    @Option(help: "The defence, e.g. jpeg:75 or bit-depth:1.")
    var transform: String

    @Option(parsing: .unconditional, help: "L∞ ε of the figure under test.")
    var eps: Float = 0.1

    @Option(parsing: .unconditional, help: "Comma-separated ascending ε sweep ending at a large ε (default: ε/2, ε, 2ε, 0.5).")
    var sweep: String?

    @Option(parsing: .unconditional, help: "PGD iterations.")
    var steps: Int = 20

    @Option(parsing: .unconditional, help: "Restarts of the restarted PGD run.")
    var restarts: Int = 1

    @Option(parsing: .unconditional, help: "Square Attack queries per example (0 skips it).")
    var queries: Int = 500

    @Option(name: .customLong("eot-samples"), parsing: .unconditional, help: "EOT samples for random transforms (default: the transform's recommendation).")
    var eotSamples: Int?

    @Option(parsing: .unconditional, help: "Seed of every attack.")
    var seed: UInt64 = 0

    @Flag(help: "Print the checklist report as JSON.")
    var json = false

    func validate() throws {
        guard eps > 0, eps <= 1 else { throw ValidationError("--eps must be in (0, 1]") }
        guard steps >= 1, restarts >= 0, queries >= 0 else { throw ValidationError("--steps must be ≥ 1, --restarts and --queries ≥ 0") }
        if let eotSamples, eotSamples < 1 { throw ValidationError("--eot-samples must be ≥ 1") }
        _ = try parsedSweep()
    }

    func parsedSweep() throws -> [Float] {
        guard let sweep else { return TransformCheckJob.defaultSweep(epsilon: eps) }
        let values = try sweep.split(separator: ",").map { part -> Float in
            guard let v = Float(part.trimmingCharacters(in: .whitespaces)), v > 0, v <= 1 else { throw ValidationError("--sweep: '\(part)' is not in (0, 1]") }
            return v
        }
        guard !values.isEmpty, zip(values, values.dropFirst()).allSatisfy({ $0 < $1 }) else { throw ValidationError("--sweep must be strictly increasing") }
        return values
    }

    func run() throws {
        configureNumerics()
        let job = TransformCheckJob(inputs: try examples.runInputs(input), transform: try TransformSpec.parse(transform), epsilon: eps,
                                    sweep: try parsedSweep(), steps: steps, restarts: restarts, queries: queries, eotSamples: eotSamples, seed: seed)
        let outcome = try job.run()
        let report = outcome.report
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            return print(String(decoding: try encoder.encode(report), as: UTF8.self))
        }
        print("defence \(job.transform.name) on \(outcome.examples) examples, L∞ ε=\(eps), PGD-\(steps), seed \(seed), \(formatDuration(outcome.seconds))")
        print(String(format: "clean accuracy: undefended %.4f, defended %.4f", outcome.undefendedAccuracy, outcome.defendedAccuracy))
        print(String(format: "accuracy under plain PGD %.4f; under %@ PGD %.4f", report.claimedRobustAccuracy, outcome.adaptiveGradient.label,
                     outcome.adaptiveRobustAccuracy))
        for v in report.verdicts { print("  [\(v.status.rawValue)] \(v.check.rawValue): \(v.detail)") }
        print(report.summary)
    }
}
