public import BulwarkPrivacy
public import Foundation
public import BulwarkArchive
public import BulwarkData
import BulwarkModels
import BulwarkReport

/// `bulwark privacy audit` as a library call: membership inference (and optionally attribute
/// inference and model inversion) against a model file, with the shadow models' recipe and the
/// claimed ε read from a zoo model's provenance; writes the report, or a shard's part.
///
/// ```swift
/// let members = RunInputs(modelPath: "mlp.safetensors", source: .arrays(data: "x.npy", labels: "y.npy"), dataName: "x.npy", labelsName: "y.npy")
/// let job = PrivacyAuditJob(members: members, nonMemberData: "xo.npy", nonMemberLabels: "yo.npy", attacks: [.loss])
/// print(try job.run().result.attacks.map(\.metrics.auc))
/// ```
public struct PrivacyAuditJob: Sendable {
    /// The model and its members (examples it was trained on).
    public var members: RunInputs
    /// Non-members from the same distribution: inputs (`.npy`, in [0, 1]) and labels (`.npy`).
    public var nonMemberData: String, nonMemberLabels: String
    /// The membership attacks (``PrivacyAudit`` runs `loss` when empty).
    public var attacks: [MembershipAttackKind]
    /// Attribute inference: the hidden feature's index and its candidate values (nil: not run).
    public var attribute: (featureIndex: Int, candidates: [Float])?
    /// Whether model inversion runs (on every class).
    public var inversion: Bool
    /// Shadow models for shadow and LiRA attacks.
    public var shadowModels: Int
    /// Shadow training epochs and Adam learning rate (nil: the target's, from its provenance).
    public var shadowEpochs: Int?, shadowLearningRate: Float?
    /// Model-inversion gradient steps.
    public var inversionSteps: Int
    /// δ of the empirical ε bound.
    public var delta: Double
    /// Seed of shadow assignment, shadow training and the bound's split.
    public var seed: UInt64
    /// Where the report (or a shard's part) goes (nil: nothing written).
    public var outputDirectory: String?
    /// The command that reproduces the run, recorded in the report.
    public var command: String
    /// The command line without the program name, recorded in a shard's part.
    public var arguments: [String]
    /// The tool version recorded.
    public var toolVersion: String

    /// An audit; the defaults are `bulwark privacy audit`'s.
    public init(members: RunInputs, nonMemberData: String, nonMemberLabels: String, attacks: [MembershipAttackKind],
                attribute: (featureIndex: Int, candidates: [Float])? = nil, inversion: Bool = false, shadowModels: Int = 8,
                shadowEpochs: Int? = nil, shadowLearningRate: Float? = nil, inversionSteps: Int = 300, delta: Double = 1e-5, seed: UInt64 = 0,
                outputDirectory: String? = nil, command: String = "", arguments: [String] = [], toolVersion: String = BulwarkVersion.current) {
        self.members = members
        self.nonMemberData = nonMemberData
        self.nonMemberLabels = nonMemberLabels
        self.attacks = attacks
        self.attribute = attribute
        self.inversion = inversion
        self.shadowModels = shadowModels
        self.shadowEpochs = shadowEpochs
        self.shadowLearningRate = shadowLearningRate
        self.inversionSteps = inversionSteps
        self.delta = delta
        self.seed = seed
        self.outputDirectory = outputDirectory
        self.command = command
        self.arguments = arguments
        self.toolVersion = toolVersion
    }

    /// What a whole audit produced.
    public struct Outcome: Sendable {
        /// Every attack's metrics and ε lower bound, and the claim they test.
        public var result: PrivacyAuditResult
        /// δ of the ε the model claims (its provenance), if any.
        public var claimedDelta: Double?
        /// Wall seconds of the attacks.
        public var seconds: Double
    }

    /// The model, members, non-members, audit and shadow trainer, loaded and checked.
    private struct Prepared {
        var model: any DifferentiableClassifier
        var members: LabeledDataset, nonMembers: LabeledDataset
        var audit: PrivacyAudit
        var recipe: ShadowRecipe?
        var claimedDelta: Double?
    }

    private func prepare() throws -> Prepared {
        let loaded = try members.load()
        let model = loaded.model
        let nonMembers = try ArrayFiles.labelled(inputs: nonMemberData, labels: nonMemberLabels, exampleShape: model.inputShape,
                                                 classCount: model.classCount, limit: members.limit)
        try ArrayFiles.checkRange(nonMembers.inputs, 0...1, path: nonMemberData)
        // a zoo model's provenance gives the shadows' recipe and the ε it claims
        let zoo = try? ModelFile.load(path: members.modelPath, architecture: members.architecture)
        var provenance: ModelProvenance?
        if let zoo {
            do { provenance = try ModelProvenance(metadata: zoo.metadata) } catch {
                throw AssessmentError("\(members.modelPath): \(error.message)", underlying: error)
            }
        }
        var recipe: ShadowRecipe?
        if attacks.contains(where: \.needsShadowModels) {
            guard let zoo else {
                throw AssessmentError(.invalidConfiguration, "shadow and LiRA attacks need a zoo model (.safetensors) to copy its architecture")
            }
            recipe = try ShadowRecipe(architecture: zoo.architecture, exampleShape: model.inputShape, classCount: model.classCount,
                                      provenance: provenance, epochs: shadowEpochs, learningRate: shadowLearningRate)
        }
        let dp = provenance?.differentialPrivacy
        let audit = PrivacyAudit(attacks: attacks.isEmpty ? [.loss] : attacks, shadowModels: shadowModels, seed: seed, delta: delta,
                                 attribute: attribute, inversionClasses: inversion ? Array(0..<model.classCount) : nil,
                                 inversionSteps: inversionSteps, claimedEpsilon: dp.flatMap { $0.supportsPrivacyClaim ? $0.epsilon : nil })
        return Prepared(model: model, members: loaded.examples, nonMembers: nonMembers, audit: audit, recipe: recipe, claimedDelta: dp?.delta)
    }

    /// Loads, attacks and, with ``outputDirectory``, writes the report; `progress` gets a line per stage.
    /// - Throws: ``AssessmentError`` for the inputs, ``PrivacyError`` (possibly inside a
    ///   ``ModelError``) from the shadow recipe or the attacks, the file system's error for an
    ///   unwritable output.
    public func run(progress: (String) -> Void = { _ in }) throws -> Outcome {
        let p = try prepare()
        let start = Date()
        let result = try p.audit.run(p.model, members: (p.members.inputs, p.members.labels), nonMembers: (p.nonMembers.inputs, p.nonMembers.labels),
                                     shadowTrainer: p.recipe?.trainer, progress: progress)
        let seconds = Date().timeIntervalSince(start)
        if let outputDirectory {
            let report = PrivacyFindings.report(result, model: members.modelPath, command: command, inputShape: p.model.inputShape,
                                                toolVersion: toolVersion)
            try ReportWriter.write(report, to: URL(fileURLWithPath: outputDirectory))
        }
        return Outcome(result: result, claimedDelta: p.claimedDelta, seconds: seconds)
    }

    /// Scores `shard`'s block of members ∪ non-members (every shard trains the same shadow pool
    /// from ``seed``) and writes its part into ``outputDirectory``.
    /// - Throws: as ``run(progress:)``; ``AssessmentError`` when no output directory is set.
    public func run(shard: Shard, progress: (String) -> Void = { _ in }) throws -> (part: PartialPrivacyAudit, written: WrittenPart) {
        guard let outputDirectory else { throw AssessmentError(.invalidConfiguration, "--shard needs --out DIR for the partial result") }
        let p = try prepare()
        let part = try p.audit.run(shard: shard, toolVersion: toolVersion, p.model, members: (p.members.inputs, p.members.labels),
                                   nonMembers: (p.nonMembers.inputs, p.nonMembers.labels), shadowTrainer: p.recipe?.trainer, progress: progress)
        let context = RunContext(model: members.modelPath, data: members.dataName + "," + members.labelsName,
                                 labels: nonMemberData + "," + nonMemberLabels, arguments: arguments, inputShape: p.model.inputShape)
        let total = p.members.count + p.nonMembers.count
        return (part, try WrittenPart.write(ReportPart(part, context: context), shard: shard, total: total, to: outputDirectory))
    }
}
