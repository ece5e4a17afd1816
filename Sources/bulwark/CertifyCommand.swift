import ArgumentParser
import BulwarkAssessment
import BulwarkData
import BulwarkEvasion
import BulwarkReport
import BulwarkTensor
import Foundation

/// `bulwark certify`: randomized-smoothing certificates and the certified-accuracy curve.
struct CertifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "certify",
        abstract: "Certify L2 robustness by randomized smoothing (Cohen et al. 2019) and print certified accuracy per radius.",
        discussion: """
        Each example gets CERTIFY's certificate: the smoothed class and an L2 radius within which \
        no perturbation changes it, with probability ≥ 1 − alpha over the noise (Clopper–Pearson \
        bound from --n draws; --n0 draws select the class). Certified accuracy at radius r is the \
        fraction of examples predicted correctly with a radius ≥ r. The base model should be \
        trained with Gaussian noise of the same sigma (bulwark defend train --defense noise).

        Example:
          bulwark certify --model noise.safetensors --sigma 0.5 --data x.npy --labels y.npy --limit 200 --out cert

        --out DIR writes DIR/certification.json (every certificate) and the report: DIR/index.html \
        (certified-accuracy curve as inline SVG), DIR/report.json and DIR/report.sarif.

        --shard K/N certifies only shard K's contiguous block of the examples and writes \
        DIR/certification.part-K-of-N.json instead (--out is then required); 'bulwark report merge' \
        combines shards 1…N into the files one run writes (each example's noise is keyed by its \
        index in the whole data set).
        """
    )

    @OptionGroup var input: ModelOptions
    @OptionGroup var examples: LabelledDataOptions
    @OptionGroup var sharding: ShardOptions

    @Option(parsing: .unconditional, help: "Noise standard deviation σ.")
    var sigma: Float

    @Option(parsing: .unconditional, help: "Noise draws that select the class.")
    var n0: Int = 100

    @Option(parsing: .unconditional, help: "Noise draws that estimate its probability.")
    var n: Int = 1000

    @Option(parsing: .unconditional, help: "Failure probability of each certificate.")
    var alpha: Double = 0.001

    @Option(parsing: .unconditional, help: "Comma-separated L2 radii of the curve.")
    var radii: String = "0,0.25,0.5,0.75,1"

    @Option(name: .customLong("batch-size"), parsing: .unconditional, help: "Noisy copies per forward pass.")
    var batchSize: Int = 500

    @Option(parsing: .unconditional, help: "Seed of the noise.")
    var seed: UInt64 = 0

    @Option(help: "Write the report (index.html, report.json, report.sarif) and certification.json here.")
    var out: String?

    @Flag(help: "Print one JSON object on stdout.")
    var json = false

    @Flag(help: "No progress line.")
    var quiet = false

    func validate() throws {
        guard sigma > 0, sigma.isFinite else { throw ValidationError("--sigma must be positive") }
        guard n0 >= 1, n0 <= 10_000_000, n >= 1, n <= 10_000_000 else { throw ValidationError("--n0 and --n must be between 1 and 10000000") }
        guard alpha > 0, alpha < 1 else { throw ValidationError("--alpha must be in (0, 1)") }
        guard batchSize > 0, batchSize <= 100_000 else { throw ValidationError("--batch-size must be between 1 and 100000") }
        _ = try parsedRadii()
        if sharding.shard != nil && out == nil { throw ValidationError("--shard needs --out DIR for the partial result") }
    }

    func parsedRadii() throws -> [Double] {
        let parts = radii.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard !parts.isEmpty else { throw ValidationError("--radii is empty") }
        return try parts.map { text in
            guard let r = Double(text), r.isFinite, r >= 0 else { throw ValidationError("--radii: '\(text)' is not a number ≥ 0") }
            return r
        }
    }

    func run() throws {
        let shard = try sharding.parsed()
        if let out {
            let names = shard.map { ["", "/" + ReportPart.fileName(kind: .certification, shard: $0.description)] }
                ?? ["", "/index.html", "/report.json", "/report.sarif", "/certification.json"]
            try refuseOverwrite(out, names: names, inputs: [input.model, examples.data, examples.labels])
        }
        configureNumerics()
        let job = CertifyJob(inputs: try examples.runInputs(input), sigma: sigma, n0: n0, n: n, alpha: alpha, radii: try parsedRadii(),
                             batchSize: batchSize, seed: seed, outputDirectory: out, command: quotedCommandLine(),
                             arguments: Array(CommandLine.arguments.dropFirst()), toolVersion: Bulwark.configuration.version)
        let line = ProgressLine(enabled: !quiet)
        if let shard {
            let (part, written) = try line.around { try job.run(shard: shard) { line.update("shard \(shard): certified \($0)/\($1)") } }
            line.finish("shard \(shard): certified examples \(written.block.lowerBound)..<\(written.block.upperBound) in \(formatDuration(part.result.seconds))")
            try ShardOptions.render(written, json: json)
            return
        }
        let outcome = try line.around { try job.run { line.update("certified \($0)/\($1)") } }
        let (result, summary) = (outcome.result, outcome.summary)
        line.finish("certified \(summary.examples) examples in \(formatDuration(result.seconds))")
        if json { return try printJSON(summary) }
        print("randomized smoothing: σ=\(sigma)  n0=\(n0)  n=\(n)  α=\(alpha)  seed=\(seed)  examples=\(summary.examples)")
        print("L2 radius   certified accuracy")
        for p in result.curve { print(String(format: "%-11.3g %.4f", p.radius, p.certifiedAccuracy)) }
        print(String(format: "abstained on %.1f%%; mean certified radius (correct, others 0) %.3f; %@",
                     result.abstentionRate * 100, summary.meanCertifiedRadius, formatDuration(result.seconds)))
        print("each certificate holds with probability ≥ \(1 - alpha) over the sampling noise")
        if !outcome.written.isEmpty { print("wrote " + outcome.written.joined(separator: ", ")) }
    }
}
