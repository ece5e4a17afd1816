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
    @Option(help: "Architecture when the safetensors file does not record it.") var arch: String?
    @Option(help: "Training-set examples: inputs.npy,labels.npy.") var members: String
    @Option(name: .customLong("non-members"), help: "Examples not trained on, from the same distribution: inputs.npy,labels.npy.") var nonMembers: String
    @Option(help: "Comma-separated attacks: \(Self.attackNames.joined(separator: ", ")).") var attack: String = "loss,confidence"
    @Option(name: .customLong("shadow-models"), help: "Shadow models for shadow/LiRA (even, 2–64).") var shadowModels: Int = 8
    @Option(name: .customLong("shadow-epochs"), help: "Shadow training epochs (default: the target's, from its metadata).") var shadowEpochs: Int?
    @Option(name: .customLong("shadow-lr"), help: "Shadow Adam learning rate (default: the target's if it was trained with Adam, else 0.001).") var shadowLearningRate: Float?
    @Option(name: .customLong("attribute-feature"), help: "Attribute inference: index of the hidden feature in the flattened input.") var attributeFeature: Int?
    @Option(name: .customLong("attribute-values"), help: "Attribute inference: comma-separated candidate values.") var attributeValues: String?
    @Option(name: .customLong("inversion-steps"), help: "Model inversion: gradient steps.") var inversionSteps: Int = 300
    @Option(help: "δ for the empirical ε bound.") var delta: Double = 1e-5
    @Option(help: "Seed of shadow assignment, shadow training and the bound's split.") var seed: UInt64 = 0
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
        if let arch, ZooArchitecture(rawValue: arch) == nil { throw ValidationError("unknown architecture '\(arch)'") }
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
        let x = try loadInputs(path: parts[0], for: classifier)
        guard FileManager.default.fileExists(atPath: parts[1]) else { throw CLIError("labels file not found: \(parts[1])") }
        let y = try NPY.read(path: parts[1]).toLabels()
        guard y.count == x.shape[0] else { throw CLIError("\(parts[1]): \(y.count) labels for \(x.shape[0]) inputs in \(parts[0])") }
        if let bad = y.first(where: { $0 < 0 || $0 >= classifier.classCount }) {
            throw CLIError("\(parts[1]): label \(bad) outside 0..<\(classifier.classCount)")
        }
        guard y.count >= 2 else { throw CLIError("\(option): need at least two examples") }
        return (x, y)
    }

    func run() throws {
        configureNumerics()
        let selected = try parsedAttacks()
        let classifier = try loadClassifier(path: model, architecture: arch.flatMap(ZooArchitecture.init(rawValue:)))
        let memberSet = try loadPair(members, for: classifier, option: "--members")
        let nonMemberSet = try loadPair(nonMembers, for: classifier, option: "--non-members")
        var metadata: [String: String] = [:]
        var architecture: ZooArchitecture?
        if let loaded = try? ModelFile.load(path: model, architecture: arch.flatMap(ZooArchitecture.init(rawValue:))) {
            metadata = loaded.metadata
            architecture = loaded.architecture
        }
        var trainer: ShadowTrainer?
        if selected.membership.contains(where: \.needsShadowModels) {
            guard let architecture else { throw CLIError("shadow and LiRA attacks need a zoo model (.safetensors) to copy its architecture") }
            let epochs = shadowEpochs ?? Int(metadata["bulwark.epochs"] ?? "") ?? 10
            // shadows train with Adam; a target's learning rate is reused only if it was Adam's too
            let targetAdam = (metadata["bulwark.optimizer"] ?? "adam") == "adam"
            let lr = shadowLearningRate ?? (targetAdam ? Float(metadata["bulwark.learning_rate"] ?? "") : nil) ?? ZooArchitecture.defaultLearningRate
            let batch = Int(metadata["bulwark.batch_size"] ?? "") ?? 128
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
        let claimed = metadata["bulwark.dp.randomness"]?.hasPrefix("secure") == true ? metadata["bulwark.dp.epsilon"].flatMap(Double.init) : nil
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
            throw CLIError(error.description)
        }
        line.finish()
        let seconds = Date().timeIntervalSince(start)
        if let out {
            let report = PrivacyAuditReport.make(result, model: model, command: CommandLine.arguments.joined(separator: " "),
                                                 inputShape: classifier.inputShape)
            do { try ReportWriter.write(report, to: URL(fileURLWithPath: out)) } catch { throw CLIError("\(error)") }
        }
        if json {
            var rows: [[String: Any]] = []
            for a in result.attacks {
                rows.append(["attack": a.attack.rawValue, "auc": a.metrics.auc, "tpr_at_fpr_0.1%": a.metrics.tprAtFPR0_1Percent,
                             "tpr_at_fpr_1%": a.metrics.tprAtFPR1Percent, "advantage": a.metrics.advantage,
                             "epsilon_lower_bound": a.empiricalEpsilon.epsilonLowerBound, "seconds": a.seconds])
            }
            var object: [String: Any] = ["members": result.members, "non_members": result.nonMembers, "attacks": rows,
                                         "shadow_models": result.shadowModels, "seed": Int(seed), "delta": delta, "seconds": seconds,
                                         "confidence": 0.95, "claim_contradicted": result.contradictsClaim]
            if let c = result.claimedEpsilon { object["claimed_epsilon"] = c }
            if let a = result.attributeInference {
                object["attribute_inference"] = ["feature": a.featureIndex, "member_accuracy": a.memberAccuracy,
                                                 "non_member_accuracy": a.nonMemberAccuracy, "baseline_accuracy": a.baselineAccuracy,
                                                 "advantage": a.advantage]
            }
            if let inv = result.inversion {
                object["inversion"] = inv.map { ["class": $0.classIndex, "confidence": $0.confidence, "similarity_to_member_mean": $0.similarityToClassMean ?? 0] }
            }
            if let out { object["out"] = out }
            try printJSON(object)
        } else {
            print("members: \(result.members)   non-members: \(result.nonMembers)   shadow models: \(result.shadowModels)   seed: \(seed)")
            if let c = result.claimedEpsilon { print(String(format: "claimed ε (model metadata): %.4f at δ = %@", c, metadata["bulwark.dp.delta"] ?? "?")) }
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

/// Turns a typed audit result into report findings and sections.
enum PrivacyAuditReport {
    static func technique(_ k: MembershipAttackKind) -> String {
        switch k {
        case .loss: "Membership inference (loss threshold)"
        case .confidence: "Membership inference (confidence threshold)"
        case .shadow: "Membership inference (shadow models)"
        case .liraOffline: "Membership inference (LiRA offline)"
        case .liraOnline: "Membership inference (LiRA online)"
        }
    }

    static func severity(_ m: MembershipMetrics) -> Severity {
        if m.advantage >= 0.2 || m.tprAtFPR0_1Percent >= 0.05 { return .high }
        if m.advantage >= 0.05 || m.tprAtFPR1Percent >= 0.05 { return .medium }
        if m.advantage >= 0.02 { return .low }
        return .info
    }

    static func make(_ r: PrivacyAuditResult, model: String, command: String, inputShape: [Int]) -> Report {
        var findings: [Finding] = []
        for a in r.attacks {
            let m = a.metrics, e = a.empiricalEpsilon
            var sev = severity(m)
            var detail = String(format: "On %d members and %d non-members the attack reaches AUC %.3f, TPR %.3f at 0.1%% FPR and %.3f at 1%% FPR (advantage %.3f). ",
                                r.members, r.nonMembers, m.auc, m.tprAtFPR0_1Percent, m.tprAtFPR1Percent, m.advantage)
            detail += String(format: "Its error rates prove ε ≥ %.3f (δ = %g, %.0f%% Clopper–Pearson confidence, threshold chosen on a disjoint half). ",
                             e.epsilonLowerBound, e.delta, e.confidence * 100)
            if let c = r.claimedEpsilon {
                if e.epsilonLowerBound > c {
                    sev = .critical
                    detail += String(format: "This exceeds the ε = %.3f the model claims: the DP claim is false.", c)
                } else {
                    detail += String(format: "Consistent with the claimed ε = %.3f (a lower bound below the claim does not prove the claim).", c)
                }
            } else {
                detail += "The model claims no differential privacy; DP-SGD (bulwark train --dp) bounds this leakage."
            }
            findings.append(Finding(
                id: "privacy.mia.\(a.attack.rawValue)", threat: .privacy, technique: technique(a.attack),
                atlasID: ATLAS.membershipInference, owaspID: OWASPML.membershipInference, severity: sev,
                title: String(format: "%@: AUC %.3f, advantage %.3f", technique(a.attack), m.auc, m.advantage), detail: detail,
                metrics: [Metric("auc", m.auc), Metric("tpr_at_fpr_0.1%", m.tprAtFPR0_1Percent, unit: "fraction"),
                          Metric("tpr_at_fpr_1%", m.tprAtFPR1Percent, unit: "fraction"), Metric("advantage", m.advantage, unit: "fraction"),
                          Metric("epsilon_lower_bound", e.epsilonLowerBound)],
                artifact: model, reproduce: command))
        }
        if let a = r.attributeInference {
            findings.append(Finding(
                id: "privacy.attribute-inference", threat: .privacy, technique: "Attribute inference (loss-minimising)",
                atlasID: ATLAS.modelInversion, owaspID: OWASPML.modelInversion,
                severity: a.advantage >= 0.05 ? .medium : (a.advantage > 0.01 ? .low : .info),
                title: String(format: "Attribute inference on feature %d: members %.3f vs non-members %.3f", a.featureIndex, a.memberAccuracy, a.nonMemberAccuracy),
                detail: String(format: "Guessing the hidden feature from the model recovers it for %.1f%% of members and %.1f%% of non-members (baseline %.1f%%).",
                               a.memberAccuracy * 100, a.nonMemberAccuracy * 100, a.baselineAccuracy * 100),
                metrics: [Metric("member_accuracy", a.memberAccuracy, unit: "fraction"), Metric("non_member_accuracy", a.nonMemberAccuracy, unit: "fraction"),
                          Metric("baseline_accuracy", a.baselineAccuracy, unit: "fraction")],
                artifact: model, reproduce: command))
        }
        var sections: [Section] = []
        var series = r.attacks.map { a in
            LineChart.Series(name: a.attack.rawValue, points: a.metrics.roc.map { LineChart.Point($0.falsePositiveRate, $0.truePositiveRate) })
        }
        series.append(LineChart.Series(name: "chance", points: [LineChart.Point(0, 0), LineChart.Point(1, 1)]))
        let rows = r.attacks.map { a in
            [a.attack.rawValue, String(format: "%.4f", a.metrics.auc), String(format: "%.4f", a.metrics.tprAtFPR0_1Percent),
             String(format: "%.4f", a.metrics.tprAtFPR1Percent), String(format: "%.4f", a.metrics.advantage),
             String(format: "%.4f", a.empiricalEpsilon.epsilonLowerBound)]
        }
        sections.append(Section(
            title: "Membership inference",
            text: "Members: \(r.members), non-members: \(r.nonMembers), shadow models: \(r.shadowModels), seed \(r.seed)." + (r.claimedEpsilon.map { String(format: " Claimed ε: %.4f.", $0) } ?? ""),
            charts: [LineChart(title: "ROC curve", xLabel: "false-positive rate", yLabel: "true-positive rate", series: series, yRange: 0...1)],
            tables: [Table(title: "Attacks", columns: ["attack", "AUC", "TPR@0.1%FPR", "TPR@1%FPR", "advantage", "ε lower bound (95%)"], rows: rows)]))
        if let inv = r.inversion, !inv.isEmpty {
            let w = inputShape.last ?? 1, h = inputShape.count >= 2 ? inputShape[inputShape.count - 2] : 1
            let images = inv.compactMap { i -> GrayImage? in
                guard i.pixels.count == w * h else { return nil }  // only single-channel images are drawn
                return GrayImage(width: w, height: h, values: i.pixels, caption: String(format: "class %d, p=%.2f", i.classIndex, i.confidence))
            }
            if !images.isEmpty {
                sections.append(Section(title: "Model inversion (Fredrikson et al. 2015)",
                                        text: "One class-representative reconstruction per class, by gradient descent on the input.",
                                        imageGrids: [ImageGrid(title: "Reconstructions", columns: images.map(\.caption), rows: [ImageGrid.Row(images: images)])]))
            }
            let meanSimilarity = inv.compactMap(\.similarityToClassMean).reduce(0, +) / Double(max(1, inv.compactMap(\.similarityToClassMean).count))
            findings.append(Finding(
                id: "privacy.model-inversion", threat: .privacy, technique: "Model inversion (MI-Face)", atlasID: ATLAS.modelInversion,
                owaspID: OWASPML.modelInversion, severity: .info,
                title: String(format: "Model inversion: %d class representatives, mean cosine similarity to member class means %.3f", inv.count, meanSimilarity),
                detail: "Class-representative inputs reconstructed from the model's gradients (see the images). Similarity to the members' class means shows how much of the training distribution they reveal.",
                metrics: [Metric("mean_similarity_to_member_class_mean", meanSimilarity)], artifact: model, reproduce: command))
        }
        return Report(title: "Privacy audit: \(model)", toolVersion: "0.1.0", command: command, seed: r.seed,
                      parameters: ["members": String(r.members), "non_members": String(r.nonMembers), "shadow_models": String(r.shadowModels),
                                   "delta": String(r.delta)],
                      findings: findings, sections: sections)
    }
}
