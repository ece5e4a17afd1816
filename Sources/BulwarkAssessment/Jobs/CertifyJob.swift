public import BulwarkData
public import BulwarkEvasion
public import BulwarkReport
public import Foundation
public import BulwarkArchive
import BulwarkModels

/// `bulwark certify` as a library call: randomized-smoothing certificates (Cohen et al. 2019)
/// for a model file's examples, the certified-accuracy curve and, with an output directory,
/// `certification.json` and the report — or, for a shard, its part for `bulwark report merge`.
///
/// ```swift
/// let job = CertifyJob(inputs: RunInputs(modelPath: "noise.safetensors", source: .arrays(data: "x.npy", labels: "y.npy"),
///                                        dataName: "x.npy", labelsName: "y.npy"),
///                      sigma: 0.5, radii: [0, 0.25, 0.5])
/// let outcome = try job.run()
/// print(outcome.summary.curve)
/// ```
public struct CertifyJob: Sendable {
    /// The model and examples.
    public var inputs: RunInputs
    /// Noise standard deviation σ.
    public var sigma: Float
    /// Noise draws that select the class.
    public var n0: Int
    /// Noise draws that estimate its probability.
    public var n: Int
    /// Failure probability of each certificate.
    public var alpha: Double
    /// L2 radii of the curve.
    public var radii: [Double]
    /// Noisy copies per forward pass.
    public var batchSize: Int
    /// Seed of the noise.
    public var seed: UInt64
    /// Where the report and `certification.json` go (nil: nothing written; required for a shard).
    public var outputDirectory: String?
    /// The command that reproduces the run, recorded in the report.
    public var command: String
    /// The command line without the program name, recorded in a shard's part.
    public var arguments: [String]
    /// The tool version recorded.
    public var toolVersion: String

    /// A certification job; the defaults are `bulwark certify`'s.
    public init(inputs: RunInputs, sigma: Float, n0: Int = 100, n: Int = 1000, alpha: Double = 0.001, radii: [Double] = [0, 0.25, 0.5, 0.75, 1],
                batchSize: Int = 500, seed: UInt64 = 0, outputDirectory: String? = nil, command: String = "", arguments: [String] = [],
                toolVersion: String = BulwarkVersion.current) {
        self.inputs = inputs
        self.sigma = sigma
        self.n0 = n0
        self.n = n
        self.alpha = alpha
        self.radii = radii
        self.batchSize = batchSize
        self.seed = seed
        self.outputDirectory = outputDirectory
        self.command = command
        self.arguments = arguments
        self.toolVersion = toolVersion
    }

    /// What a whole run produced.
    public struct Outcome: Sendable {
        /// Every certificate.
        public var result: CertificationResult
        /// What `certify --json` prints.
        public var summary: CertificationSummary
        /// The files written (none without an output directory).
        public var written: [String]
    }

    /// Loads the model and examples and certifies them all; with ``outputDirectory``, writes
    /// the report and `certification.json` there. `progress` gets (done, total).
    /// - Throws: ``AssessmentError`` for the inputs, ``EvasionError`` for the smoothing's
    ///   parameters, the file system's error for an unwritable output.
    public func run(progress: (Int, Int) -> Void = { _, _ in }) throws -> Outcome {
        let loaded = try inputs.load(forTask: "certify")
        let (x, y) = (loaded.examples.inputs, loaded.examples.labels)
        let smoothing = try RandomizedSmoothing(base: loaded.model, sigma: sigma, n0: n0, n: n, alpha: alpha, batchSize: batchSize)
        let result = try smoothing.certify(inputs: x, labels: y, radii: radii, seed: seed, progress: progress)
        var written: [String] = []
        if let outputDirectory {
            let report = CertificationReport.make(result, modelPath: inputs.modelPath, dataPath: inputs.dataName, labelsPath: inputs.labelsName,
                                                  command: command, toolVersion: toolVersion)
            written = try ReportWriter.write(report, result: result, resultName: "certification.json",
                                             to: URL(fileURLWithPath: outputDirectory)).map(\.path)
        }
        return Outcome(result: result, summary: CertificationSummary(result, report: written), written: written)
    }

    /// Certifies `shard`'s block of the examples and writes its part into ``outputDirectory``.
    /// - Throws: as ``run(progress:)``; ``AssessmentError`` when no output directory is set.
    public func run(shard: Shard, progress: (Int, Int) -> Void = { _, _ in }) throws -> (part: PartialCertification, written: WrittenPart) {
        guard let outputDirectory else { throw AssessmentError(.invalidConfiguration, "--shard needs --out DIR for the partial result") }
        let loaded = try inputs.load(forTask: "certify")
        let (x, y) = (loaded.examples.inputs, loaded.examples.labels)
        let smoothing = try RandomizedSmoothing(base: loaded.model, sigma: sigma, n0: n0, n: n, alpha: alpha, batchSize: batchSize)
        let part = try smoothing.certify(shard: shard, toolVersion: toolVersion, inputs: x, labels: y, radii: radii, seed: seed, progress: progress)
        let context = inputs.context(arguments: arguments, inputShape: loaded.model.inputShape)
        return (part, try WrittenPart.write(ReportPart(part, context: context), shard: shard, total: y.count, to: outputDirectory))
    }
}

/// What `certify --json` prints: the parameters as given, the curve, and the files written.
public struct CertificationSummary: Codable, Sendable, Equatable {
    /// A point of the certified-accuracy curve.
    public struct Point: Codable, Sendable, Equatable {
        /// The L2 radius.
        public var radius: Double
        /// Fraction of examples predicted correctly with a certified radius ≥ ``radius``.
        public var certifiedAccuracy: Double
        enum CodingKeys: String, CodingKey { case radius, certifiedAccuracy = "certified_accuracy" }
    }
    /// σ as given (0.1, not its Float32 widening).
    public var sigma: Double
    /// Noise draws selecting and estimating the class.
    public var n0: Int, n: Int
    /// Failure probability of each certificate.
    public var alpha: Double
    /// Seed of the noise.
    public var seed: UInt64
    /// Examples certified.
    public var examples: Int
    /// Fraction of examples the smoothed classifier abstained on.
    public var abstentionRate: Double
    /// Wall seconds.
    public var seconds: Double
    /// Mean certified radius over all examples (incorrect or abstained count 0).
    public var meanCertifiedRadius: Double
    /// The certified-accuracy curve.
    public var curve: [Point]
    /// The files written.
    public var report: [String]

    enum CodingKeys: String, CodingKey {
        case sigma, n0, n, alpha, seed, examples, seconds, curve, report
        case abstentionRate = "abstention_rate", meanCertifiedRadius = "mean_certified_radius"
    }

    /// The summary of `result`, listing the `report` files written.
    public init(_ result: CertificationResult, report: [String]) {
        let count = result.examples.count
        sigma = decimal(result.sigma)
        n0 = result.n0
        n = result.n
        alpha = result.alpha
        seed = result.seed
        examples = count
        abstentionRate = result.abstentionRate
        seconds = result.seconds
        meanCertifiedRadius = result.examples.filter(\.correct).map(\.certificate.radius).reduce(0, +) / Double(max(count, 1))
        curve = result.curve.map { Point(radius: $0.radius, certifiedAccuracy: $0.certifiedAccuracy) }
        self.report = report
    }
}
