import ArgumentParser
import BulwarkData
import BulwarkEvasion
import BulwarkModels
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
        """
    )

    @OptionGroup var input: ModelOptions
    @OptionGroup var examples: LabelledDataOptions

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
        let (model, data, labels) = (input.model, examples.data, examples.labels)
        if let out {
            for name in ["", "/index.html", "/report.json", "/report.sarif", "/certification.json"] {
                try refuseOverwrite(out + name, inputs: [model, data, labels], role: "--out")
            }
        }
        configureNumerics()
        let classifier = try input.load()
        let loaded = try examples.load(for: classifier)
        let (x, y) = (loaded.inputs, loaded.labels)
        guard !y.isEmpty else { throw CLIError("\(data): no examples to certify") }
        let radiusList = try parsedRadii()
        let smoothing: RandomizedSmoothing
        let result: CertificationResult
        let line = ProgressLine(enabled: !quiet)
        do {
            smoothing = try RandomizedSmoothing(base: classifier, sigma: sigma, n0: n0, n: n, alpha: alpha, batchSize: batchSize)
            result = try smoothing.certify(inputs: x, labels: y, radii: radiusList, seed: seed) { done, total in
                line.update("certified \(done)/\(total)")
            }
        } catch {
            line.finish()
            throw error
        }
        line.finish("certified \(y.count) examples in \(formatDuration(result.seconds))")
        let meanRadius = result.examples.filter(\.correct).map(\.certificate.radius).reduce(0, +) / Double(max(y.count, 1))
        var written: [String] = []
        if let out {
            let evidence = DefenceEvidence(name: "\(URL(fileURLWithPath: model).lastPathComponent), σ = \(sigma)", certification: result,
                                           reproduce: quotedCommandLine(), artifact: model)
            let report = DefenceFindings.report(evidence, title: "Bulwark certification: \(URL(fileURLWithPath: model).lastPathComponent)", seed: seed,
                                                parameters: ["model": model, "data": data, "labels": labels, "sigma": String(sigma), "n0": String(n0),
                                                             "n": String(n), "alpha": String(alpha), "examples": String(y.count), "seed": String(seed)],
                                                toolVersion: Bulwark.configuration.version)
            written = try ReportWriter.write(report, result: result, resultName: "certification.json", to: URL(fileURLWithPath: out)).map(\.path)
        }
        if json {
            try printJSON(CertifyResult(
                sigma: decimal(sigma), n0: n0, n: n, alpha: alpha, seed: seed, examples: y.count,
                abstentionRate: result.abstentionRate, seconds: result.seconds, meanCertifiedRadius: meanRadius,
                curve: result.curve.map { CertifyResult.Point(radius: $0.radius, certifiedAccuracy: $0.certifiedAccuracy) }, report: written))
        } else {
            print("randomized smoothing: σ=\(sigma)  n0=\(n0)  n=\(n)  α=\(alpha)  seed=\(seed)  examples=\(y.count)")
            print("L2 radius   certified accuracy")
            for p in result.curve { print(String(format: "%-11.3g %.4f", p.radius, p.certifiedAccuracy)) }
            print(String(format: "abstained on %.1f%%; mean certified radius (correct, others 0) %.3f; %@",
                         result.abstentionRate * 100, meanRadius, formatDuration(result.seconds)))
            print("each certificate holds with probability ≥ \(1 - alpha) over the sampling noise")
            if !written.isEmpty { print("wrote " + written.joined(separator: ", ")) }
        }
    }
}

/// What `certify --json` prints.
struct CertifyResult: Codable {
    /// A point of the certified-accuracy curve.
    struct Point: Codable {
        var radius: Double, certifiedAccuracy: Double
        enum CodingKeys: String, CodingKey { case radius, certifiedAccuracy = "certified_accuracy" }
    }
    var sigma: Double, n0: Int, n: Int, alpha: Double, seed: UInt64, examples: Int, abstentionRate: Double, seconds: Double
    var meanCertifiedRadius: Double, curve: [Point], report: [String]
    enum CodingKeys: String, CodingKey {
        case sigma, n0, n, alpha, seed, examples, seconds, curve, report
        case abstentionRate = "abstention_rate", meanCertifiedRadius = "mean_certified_radius"
    }
}
