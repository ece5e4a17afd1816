import ArgumentParser
import BulwarkData
import BulwarkModels
import BulwarkPrivacy
import BulwarkReport
import BulwarkTensor
import Foundation

/// `bulwark privacy audit`: membership inference and related attacks against a trained model.
struct PrivacyAuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Audit a model's training-data leakage: membership inference, attribute inference, model inversion.",
        discussion: """
        Membership attacks: loss, confidence (thresholds), shadow (Shokri et al.), lira-offline and \
        lira-online (Carlini et al. 2022); also attribute (needs --attribute-feature/--attribute-values) \
        and inversion (one reconstruction per class). For each membership attack: AUC, TPR at 0.1% and \
        1% FPR, advantage max(TPR−FPR), and an ε lower bound with 95% Clopper–Pearson confidence \
        (Jagielski et al. 2020; threshold chosen on one half, bound computed on the other). Shadow \
        models (for shadow and LiRA) use the target's architecture and the recipe in its metadata \
        (epochs, batch size, Adam learning rate; non-DP), trained on balanced halves of members ∪ non-members.

        Example:
          bulwark privacy audit --model mlp.safetensors --members xm.npy,ym.npy \\
            --non-members xn.npy,yn.npy --attack loss,confidence,lira-online --out audit --json
        """
    )

    @Option(help: "Model file (.safetensors written by bulwark train, or ONNX for attacks without shadows).") var model: String
    @Option(help: "Architecture when the safetensors file does not record it.") var arch: ZooArchitecture?
    @Option(help: "Training-set examples: inputs.npy,labels.npy.") var members: String
    @Option(name: .customLong("non-members"), help: "Examples not trained on, from the same distribution: inputs.npy,labels.npy.") var nonMembers: String
    @Option(help: "Comma-separated attacks: \(Self.attackNames.joined(separator: ", ")).") var attack: String = "loss,confidence"
    @Option(name: .customLong("shadow-models"), parsing: .unconditional, help: "Shadow models for shadow/LiRA (even, 2–64).") var shadowModels: Int = 8
    @Option(name: .customLong("shadow-epochs"), parsing: .unconditional, help: "Shadow training epochs (default: the target's, from its metadata).") var shadowEpochs: Int?
    @Option(name: .customLong("shadow-lr"), parsing: .unconditional, help: "Shadow Adam learning rate (default: the target's if it was trained with Adam, else 0.001).") var shadowLearningRate: Float?
    @Option(name: .customLong("attribute-feature"), parsing: .unconditional, help: "Attribute inference: index of the hidden feature in the flattened input.") var attributeFeature: Int?
    @Option(name: .customLong("attribute-values"), parsing: .unconditional, help: "Attribute inference: comma-separated candidate values.") var attributeValues: String?
    @Option(name: .customLong("inversion-steps"), parsing: .unconditional, help: "Model inversion: gradient steps.") var inversionSteps: Int = 300
    @Option(parsing: .unconditional, help: "δ for the empirical ε bound.") var delta: Double = 1e-5
    @Option(parsing: .unconditional, help: "Seed of shadow assignment, shadow training and the bound's split.") var seed: UInt64 = 0
    @Option(help: "Write a report (index.html, report.json, report.sarif) into this directory.") var out: String?
    @Flag(help: "Print one JSON object.") var json = false
    @Flag(help: "No progress on stderr.") var quiet = false

    static let attackNames = MembershipAttackKind.allCases.map(\.rawValue) + ["attribute", "inversion"]

    func validate() throws {
        _ = try parsedAttacks()
        guard shadowModels >= 2, shadowModels <= 64, shadowModels % 2 == 0 else { throw ValidationError("--shadow-models must be even, 2–64") }
        if let shadowLearningRate { guard shadowLearningRate > 0, shadowLearningRate.isFinite else { throw ValidationError("--shadow-lr must be a positive number") } }
        if let shadowEpochs { guard shadowEpochs > 0, shadowEpochs <= 1000 else { throw ValidationError("--shadow-epochs must be 1–1000") } }
        guard inversionSteps > 0, inversionSteps <= 100_000 else { throw ValidationError("--inversion-steps must be 1–100000") }
        guard delta >= 0, delta < 1 else { throw ValidationError("--delta must be in [0, 1)") }
    }

    func parsedAttacks() throws -> (membership: [MembershipAttackKind], attribute: Bool, inversion: Bool) {
        let names = attack.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard !names.isEmpty else { throw ValidationError("--attack is empty") }
        var kinds: [MembershipAttackKind] = [], attribute = false, inversion = false
        for name in names {
            if name == "attribute" { attribute = true } else if name == "inversion" { inversion = true } else if let k = MembershipAttackKind(rawValue: name) {
                if !kinds.contains(k) { kinds.append(k) }
            } else {
                throw ValidationError("unknown attack '\(name)' (supported: \(Self.attackNames.joined(separator: ", ")))")
            }
        }
        if attribute && (attributeFeature == nil || attributeValues == nil) {
            throw ValidationError("--attack attribute needs --attribute-feature and --attribute-values")
        }
        return (kinds, attribute, inversion)
    }

    func loadPair(_ spec: String, for classifier: any DifferentiableClassifier, option: String) throws -> (Tensor, [Int]) {
        let parts = spec.split(separator: ",").map(String.init)
        guard parts.count == 2 else { throw CLIError("\(option) expects inputs.npy,labels.npy, got '\(spec)'") }
        let examples = try ArrayFiles.labelled(inputs: parts[0], labels: parts[1], exampleShape: classifier.inputShape,
                                               classCount: classifier.classCount)
        guard examples.count >= 2 else { throw CLIError("\(option): need at least two examples") }
        return (examples.inputs, examples.labels)
    }

    func run() throws {
        if let out {
            let inputs = [model] + (members + "," + nonMembers).split(separator: ",").map(String.init)
            for name in ["", "/index.html", "/report.json", "/report.sarif"] {
                try refuseOverwrite(out + name, inputs: inputs, role: "--out")
            }
        }
        configureNumerics()
        let selected = try parsedAttacks()
        let classifier = try ModelLoader.classifier(path: model, architecture: arch)
        let memberSet = try loadPair(members, for: classifier, option: "--members")
        let nonMemberSet = try loadPair(nonMembers, for: classifier, option: "--non-members")
        var provenance: ModelProvenance?
        var architecture: ZooArchitecture?
        if let loaded = try? ModelFile.load(path: model, architecture: arch) {
            do { provenance = try ModelProvenance(metadata: loaded.metadata) } catch { throw CLIError("\(model): \(error.message)") }
            architecture = loaded.architecture
        }
        var trainer: ShadowTrainer?
        if selected.membership.contains(where: \.needsShadowModels) {
            guard let architecture else { throw CLIError("shadow and LiRA attacks need a zoo model (.safetensors) to copy its architecture") }
            let epochs = shadowEpochs ?? provenance?.epochs ?? 10
            // shadows train with Adam; a target's learning rate is reused only if it was Adam's too
            let targetAdam = (provenance?.optimizer ?? "adam") == "adam"
            let lr = shadowLearningRate ?? (targetAdam ? provenance?.learningRate : nil) ?? ZooArchitecture.defaultLearningRate
            let batch = provenance?.batchSize ?? 128
            trainer = { x, y, seed in
                var m = architecture.makeModel(seed: seed)
                var adam = Adam(learningRate: lr)
                train(&m, inputs: x, labels: y, optimizer: &adam, configuration: TrainingConfiguration(epochs: epochs, batchSize: batch, seed: seed))
                return m
            }
        }
        var attribute: (featureIndex: Int, candidates: [Float])?
        if selected.attribute, let f = attributeFeature, let v = attributeValues {
            let values = v.split(separator: ",").compactMap { Float($0.trimmingCharacters(in: .whitespaces)) }
            attribute = (f, values)
        }
        let dp = provenance?.differentialPrivacy
        let claimed = dp.flatMap { $0.supportsPrivacyClaim ? $0.epsilon : nil }
        let audit = PrivacyAudit(attacks: selected.membership.isEmpty ? [.loss] : selected.membership, shadowModels: shadowModels,
                                 seed: seed, delta: delta, attribute: attribute,
                                 inversionClasses: selected.inversion ? Array(0..<classifier.classCount) : nil,
                                 inversionSteps: inversionSteps, claimedEpsilon: claimed)
        let line = ProgressLine(enabled: !quiet)
        let start = Date()
        let result: PrivacyAuditResult
        do {
            result = try audit.run(classifier, members: memberSet, nonMembers: nonMemberSet, shadowTrainer: trainer) { line.update($0, force: true) }
        } catch {
            line.finish()
            throw CLIError(privacyCause(error).map(flagMessage) ?? "\(error)")
        }
        line.finish()
        let seconds = Date().timeIntervalSince(start)
        if let out {
            let command = quotedCommandLine()
            let report = PrivacyFindings.report(result, model: model, command: command, inputShape: classifier.inputShape,
                                                toolVersion: Bulwark.configuration.version)
            do { try ReportWriter.write(report, to: URL(fileURLWithPath: out)) } catch { throw error }
        }
        if json {
            try printJSON(AuditResult(
                members: result.members, nonMembers: result.nonMembers,
                attacks: result.attacks.map { a in
                    .init(attack: a.attack.rawValue, auc: a.metrics.auc, tprAtFPR0_1: a.metrics.tprAtFPR0_1Percent,
                          tprAtFPR1: a.metrics.tprAtFPR1Percent, advantage: a.metrics.advantage,
                          epsilonLowerBound: a.empiricalEpsilon.epsilonLowerBound, seconds: a.seconds)
                },
                shadowModels: result.shadowModels, seed: seed, delta: delta, seconds: seconds, confidence: 0.95,
                claimContradicted: result.contradictsClaim, claimedEpsilon: result.claimedEpsilon,
                attributeInference: result.attributeInference.map {
                    .init(feature: $0.featureIndex, memberAccuracy: $0.memberAccuracy, nonMemberAccuracy: $0.nonMemberAccuracy,
                          baselineAccuracy: $0.baselineAccuracy, advantage: $0.advantage)
                },
                inversion: result.inversion?.map { .init(classIndex: $0.classIndex, confidence: $0.confidence,
                                                         similarityToMemberMean: $0.similarityToClassMean ?? 0) },
                out: out))
        } else {
            print("members: \(result.members)   non-members: \(result.nonMembers)   shadow models: \(result.shadowModels)   seed: \(seed)")
            if let c = result.claimedEpsilon { print(String(format: "claimed ε (model metadata): %.4f at δ = %@", c, dp.map { "\($0.delta)" } ?? "?")) }
            print("attack        AUC     TPR@0.1%FPR  TPR@1%FPR  advantage  ε lower bound (95%)")
            for a in result.attacks {
                print(a.attack.rawValue.padding(toLength: 13, withPad: " ", startingAt: 0)
                      + String(format: "%.4f  %11.4f  %9.4f  %9.4f  %.4f", a.metrics.auc, a.metrics.tprAtFPR0_1Percent,
                               a.metrics.tprAtFPR1Percent, a.metrics.advantage, a.empiricalEpsilon.epsilonLowerBound))
            }
            if let a = result.attributeInference {
                print(String(format: "attribute inference (feature %d): members %.4f, non-members %.4f, baseline %.4f",
                             a.featureIndex, a.memberAccuracy, a.nonMemberAccuracy, a.baselineAccuracy))
            }
            if let inv = result.inversion {
                print("model inversion: " + inv.map { String(format: "class %d p=%.3f", $0.classIndex, $0.confidence) }.joined(separator: ", "))
            }
            if result.contradictsClaim { print("CLAIM CONTRADICTED: an attack's ε lower bound exceeds the model's claimed ε") }
            if let out { print("wrote \(out)/index.html, report.json, report.sarif") }
        }
    }
}

/// What `privacy audit --json` prints.
struct AuditResult: Codable {
    /// One membership attack.
    struct Attack: Codable {
        var attack: String, auc: Double, tprAtFPR0_1: Double, tprAtFPR1: Double, advantage: Double, epsilonLowerBound: Double, seconds: Double
        enum CodingKeys: String, CodingKey {
            case attack, auc, advantage, seconds
            case tprAtFPR0_1 = "tpr_at_fpr_0.1%", tprAtFPR1 = "tpr_at_fpr_1%", epsilonLowerBound = "epsilon_lower_bound"
        }
    }
    /// Attribute inference.
    struct Attribute: Codable {
        var feature: Int, memberAccuracy: Double, nonMemberAccuracy: Double, baselineAccuracy: Double, advantage: Double
        enum CodingKeys: String, CodingKey {
            case feature, advantage
            case memberAccuracy = "member_accuracy", nonMemberAccuracy = "non_member_accuracy", baselineAccuracy = "baseline_accuracy"
        }
    }
    /// One inversion.
    struct Inversion: Codable {
        var classIndex: Int, confidence: Double, similarityToMemberMean: Double
        enum CodingKeys: String, CodingKey { case confidence, classIndex = "class", similarityToMemberMean = "similarity_to_member_mean" }
    }
    var members: Int, nonMembers: Int, attacks: [Attack], shadowModels: Int, seed: UInt64, delta: Double, seconds: Double
    var confidence: Double, claimContradicted: Bool, claimedEpsilon: Double?, attributeInference: Attribute?, inversion: [Inversion]?
    var out: String?
    enum CodingKeys: String, CodingKey {
        case members, attacks, seed, delta, seconds, confidence, inversion, out
        case nonMembers = "non_members", shadowModels = "shadow_models", claimContradicted = "claim_contradicted"
        case claimedEpsilon = "claimed_epsilon", attributeInference = "attribute_inference"
    }
}
