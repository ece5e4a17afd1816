import ArgumentParser
import BulwarkAssessment
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
          bulwark privacy audit --model mlp.safetensors --data xm.npy --labels ym.npy \\
            --non-member-data xn.npy --non-member-labels yn.npy --attack loss,confidence,lira-online --out audit --json
        """
    )

    @OptionGroup(title: "Model (.safetensors written by bulwark train; ONNX for attacks without shadow models)") var target: ModelOptions
    @OptionGroup(title: "Members: examples the model was trained on") var members: LabelledDataOptions
    @Option(name: .customLong("non-member-data"), help: "Examples not trained on, from the same distribution (.npy inputs in [0, 1]).") var nonMemberData: String
    @Option(name: .customLong("non-member-labels"), help: "Integer labels of the non-members (.npy).") var nonMemberLabels: String
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
    @OptionGroup var sharding: ShardOptions
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
        if sharding.shard != nil && out == nil { throw ValidationError("--shard needs --out DIR for the partial result") }
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

    func run() throws {
        let shard = try sharding.parsed()
        if let out {
            let names = shard.map { ["", "/" + ReportPart.fileName(kind: .privacyAudit, shard: $0.description)] }
                ?? ["", "/index.html", "/report.json", "/report.sarif"]
            try refuseOverwrite(out, names: names, inputs: [target.model, members.data, members.labels, nonMemberData, nonMemberLabels])
        }
        configureNumerics()
        let selected = try parsedAttacks()
        var attribute: (featureIndex: Int, candidates: [Float])?
        if selected.attribute, let f = attributeFeature, let v = attributeValues {
            attribute = (f, v.split(separator: ",").compactMap { Float($0.trimmingCharacters(in: .whitespaces)) })
        }
        let job = PrivacyAuditJob(
            members: try members.runInputs(target), nonMemberData: nonMemberData, nonMemberLabels: nonMemberLabels, attacks: selected.membership,
            attribute: attribute, inversion: selected.inversion, shadowModels: shadowModels, shadowEpochs: shadowEpochs,
            shadowLearningRate: shadowLearningRate, inversionSteps: inversionSteps, delta: delta, seed: seed, outputDirectory: out,
            command: quotedCommandLine(), arguments: Array(CommandLine.arguments.dropFirst()), toolVersion: Bulwark.configuration.version)
        let line = ProgressLine(enabled: !quiet)
        if let shard {
            let (_, written) = try Self.namingFlags { try line.around { try job.run(shard: shard) { line.update("shard \(shard): " + $0, force: true) } } }
            line.finish("shard \(shard): scored candidates \(written.block.lowerBound)..<\(written.block.upperBound) of \(written.total)")
            return try ShardOptions.render(written, json: json, unit: "candidates")
        }
        let outcome = try Self.namingFlags { try line.around { try job.run { line.update($0, force: true) } } }
        line.finish()
        let result = outcome.result
        if json { return try printJSON(PrivacyAuditSummary(result, seconds: outcome.seconds, out: out)) }
        print("members: \(result.members)   non-members: \(result.nonMembers)   shadow models: \(result.shadowModels)   seed: \(seed)")
        if let c = result.claimedEpsilon { print(String(format: "claimed ε (model metadata): %.4f at δ = %@", c, outcome.claimedDelta.map { "\($0)" } ?? "?")) }
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

    /// Runs `body`, naming the flag behind a privacy error (`--shadow-lr`, not `learningRate`).
    static func namingFlags<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch {
            if let cause = privacyCause(error) { throw CLIError(flagMessage(cause)) }
            throw error
        }
    }
}
