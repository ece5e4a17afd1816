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
        let (model, data, labels) = (input.model, examples.data, examples.labels)
        let shard = try sharding.parsed()
        if let out {
            let names = shard.map { ["", "/" + ReportPart.fileName(kind: .certification, shard: $0.description)] }
                ?? ["", "/index.html", "/report.json", "/report.sarif", "/certification.json"]
            for name in names {
                try refuseOverwrite(out + name, inputs: [model, data, labels], role: "--out")
            }
        }
        configureNumerics()
        let classifier = try input.load()
        let loaded = try examples.load(for: classifier, modelPath: input.model)
        let (x, y) = (loaded.inputs, loaded.labels)
        guard !y.isEmpty else { throw CLIError("\(data): no examples to certify") }
        let radiusList = try parsedRadii()
        let smoothing: RandomizedSmoothing
        let result: CertificationResult
        let line = ProgressLine(enabled: !quiet)
        if let shard, let out {
            let part: PartialCertification
            do {
                smoothing = try RandomizedSmoothing(base: classifier, sigma: sigma, n0: n0, n: n, alpha: alpha, batchSize: batchSize)
                part = try smoothing.certify(shard: shard, toolVersion: Bulwark.configuration.version, inputs: x, labels: y,
                                             radii: radiusList, seed: seed) { done, total in
                    line.update("shard \(shard): certified \(done)/\(total)")
                }
            } catch {
                line.finish()
                throw error
            }
            let block = shard.range(of: y.count)
            line.finish("shard \(shard): certified examples \(block.lowerBound)..<\(block.upperBound) in \(formatDuration(part.result.seconds))")
            let context = ShardOptions.context(model: model, data: data, labels: labels, inputShape: classifier.inputShape)
            let url = try ShardOptions.write(ReportPart(part, context: context), out: out)
            if json {
                try printJSON(ShardOptions.Written(kind: ReportPart.Kind.certification.rawValue, shard: shard.description,
                                                   examples: block.count, part: url.path))
            } else {
                print("wrote \(url.path) (shard \(shard), \(block.count) of \(y.count) examples); merge shards 1…\(shard.count) with 'bulwark report merge'")
            }
            return
        }
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
            let report = CertificationReport.make(result, modelPath: model, dataPath: data, labelsPath: labels, command: quotedCommandLine(),
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
