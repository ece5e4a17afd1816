public import BulwarkEvasion
public import BulwarkModels
import BulwarkArchive
import BulwarkData
import BulwarkReport
import Foundation

/// What `bulwark assess` does: which zoo model to train (or reuse) on Fashion-MNIST, where to
/// cache it, and the default evasion suite.
///
/// The default suite is FGSM, PGD (10 steps) and DeepFool (bounded by ε) in L∞ at ε = 0.01,
/// 0.03 and 0.1 on the first 1000 test images, and the score-based black-box Square Attack
/// (1000 queries) at ε = 0.1 on the first 100 of them.
public struct AssessmentConfiguration: Sendable {
    /// The zoo architecture to train and assess.
    public var architecture: ZooArchitecture = .cnn
    /// Folder with the Fashion-MNIST IDX files.
    public var dataDirectory: String = FashionMNIST.defaultDirectory
    /// Cache folder for trained models (reused when the file matches the training parameters).
    public var modelDirectory: String = "models"
    /// Where the report goes.
    public var outputDirectory: String = "report"
    /// Training passes.
    public var epochs = 3
    /// Train on the first N training images only (`nil`: all 60 000).
    public var trainLimit: Int?
    /// Training batch size.
    public var trainBatchSize = 128
    /// Adam learning rate.
    public var learningRate: Float = ZooArchitecture.defaultLearningRate
    /// Test images attacked by the white-box suite (the first N).
    public var evaluationLimit = 1000
    /// Test images attacked by the black-box suite (the first N; at most `evaluationLimit`).
    public var blackBoxLimit = 100
    /// ε of the white-box suite.
    public var epsilons: [Float] = [0.01, 0.03, 0.1]
    /// White-box (gradient) attacks.
    public var whiteBoxAttacks: [AttackSpec] = [AttackSpec(.fgsm), AttackSpec(.pgd, maxIterations: 10), AttackSpec(.deepfool, maxIterations: 10)]
    /// Black-box (query-only) attacks.
    public var blackBoxAttacks: [AttackSpec] = [AttackSpec(.square, maxQueries: 1000)]
    /// ε of the black-box suite.
    public var blackBoxEpsilons: [Float] = [0.1]
    /// Examples per attack batch.
    public var batchSize = 128
    /// Whether to run the poisoning stage: profile the training data (with duplicates against
    /// the evaluation images) and run activation clustering and spectral signatures with the
    /// assessed model (`--no-poisoning` turns it off).
    public var poisoningChecks = true
    /// Training images the poison detectors examine (the first N; default 5000).
    public var poisoningDetectionLimit = AssessmentConfiguration.defaultPoisoningDetectionLimit
    /// The default of ``poisoningDetectionLimit``.
    public static let defaultPoisoningDetectionLimit = 5000
    /// Whether to run the extraction stage: Knockoff Nets (random selection) against the
    /// assessed model with ``extractionQueries`` test images it was not evaluated on, an `mlp`
    /// substitute, and PRADA replaying the attack's queries (`--no-extraction` turns it off).
    public var extractionChecks = true
    /// The extraction stage's query budget (`--extraction-queries`).
    public var extractionQueries = AssessmentConfiguration.defaultExtractionQueries
    /// The default of ``extractionQueries``.
    public static let defaultExtractionQueries = 2000
    /// Seed of training and of every attack.
    public var seed: UInt64 = 0
    /// Rows of the image grid.
    public var galleryCount = 8
    /// Retrain even when a cached model matches.
    public var retrain = false
    /// Whether this is the `--quick` preset (recorded in the reproduce command).
    public var quick = false
    /// Version of the tool, recorded in the report.
    public var toolVersion = BulwarkVersion.current
    /// The command line as typed, recorded in the report (`nil`: the canonical command).
    public var commandLine: String?

    /// The defaults described above.
    public init() {}

    /// A tiny run for tests and smoke checks: the `mlp` trained for one epoch on 2000 images,
    /// FGSM and PGD (5 steps) at ε = 0.05 and 0.1 on 48 test images, Square (200 queries) on 16.
    public static func quickPreset() -> AssessmentConfiguration {
        var c = AssessmentConfiguration()
        c.quick = true
        c.architecture = .mlp
        c.epochs = 1
        c.trainLimit = 2000
        c.evaluationLimit = 48
        c.blackBoxLimit = 16
        c.epsilons = [0.05, 0.1]
        c.whiteBoxAttacks = [AttackSpec(.fgsm), AttackSpec(.pgd, maxIterations: 5)]
        c.blackBoxAttacks = [AttackSpec(.square, maxQueries: 200)]
        c.blackBoxEpsilons = [0.1]
        c.galleryCount = 4
        c.extractionQueries = 500
        return c
    }

    /// The file a trained model is cached in: `<modelDirectory>/<arch>-fashion-mnist-e<epochs>-s<seed>[-n<limit>].safetensors`.
    public var modelPath: String {
        let dir = modelDirectory.hasSuffix("/") ? String(modelDirectory.dropLast()) : modelDirectory
        return "\(dir)/\(architecture.rawValue)-fashion-mnist-e\(epochs)-s\(seed)" + (trainLimit.map { "-n\($0)" } ?? "") + ".safetensors"
    }

    /// The command that reproduces this assessment, every option spelt out.
    public var reproduceCommand: String {
        var parts = ["bulwark", "assess"]
        if quick { parts.append("--quick") }
        parts += ["--model", architecture.rawValue, "--epochs", String(epochs)]
        if let trainLimit { parts += ["--train-limit", String(trainLimit)] }
        parts += ["--limit", String(evaluationLimit), "--black-box-limit", String(blackBoxLimit), "--seed", String(seed)]
        if !poisoningChecks {
            parts.append("--no-poisoning")
        } else if poisoningDetectionLimit != Self.defaultPoisoningDetectionLimit {
            parts += ["--poisoning-limit", String(poisoningDetectionLimit)]
        }
        if !extractionChecks {
            parts.append("--no-extraction")
        } else if extractionQueries != (quick ? 500 : Self.defaultExtractionQueries) {
            parts += ["--extraction-queries", String(extractionQueries)]
        }
        if dataDirectory != FashionMNIST.defaultDirectory { parts += ["--data-dir", dataDirectory] }
        parts += ["--model-dir", modelDirectory, "--out", outputDirectory]
        return parts.map(shellQuoted).joined(separator: " ")
    }

    /// Checks the numbers; the message names the option.
    func validate() throws(AssessmentError) {
        guard epochs > 0, epochs <= 1000 else { throw AssessmentError(.invalidConfiguration, "epochs must be between 1 and 1000, got \(epochs)") }
        if let trainLimit, trainLimit <= 0 { throw AssessmentError(.invalidConfiguration, "train limit must be positive, got \(trainLimit)") }
        guard evaluationLimit > 0 else { throw AssessmentError(.invalidConfiguration, "evaluation limit must be positive, got \(evaluationLimit)") }
        guard blackBoxLimit >= 0 else { throw AssessmentError(.invalidConfiguration, "black-box limit must be ≥ 0, got \(blackBoxLimit)") }
        guard poisoningDetectionLimit >= 0 else {
            throw AssessmentError(.invalidConfiguration, "poisoning limit must be ≥ 0, got \(poisoningDetectionLimit)")
        }
        guard extractionQueries >= 1, extractionQueries <= 9000 else {
            throw AssessmentError(.invalidConfiguration, "extraction queries must be in 1…9000 (test images the attacker draws from), got \(extractionQueries)")
        }
        guard batchSize > 0, trainBatchSize > 0 else { throw AssessmentError(.invalidConfiguration, "batch sizes must be positive") }
        guard !whiteBoxAttacks.isEmpty, !epsilons.isEmpty else { throw AssessmentError(.invalidConfiguration, "the white-box suite needs an attack and an ε") }
        guard (epsilons + blackBoxEpsilons).allSatisfy({ $0 > 0 && $0.isFinite }) else { throw AssessmentError(.invalidConfiguration, "every ε must be a positive number") }
    }
}

