public import ArgumentParser
import BulwarkArchive
import BulwarkAssessment
import BulwarkData
public import BulwarkExtraction
import BulwarkModels
import BulwarkTensor
import Foundation

extension OwnershipMethod: ExpressibleByArgument {}

/// `bulwark watermark`: embed a watermark at training, verify it on a suspect model.
struct WatermarkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watermark",
        abstract: "Prove ownership: embed a watermark at training, verify it on a suspect model.",
        subcommands: [WatermarkEmbedCommand.self, WatermarkVerifyCommand.self, WatermarkRobustnessCommand.self]
    )
}

/// `bulwark watermark embed`.
struct WatermarkEmbedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Train a model with a watermark and write the model and its secret key.",
        discussion: """
        Kinds: trigger-set (Adi et al. 2018: abstract images with random labels), content and noise \
        (Zhang et al. 2018: training images stamped with a pattern or a fixed Gaussian noise pattern, \
        relabelled to --target-class). The triggers are mixed into the training set (about 5 % of \
        its rows; --copies). Exit status 1 when the trained model does not verify against its own \
        key (the watermark did not take). The key's chance agreement p0 is measured: --references models are trained on \
        the same data without the watermark (a zoo model from other seeds; a model file from the \
        same starting weights with other shuffling seeds) and p0 = max(1/classes, their largest \
        agreement, the 99.9 % Wilson upper bound of their pooled agreement).

          bulwark watermark embed --model mlp --kind trigger-set --key-size 100 --epochs 3 --seed 1 \\
            --out wm.safetensors --key-out wm.key
        """
    )

    @Option(help: "A zoo model to train (mlp, cnn, resnet, tabular) or a .safetensors / .onnx model file to fine-tune.")
    var model: String
    @Option(help: "Built-in dataset (the default when no --data, --image-folder or --csv is given).")
    var dataset: DatasetChoice?
    @Option(name: .customLong("data-dir"), help: "Directory holding the Fashion-MNIST IDX files.")
    var dataDirectory: String = FashionMNIST.defaultDirectory
    @OptionGroup(title: "Your own data (instead of --dataset)") var source: DataSourceOptions
    @Option(help: "Watermark kind: trigger-set, content or noise.")
    var kind: OwnershipMethod = .triggerSet
    @Option(name: .customLong("key-size"), parsing: .unconditional, help: "Number of trigger inputs in the key.")
    var keySize: Int = 100
    @Option(name: .customLong("target-class"), parsing: .unconditional, help: "content, noise: the class the triggers are labelled.")
    var targetClass: Int = 0
    @Option(name: .customLong("noise-std"), parsing: .unconditional, help: "noise: standard deviation of the noise pattern.")
    var noiseStd: Float = 0.3
    @Option(parsing: .unconditional, help: "Independent models trained to measure the chance agreement p0.")
    var references: Int = 3
    @Option(parsing: .unconditional, help: "Copies of the key mixed into the training set (default: about 5 % of its rows, at least 2).")
    var copies: Int?
    @Option(parsing: .unconditional, help: "Passes over the training set.")
    var epochs: Int = 3
    @Option(name: .customLong("batch-size"), parsing: .unconditional, help: "Examples per step.")
    var batchSize: Int = 128
    @Option(name: .customLong("lr"), parsing: .unconditional, help: "Learning rate.")
    var learningRate: Float = ZooArchitecture.defaultLearningRate
    @Option(parsing: .unconditional, help: "Use only the first N training examples.")
    var limit: Int?
    @Option(parsing: .unconditional, help: "Seed of the key, the initialisation and the shuffling.")
    var seed: UInt64 = 0
    @Option(help: "Where to write the watermarked model (.safetensors for a zoo or safetensors model, .onnx for an ONNX one).")
    var out: String
    @Option(name: .customLong("key-out"), help: "Where to write the secret key (safetensors with metadata).")
    var keyOut: String
    @Flag(help: "Replace an existing --key-out file (the models made with the old key lose their proof).")
    var force = false
    @Flag(help: "Print one JSON object on stdout.")
    var json = false

    func validate() throws {
        try Bounds.check(keySize, in: 1...100_000, "--key-size")
        try Bounds.check(references, in: 1...100, "--references")
        try Bounds.check(epochs, in: 1...1000, "--epochs")
        try Bounds.check(batchSize, in: 1...Bounds.batchSize, "--batch-size")
        guard learningRate > 0, learningRate.isFinite else { throw ValidationError("--lr must be a positive number") }
        if let limit { try Bounds.check(limit, in: 1...Int.max, "--limit") }
        guard kind.isWatermark else { throw ValidationError("--kind must be trigger-set, content or noise (fingerprints: bulwark fingerprint make)") }
        if dataset != nil, source.isGiven { throw ValidationError("--dataset and your own data (--data, --image-folder, --csv) are exclusive") }
        try source.requireLabels()
        let isONNX = model.lowercased().hasSuffix(".onnx")
        if isONNX != out.lowercased().hasSuffix(".onnx") || (!isONNX && !out.hasSuffix(".safetensors")) {
            throw ValidationError("--out must name a .safetensors file (zoo or safetensors model) or an .onnx file (ONNX model)")
        }
        if ZooArchitecture(rawValue: model) == nil, !FileManager.default.fileExists(atPath: model) {
            throw ValidationError("--model must be a zoo architecture (\(ZooArchitecture.allCases.map(\.rawValue).joined(separator: ", "))) or a model file, got '\(model)'")
        }
    }

    func run() throws {
        let inputs = source.paths + [ZooArchitecture(rawValue: model) == nil ? model : nil]
        try refuseOverwrite(out, inputs: inputs, role: "--out")
        try refuseOverwrite(keyOut, inputs: inputs + [out], role: "--key-out")
        try refuseReplacingKey(keyOut, role: "--key-out", force: force)
        let recipe = WatermarkRecipe(kind: kind, keySize: keySize, seed: seed, targetClass: targetClass, noiseStandardDeviation: noiseStd,
                                     copies: copies)
        let configuration = TrainingConfiguration(epochs: epochs, batchSize: batchSize, seed: seed)
        let plan = TrainingDataPlan(source: try source.dataset(), fashionMNISTDirectory: dataDirectory, testFraction: 0.2, seed: seed, limit: limit)
        let started = Date()
        let summary: WatermarkEmbedSummary
        if let arch = ZooArchitecture(rawValue: model) {
            let data = try plan.load(exampleShape: nil, classCount: nil, standardise: true, modelName: arch.rawValue)
            let classes = arch.isSizedFromData ? (data.classCount ?? data.training.classCount) : ZooArchitecture.defaultClassCount
            let shape = data.training.exampleShape
            let start = try arch.makeModel(exampleShape: shape, classCount: classes, seed: seed)
            summary = try embed(start: start, references: { i in try arch.makeModel(exampleShape: shape, classCount: classes, seed: seed &+ 1000 &+ UInt64(i)) },
                                data: data, recipe: recipe, configuration: configuration) { m in
                var provenance = ModelProvenance(architecture: arch, dataset: data.description, seed: seed)
                provenance.toolVersion = BulwarkVersion.current
                try ModelFile.save(m, provenance: provenance, to: out)
            }
        } else if model.lowercased().hasSuffix(".onnx") {
            let start = try ONNXModel(contentsOf: URL(fileURLWithPath: model))
            let data = try plan.load(exampleShape: start.inputShape, classCount: start.classCount, standardise: false, modelName: model)
            summary = try embed(start: start, references: { _ in start }, data: data, recipe: recipe, configuration: configuration) { m in
                try ONNXExporter.write(m, to: URL(fileURLWithPath: out))
            }
        } else {
            let loaded = try ModelFile.load(path: model)
            let data = try plan.load(exampleShape: loaded.model.inputShape, classCount: loaded.model.classCount, standardise: true, modelName: model)
            summary = try embed(start: loaded.model, references: { _ in loaded.model }, data: data, recipe: recipe, configuration: configuration) { m in
                var provenance = (try? ModelProvenance(metadata: loaded.metadata)) ?? ModelProvenance(architecture: loaded.architecture)
                provenance.toolVersion = BulwarkVersion.current
                try ModelFile.save(m, provenance: provenance, to: out)
            }
        }
        var result = summary
        result.seconds = Date().timeIntervalSince(started)
        if json {
            try printJSON(result)
        } else {
            print("Embedded a \(kind.rawValue) watermark of \(keySize) inputs in \(formatDuration(result.seconds)): test accuracy \(String(format: "%.4f", result.testAccuracy))")
            print("Key matched by the watermarked model: \(result.matches)/\(keySize) (p = \(String(format: "%.3g", result.pValue)))")
            print("Chance agreement p0 = \(String(format: "%.4f", result.chanceAgreement)) from \(references) reference models (\(result.referenceAgreements.map { String(format: "%.3f", $0) }.joined(separator: ", ")))")
            print("Wrote \(out) and the key \(keyOut) (keep it secret)")
        }
        if !result.verified {
            Terminal.note("warning: the watermark did not take: the model matches \(result.matches)/\(keySize) of its key (p = \(String(format: "%.3g", result.pValue)), threshold \(OwnershipVerifier.defaultThreshold)); train longer (--epochs) or mix in more --copies")
            throw ExitCode(ExitStatus.findings)
        }
    }

    /// Embeds, measures p0 on references trained without the watermark, writes model and key.
    func embed<M: TrainableModel>(start: M, references: (Int) throws -> M, data: TrainingData, recipe: WatermarkRecipe,
                                  configuration: TrainingConfiguration, save: (M) throws -> Void) throws -> WatermarkEmbedSummary {
        func procedure(_ seed: UInt64) -> SupervisedTrainingOf<M, Adam, StandardTrainingStep> {
            var c = configuration
            c.seed = seed
            return SupervisedTrainingOf(configuration: c, optimizer: Adam(learningRate: learningRate))
        }
        let training = (inputs: data.training.inputs, labels: data.training.labels)
        let run = try Watermark.embed(model: start, procedure: procedure(seed), training: training, recipe: recipe)
        var starts: [M] = []
        for i in 0..<self.references { starts.append(try references(i)) }
        let trained = try OwnershipReferences.train(count: self.references, initial: { starts[$0] }, procedure: { procedure(seed &+ 1000 &+ UInt64($0)) },
                                                    training: training)
        let key = Watermark.key(triggers: run.triggers, recipe: recipe, classCount: start.classCount, references: trained)
        try save(run.model)
        try key.write(to: keyOut)
        let check = try OwnershipVerifier.verify(model: run.model, key: key)
        return WatermarkEmbedSummary(kind: recipe.kind, keySize: recipe.keySize, seed: recipe.seed, model: out, key: keyOut,
                                     testAccuracy: run.model.accuracy(data.test.inputs, labels: data.test.labels),
                                     matches: check.matches, pValue: check.pValue, verified: check.verified, chanceAgreement: key.chanceAgreement,
                                     referenceAgreements: key.referenceAgreements, seconds: 0)
    }
}

/// What `watermark embed --json` prints.
struct WatermarkEmbedSummary: Codable {
    var kind: OwnershipMethod, keySize: Int, seed: UInt64, model: String, key: String, testAccuracy: Double
    var matches: Int, pValue: Double, verified: Bool, chanceAgreement: Double, referenceAgreements: [Double], seconds: Double

    enum CodingKeys: String, CodingKey {
        case kind, seed, model, key, matches, seconds, verified
        case keySize = "key_size", testAccuracy = "test_accuracy", pValue = "p_value", chanceAgreement = "chance_agreement"
        case referenceAgreements = "reference_agreements"
    }
}

/// `bulwark watermark verify`.
struct WatermarkVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Test whether a suspect model carries a watermark (exact binomial test).",
        discussion: """
        Counts the key inputs the suspect labels with the key's labels; the p-value is \
        P[X ≥ matches] for X ~ Binomial(key size, p0), p0 the key's measured chance agreement. \
        The claim is verified only when p < --threshold. Exit status: 0 verified, 1 refused, \
        2 bad input. The --json output is a report `bulwark attest` signs:

          bulwark watermark verify --model suspect.onnx --key wm.key --json > claim.json
          bulwark attest --model suspect.onnx --report claim.json --private-key key.pem --out claim.attestation.json
        """
    )

    @OptionGroup var claim: OwnershipVerifyOptions

    func run() throws { try claim.verify(command: "watermark verify") }
}

/// The options of `watermark verify` and `fingerprint verify`: the suspect, the key, the
/// threshold and `--json`, and the verification they run.
struct OwnershipVerifyOptions: ParsableArguments {
    @OptionGroup var suspect: ModelOptions
    @Option(help: "The secret key written by watermark embed or fingerprint make.")
    var key: String
    @Option(parsing: .unconditional, help: "Verify only when the p-value is below this.")
    var threshold: Double = OwnershipVerifier.defaultThreshold
    @Flag(help: "Print one JSON object on stdout (a report `bulwark attest` can sign).")
    var json = false

    func validate() throws {
        guard threshold > 0, threshold < 1 else { throw ValidationError("--threshold must be in (0, 1), got \(threshold)") }
    }

    /// Verifies, prints, and exits 1 when the claim is refused; `command` is `watermark verify` or `fingerprint verify`.
    func verify(command: String) throws {
        try OwnershipClaim.verify(modelPath: suspect.model, architecture: suspect.arch, keyPath: key, threshold: threshold, json: json,
                                  command: "bulwark \(command) --model \(suspect.model) --key \(key) --threshold \(threshold)")
    }
}

/// Verification and its rendering, shared by `watermark verify` and `fingerprint verify`.
enum OwnershipClaim {
    /// Loads, verifies, prints (text or JSON) and exits 1 when the claim is refused.
    static func verify(modelPath: String, architecture: ZooArchitecture?, keyPath: String, threshold: Double, json: Bool, command: String) throws {
        let key = try OwnershipKey.read(from: keyPath)
        let model = try ModelLoader.classifier(path: modelPath, architecture: architecture)
        let result = try OwnershipVerifier.verify(model: model, key: key, threshold: threshold)
        if json {
            try printJSON(OwnershipClaimReport(result: result, model: modelPath, key: keyPath, seed: key.seed, command: command))
        } else {
            print("\(result.verified ? "VERIFIED" : "REFUSED"): \(result.matches)/\(result.keySize) key inputs match (\(key.method.rawValue)); "
                + "p = \(String(format: "%.3g", result.pValue)) at chance agreement \(String(format: "%.4f", result.chanceAgreement)), threshold \(threshold)")
        }
        if !result.verified { throw ExitCode(ExitStatus.findings) }
    }
}

/// The `--json` body of an ownership verification: the result's fields at the top level plus
/// `title`, `tool`, `command`, `seed` and one finding, so that `bulwark attest` signs it as a report.
struct OwnershipClaimReport: Encodable {
    var result: OwnershipVerification, model: String, key: String, seed: UInt64, command: String

    struct Finding: Encodable { var id: String, title: String, severity: String, evidence: String }

    enum CodingKeys: String, CodingKey { case title, tool, toolVersion = "tool_version", command, seed, model, key, findings }

    func encode(to encoder: any Encoder) throws {
        try result.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode("Ownership verification (\(result.method.rawValue))", forKey: .title)
        try c.encode("bulwark", forKey: .tool)
        try c.encode(BulwarkVersion.current, forKey: .toolVersion)
        try c.encode(command, forKey: .command)
        try c.encode(seed, forKey: .seed)
        try c.encode(model, forKey: .model)
        try c.encode(key, forKey: .key)
        let evidence = "\(result.matches)/\(result.keySize) key inputs match; p = \(result.pValue) (binomial upper tail, p0 = \(result.chanceAgreement)); threshold \(result.threshold)"
        try c.encode([Finding(id: "ownership-\(result.method.rawValue)", title: result.verified ? "Ownership claim verified" : "Ownership claim refused",
                              severity: "info", evidence: evidence)], forKey: .findings)
    }
}

/// `bulwark watermark robustness`.
struct WatermarkRobustnessCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "robustness",
        abstract: "Re-run verification after removal attacks: pruning, fine-tuning, noise on the key inputs.",
        discussion: """
        Rows (Lukas et al. 2022, SoK): the model as given; magnitude pruning at each --prune \
        fraction (--prune-scope global or per-layer); fine-tuning --fine-tune-epochs on clean data \
        (the default data: Fashion-MNIST's training split, first --limit rows); Gaussian noise of \
        each --noise σ added to the key inputs at verification. Works for watermark and fingerprint keys.

          bulwark watermark robustness --model wm.safetensors --key wm.key --prune 0.3,0.6 --fine-tune-epochs 1 --noise 0.1 --limit 10000
        """
    )

    @OptionGroup var owner: ModelOptions
    @Option(help: "The key written by watermark embed or fingerprint make.")
    var key: String
    @Option(help: "Comma-separated pruning fractions in [0, 1].")
    var prune: String = "0.3,0.6"
    @Option(name: .customLong("prune-scope"), help: "global or per-layer.")
    var pruneScope: PruningScope = .global
    @Option(name: .customLong("fine-tune-epochs"), parsing: .unconditional, help: "Epochs of fine-tuning on clean data (0: no fine-tuning row).")
    var fineTuneEpochs: Int = 1
    @Option(name: .customLong("lr"), parsing: .unconditional, help: "Fine-tuning learning rate.")
    var learningRate: Float = ZooArchitecture.defaultLearningRate
    @Option(help: "Comma-separated standard deviations of noise added to the key inputs.")
    var noise: String = "0.1"
    @Option(name: .customLong("data-dir"), help: "Directory holding the Fashion-MNIST IDX files (the default data).")
    var dataDirectory: String = FashionMNIST.defaultDirectory
    @OptionGroup(title: "Clean data for fine-tuning (default: Fashion-MNIST)") var source: DataSourceOptions
    @Option(parsing: .unconditional, help: "Use only the first N training examples for fine-tuning.")
    var limit: Int?
    @Option(parsing: .unconditional, help: "Verify only when the p-value is below this.")
    var threshold: Double = OwnershipVerifier.defaultThreshold
    @Option(parsing: .unconditional, help: "Seed of fine-tuning and the noise.")
    var seed: UInt64 = 0
    @Flag(help: "Print the table as one JSON object.")
    var json = false

    func numbers(_ text: String, _ flag: String, _ range: ClosedRange<Double>) throws -> [Double] {
        let parts = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let values = parts.compactMap(Double.init)
        guard values.count == parts.count, values.allSatisfy({ range.contains($0) }) else {
            throw ValidationError("\(flag) must be comma-separated numbers in \(range.lowerBound)…\(range.upperBound), got '\(text)'")
        }
        return values
    }

    func validate() throws {
        _ = try numbers(prune, "--prune", 0...1)
        _ = try numbers(noise, "--noise", 0...1)
        try Bounds.check(fineTuneEpochs, in: 0...1000, "--fine-tune-epochs")
        guard threshold > 0, threshold < 1 else { throw ValidationError("--threshold must be in (0, 1), got \(threshold)") }
        if let limit { try Bounds.check(limit, in: 1...Int.max, "--limit") }
        try source.requireLabels()
    }

    func run() throws {
        let ownershipKey = try OwnershipKey.read(from: key)
        let table: RobustnessTable
        if owner.model.lowercased().hasSuffix(".onnx") {
            table = try evaluate(try ONNXModel(contentsOf: URL(fileURLWithPath: owner.model)), key: ownershipKey, standardise: false)
        } else {
            table = try evaluate(try ModelFile.load(path: owner.model, architecture: owner.arch).model, key: ownershipKey, standardise: true)
        }
        if json { return try printJSON(table) }
        print(table.text)
    }

    func evaluate<M: TrainableModel>(_ model: M, key: OwnershipKey, standardise: Bool) throws -> RobustnessTable {
        let plan = TrainingDataPlan(source: try source.dataset(), fashionMNISTDirectory: dataDirectory, testFraction: 0.2, seed: seed, limit: limit)
        let data = try plan.load(exampleShape: model.inputShape, classCount: model.classCount, standardise: standardise, modelName: owner.model)
        let procedure = SupervisedTrainingOf<M, Adam, StandardTrainingStep>(
            configuration: TrainingConfiguration(epochs: max(1, fineTuneEpochs), seed: seed), optimizer: Adam(learningRate: learningRate))
        let cleanData = (inputs: data.training.inputs, labels: data.training.labels)
        var fineTune: (procedure: SupervisedTrainingOf<M, Adam, StandardTrainingStep>, data: (inputs: Tensor, labels: [Int]))?
        if fineTuneEpochs > 0 { fineTune = (procedure, cleanData) }
        let fractions = try numbers(prune, "--prune", 0...1)
        let sigmas = try numbers(noise, "--noise", 0...1).map { Float($0) }
        return try OwnershipRobustness.evaluate(model: model, key: key, threshold: threshold, pruneFractions: fractions, scope: pruneScope,
                                                fineTune: fineTune, noiseSigmas: sigmas, test: (data.test.inputs, data.test.labels), seed: seed)
    }
}

extension PruningScope: ExpressibleByArgument {}
