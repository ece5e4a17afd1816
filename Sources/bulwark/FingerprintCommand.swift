import ArgumentParser
import BulwarkAssessment
import BulwarkData
import BulwarkExtraction
import BulwarkModels
import BulwarkTensor
import Foundation

/// `bulwark fingerprint`: fingerprint a model that was never watermarked, verify the fingerprint on a suspect.
struct FingerprintCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fingerprint",
        abstract: "Prove ownership without a watermark: fingerprint a model, verify a suspect against it.",
        subcommands: [FingerprintMakeCommand.self, FingerprintVerifyCommand.self]
    )
}

/// Fingerprint methods `--method` accepts.
enum FingerprintMethod: String, CaseIterable, ExpressibleByArgument {
    case ipguard, conferrable
}

/// `bulwark fingerprint make`.
struct FingerprintMakeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "make",
        abstract: "Make a fingerprint key of a trained model.",
        discussion: """
        ipguard (Cao et al. 2021): points moved just across the model's classification boundary, \
        labelled by the model. conferrable (Lukas et al. 2021): targeted adversarial examples \
        optimised to transfer to --surrogates (models trained on the owner's labels, like stolen \
        copies) and not to --optimisation-references (trained on the true labels). In both, the \
        chance agreement p0 is measured on --references further models trained independently \
        (not used to make the fingerprint), as for watermarks. Train them like the owner's model: \
        --limit and --epochs apply to them, and references trained on less data than the suspects \
        under-estimate p0 (measured on Fashion-MNIST mlps: independent models trained on 10 000 \
        rows agree 12 % with an ipguard key that models trained on all 60 000 agree 40–53 % with).

          bulwark fingerprint make --model cnn.safetensors --method ipguard --count 100 --out fp.key
        """
    )

    @OptionGroup var owner: ModelOptions
    @Option(name: .customLong("data-dir"), help: "Directory holding the Fashion-MNIST IDX files (the default data).")
    var dataDirectory: String = FashionMNIST.defaultDirectory
    @OptionGroup(title: "Data the fingerprint starts from and references train on (default: Fashion-MNIST)") var source: DataSourceOptions
    @Option(help: "ipguard or conferrable.")
    var method: FingerprintMethod = .ipguard
    @Option(parsing: .unconditional, help: "Number of fingerprint inputs.")
    var count: Int = 100
    @Option(name: .customLong("reference-arch"), help: "Architecture of reference and surrogate models (default: the model file's).")
    var referenceArch: ZooArchitecture?
    @Option(parsing: .unconditional, help: "Independent models trained to measure p0.")
    var references: Int = 3
    @Option(parsing: .unconditional, help: "conferrable: surrogate models trained on the owner's labels.")
    var surrogates: Int = 2
    @Option(name: .customLong("optimisation-references"), parsing: .unconditional, help: "conferrable: reference models the examples must not transfer to.")
    var optimisationReferences: Int = 2
    @Option(parsing: .unconditional, help: "Epochs of each reference and surrogate.")
    var epochs: Int = 3
    @Option(parsing: .unconditional, help: "Use only the first N training examples.")
    var limit: Int?
    @Option(parsing: .unconditional, help: "Seed of every random choice.")
    var seed: UInt64 = 0
    @Option(help: "Where to write the key (safetensors with metadata).")
    var out: String
    @Flag(help: "Replace an existing --out key (the models fingerprinted with the old key lose their proof).")
    var force = false
    @Flag(help: "Print one JSON object on stdout.")
    var json = false

    func validate() throws {
        try Bounds.check(count, in: 1...100_000, "--count")
        try Bounds.check(references, in: 1...100, "--references")
        try Bounds.check(surrogates, in: 1...100, "--surrogates")
        try Bounds.check(optimisationReferences, in: 1...100, "--optimisation-references")
        try Bounds.check(epochs, in: 1...1000, "--epochs")
        if let limit { try Bounds.check(limit, in: 1...Int.max, "--limit") }
        try source.requireLabels()
    }

    func run() throws {
        try refuseOverwrite(out, inputs: source.paths + [owner.model], role: "--out")
        try refuseReplacingKey(out, role: "--out", force: force)
        let model = try owner.load()
        let arch: ZooArchitecture
        if let referenceArch { arch = referenceArch } else if let recorded = try? ModelFile.load(path: owner.model, architecture: owner.arch).architecture {
            arch = recorded
        } else { throw CLIError("\(owner.model) does not record a zoo architecture: pass --reference-arch for the reference models") }
        let plan = TrainingDataPlan(source: try source.dataset(), fashionMNISTDirectory: dataDirectory, testFraction: 0.2, seed: seed, limit: limit)
        let data = try plan.load(exampleShape: model.inputShape, classCount: model.classCount, standardise: true, modelName: owner.model)
        let training = (inputs: data.training.inputs, labels: data.training.labels)
        let started = Date()
        func zoo(_ i: Int, _ offset: UInt64) throws -> Sequential {
            try arch.makeModel(exampleShape: model.inputShape, classCount: model.classCount, seed: seed &+ offset &+ UInt64(i))
        }
        func procedure(_ i: Int, _ offset: UInt64) -> SupervisedTraining<Adam, StandardTrainingStep> {
            SupervisedTraining(configuration: TrainingConfiguration(epochs: epochs, seed: seed &+ offset &+ UInt64(i)), optimizer: Adam())
        }
        func train(_ n: Int, offset: UInt64, labels: [Int]) throws -> [any DifferentiableClassifier] {
            var starts: [Sequential] = []
            for i in 0..<n { starts.append(try zoo(i, offset)) }
            return try OwnershipReferences.train(count: n, initial: { starts[$0] }, procedure: { procedure($0, offset) },
                                                 training: (training.inputs, labels))
        }
        let points: (inputs: Tensor, labels: [Int])
        let parameters: [String: String]
        switch method {
        case .ipguard:
            let recipe = IPGuardFingerprint(count: count, seed: seed)
            points = try recipe.make(owner: model, data: training.inputs)
            parameters = recipe.parameters
        case .conferrable:
            let recipe = ConferrableFingerprint(count: count, seed: seed)
            let copies = try train(surrogates, offset: 3000, labels: model.predictions(training.inputs))
            let others = try train(optimisationReferences, offset: 4000, labels: training.labels)
            let made = try recipe.make(owner: model, surrogates: copies, references: others, data: training.inputs)
            points = (made.inputs, made.labels)
            parameters = recipe.parameters
        }
        let held = try train(references, offset: 2000, labels: training.labels)
        let key = Fingerprint.key(method: method == .ipguard ? .ipguard : .conferrable, points: points, classCount: model.classCount, seed: seed,
                                  references: held, parameters: parameters)
        try key.write(to: out)
        let check = try OwnershipVerifier.verify(model: model, key: key)
        let summary = FingerprintSummary(method: key.method, count: key.count, seed: seed, key: out, matches: check.matches, pValue: check.pValue,
                                         chanceAgreement: key.chanceAgreement, referenceAgreements: key.referenceAgreements,
                                         seconds: Date().timeIntervalSince(started))
        if json { return try printJSON(summary) }
        print("Fingerprint (\(key.method.rawValue)) of \(key.count) inputs in \(formatDuration(summary.seconds)); the model matches \(check.matches)/\(key.count)")
        print("Chance agreement p0 = \(String(format: "%.4f", key.chanceAgreement)) from \(references) reference models (\(key.referenceAgreements.map { String(format: "%.3f", $0) }.joined(separator: ", ")))")
        print("Wrote the key \(out)")
    }
}

/// What `fingerprint make --json` prints.
struct FingerprintSummary: Codable {
    var method: OwnershipMethod, count: Int, seed: UInt64, key: String, matches: Int, pValue: Double, chanceAgreement: Double
    var referenceAgreements: [Double], seconds: Double

    enum CodingKeys: String, CodingKey {
        case method, count, seed, key, matches, seconds
        case pValue = "p_value", chanceAgreement = "chance_agreement", referenceAgreements = "reference_agreements"
    }
}

/// `bulwark fingerprint verify`.
struct FingerprintVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Test whether a suspect model carries a fingerprint (exact binomial test).",
        discussion: """
        As `watermark verify`: exit status 0 verified, 1 refused, 2 bad input; --json is a report \
        `bulwark attest` signs.

          bulwark fingerprint verify --model suspect.safetensors --key fp.key --json
        """
    )

    @OptionGroup var claim: OwnershipVerifyOptions

    func run() throws { try claim.verify(command: "fingerprint verify") }
}
