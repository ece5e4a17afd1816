public import BulwarkData
public import BulwarkModels
public import BulwarkTensor
import Foundation

/// The result of one membership attack in an audit.
public struct MembershipAttackResult: Sendable, Codable, Equatable {
    /// The attack run.
    public var attack: MembershipAttackKind
    /// How well its scores separate members from non-members (ROC, AUC, advantage).
    public var metrics: MembershipMetrics
    /// The ε lower bound this attack demonstrates (Jagielski et al. 2020).
    public var empiricalEpsilon: EmpiricalEpsilon
    /// Wall time of scoring and measuring this attack (shadow-model training not included).
    public var seconds: Double
}

/// A typed, `Codable` privacy audit: membership attacks with ROC metrics and empirical ε,
/// optional attribute inference and model inversion. The report module turns it into findings.
public struct PrivacyAuditResult: Sendable, Codable, Equatable {
    /// Number of members and of non-members whose membership was tested.
    public var members: Int, nonMembers: Int
    /// One result per membership attack, in the order they were asked for.
    public var attacks: [MembershipAttackResult]
    /// The attribute-inference result, when the audit asked for one.
    public var attributeInference: AttributeInferenceResult?
    /// One reconstruction per requested class, when the audit asked for model inversion.
    public var inversion: [InversionImage]?
    /// Shadow models trained (0 when no attack needed them).
    public var shadowModels: Int
    /// Seed of the shadow assignment and of the ε-bound split.
    public var seed: UInt64
    /// The ε the model claims (from its metadata), when it claims one.
    public var claimedEpsilon: Double?
    /// The δ of the empirical ε lower bounds.
    public var delta: Double

    /// The attack with the largest membership advantage.
    public var strongest: MembershipAttackResult? { attacks.max { $0.metrics.advantage < $1.metrics.advantage } }

    /// True when some attack's ε lower bound exceeds the claimed ε: the claim is false (a bug
    /// in training or accounting, or the claim was never earned).
    public var contradictsClaim: Bool {
        guard let claimedEpsilon else { return false }
        return attacks.contains { $0.empiricalEpsilon.epsilonLowerBound > claimedEpsilon }
    }
}

/// What to run in an audit.
public struct PrivacyAudit: Sendable {
    /// The membership attacks to run (at least one).
    public var attacks: [MembershipAttackKind]
    /// Shadow models for the shadow attack and LiRA (even, bounded).
    public var shadowModels: Int
    /// Seed of the shadow assignment and of the ε-bound split.
    public var seed: UInt64
    /// δ and confidence of the empirical ε bound.
    public var delta: Double, confidence: Double
    /// Attribute inference: feature index and candidate values.
    public var attribute: (featureIndex: Int, candidates: [Float])?
    /// Model inversion: one reconstruction per listed class.
    public var inversionClasses: [Int]?
    /// Gradient steps of each model-inversion reconstruction.
    public var inversionSteps: Int
    /// The ε the model claims, compared against the empirical bounds.
    public var claimedEpsilon: Double?

    /// An audit; by default the loss and confidence attacks, no attribute inference, no inversion.
    public init(attacks: [MembershipAttackKind] = [.loss, .confidence], shadowModels: Int = 8, seed: UInt64 = 0,
                delta: Double = 1e-5, confidence: Double = 0.95, attribute: (featureIndex: Int, candidates: [Float])? = nil,
                inversionClasses: [Int]? = nil, inversionSteps: Int = 300, claimedEpsilon: Double? = nil) {
        self.attacks = attacks
        self.shadowModels = shadowModels
        self.seed = seed
        self.delta = delta
        self.confidence = confidence
        self.attribute = attribute
        self.inversionClasses = inversionClasses
        self.inversionSteps = inversionSteps
        self.claimedEpsilon = claimedEpsilon
    }

    /// Runs the audit on `model` with known members and non-members.
    ///
    /// `shadowTrainer` is required when an attack needs shadow models; shadows are trained on
    /// balanced halves of members ∪ non-members (the candidates whose membership is tested).
    public func run(_ model: any DifferentiableClassifier, members: (Tensor, [Int]), nonMembers: (Tensor, [Int]),
                    shadowTrainer: ShadowTrainer? = nil,
                    progress: (String) -> Void = { _ in }) throws(PrivacyError) -> PrivacyAuditResult {
        let scored = try score(model, members: members, nonMembers: nonMembers, shadowTrainer: shadowTrainer, shard: .whole,
                               progress: progress)
        let (attributeResult, images) = try extras(model, members: members, nonMembers: nonMembers, progress: progress)
        return try measure(scores: scored.scores, seconds: scored.seconds, members: members.1.count, nonMembers: nonMembers.1.count,
                           attributeInference: attributeResult, inversion: images, shadowModels: scored.shadowModels)
    }

    /// Membership scores of the candidates in `shard`'s block, per attack (in ``attacks``
    /// order). Candidates are the members then the non-members (global index `i < members`
    /// is member `i`, the rest non-member `i − members`). Shadow models are always trained on
    /// all candidates from ``seed`` (every shard trains the same pool, so a candidate's score
    /// does not depend on its shard); only the target's statistics and the scores are limited
    /// to the block.
    func score(_ model: any DifferentiableClassifier, members: (Tensor, [Int]), nonMembers: (Tensor, [Int]),
               shadowTrainer: ShadowTrainer?, shard: Shard,
               progress: (String) -> Void) throws(PrivacyError) -> (scores: [[Double]], seconds: [Double], shadowModels: Int) {
        let (mx, my) = members, (nx, ny) = nonMembers
        guard my.count >= 2, ny.count >= 2 else {
            throw PrivacyError(parameter: "members", message: "need at least two members and two non-members")
        }
        for (x, y, name) in [(mx, my, "members"), (nx, ny, "non-members")] {
            guard x.shape.first == y.count, Array(x.shape.dropFirst()) == model.inputShape else {
                throw PrivacyError(parameter: name, message: "expected \(y.count)×\(model.inputShape) inputs, got \(x.shape)")
            }
            if let bad = y.first(where: { $0 < 0 || $0 >= model.classCount }) {
                throw PrivacyError(parameter: name, message: "label \(bad) outside 0..<\(model.classCount)")
            }
        }
        guard !attacks.isEmpty else { throw PrivacyError(parameter: "attack", message: "no attack selected") }
        let total = my.count + ny.count
        let block = shard.range(of: total)
        let memberRows = block.clamped(to: 0..<my.count)
        let nonMemberRows = (block.lowerBound - my.count)..<(block.upperBound - my.count)
        let nonMemberBlock = nonMemberRows.clamped(to: 0..<ny.count)
        let mine = ExampleStatistics.of(model, inputs: mx.rows(memberRows), labels: Array(my[memberRows]))
            + ExampleStatistics.of(model, inputs: nx.rows(nonMemberBlock), labels: Array(ny[nonMemberBlock]))
        var pool: ShadowPool?
        if attacks.contains(where: \.needsShadowModels) {
            guard let shadowTrainer else {
                throw PrivacyError(parameter: "attack", message: "shadow and LiRA attacks need a shadow-model trainer")
            }
            progress("training \(shadowModels) shadow models")
            let candidates = Tensor.concatenateRows([mx, nx])
            pool = try ShadowPool(candidates: candidates, labels: my + ny, count: shadowModels, seed: seed, trainer: shadowTrainer) { k in
                progress("shadow model \(k)/\(shadowModels)")
            }
        }
        // The pool-based scorers read pool row i for target row i: place the block's statistics
        // at their global indices; the placeholders elsewhere are scored and dropped.
        var aligned: [ExampleStatistics] {
            let filler = ExampleStatistics(logits: [Double](repeating: 0, count: max(model.classCount, 1)), label: 0)
            var all = [ExampleStatistics](repeating: filler, count: total)
            all.replaceSubrange(block, with: mine)
            return all
        }
        var scores: [[Double]] = [], seconds: [Double] = []
        for attack in attacks {
            let start = Date()
            let raw: [Double]
            switch attack {
            case .loss: raw = ThresholdAttack.lossScores(mine)
            case .confidence: raw = ThresholdAttack.confidenceScores(mine)
            case .shadow: raw = pool.map { ShadowModelAttack.scores(target: mine, pool: $0) } ?? []
            case .liraOnline: raw = pool.map { Array(LiRA.onlineScores(target: aligned, pool: $0)[block]) } ?? []
            case .liraOffline: raw = pool.map { Array(LiRA.offlineScores(target: aligned, pool: $0)[block]) } ?? []
            }
            scores.append(raw.map { $0.isFinite ? $0 : ($0 > 0 ? 1e300 : -1e300) })
            seconds.append(Date().timeIntervalSince(start))
        }
        return (scores, seconds, pool?.count ?? 0)
    }

    /// Attribute inference and model inversion, when asked for (they read the whole data set;
    /// a sharded audit runs them in shard 1).
    func extras(_ model: any DifferentiableClassifier, members: (Tensor, [Int]), nonMembers: (Tensor, [Int]),
                progress: (String) -> Void) throws(PrivacyError) -> (AttributeInferenceResult?, [InversionImage]?) {
        var attributeResult: AttributeInferenceResult?
        if let attribute {
            progress("attribute inference")
            attributeResult = try AttributeInference.run(model, members: members, nonMembers: nonMembers,
                                                         featureIndex: attribute.featureIndex, candidates: attribute.candidates)
        }
        var images: [InversionImage]?
        if let inversionClasses {
            progress("model inversion")
            images = try ModelInversion.reconstruct(model, classes: inversionClasses, steps: inversionSteps, references: members)
        }
        return (attributeResult, images)
    }

    /// The audit's result from every candidate's scores (per attack, members first): ROC
    /// metrics and the ε lower bound of each attack are computed here only, so a merge of
    /// shards computes what one run computes.
    func measure(scores: [[Double]], seconds: [Double], members: Int, nonMembers: Int,
                 attributeInference: AttributeInferenceResult?, inversion: [InversionImage]?,
                 shadowModels trained: Int) throws(PrivacyError) -> PrivacyAuditResult {
        var results: [MembershipAttackResult] = []
        for (k, attack) in attacks.enumerated() {
            let start = Date()
            let clean = scores[k]
            let m = Array(clean[..<min(members, clean.count)]), n = Array(clean[min(members, clean.count)...])
            results.append(MembershipAttackResult(
                attack: attack, metrics: try MembershipMetrics(memberScores: m, nonMemberScores: n),
                empiricalEpsilon: try EmpiricalEpsilon(memberScores: m, nonMemberScores: n, delta: delta, confidence: confidence, seed: seed),
                seconds: seconds[k] + Date().timeIntervalSince(start)))
        }
        return PrivacyAuditResult(members: members, nonMembers: nonMembers, attacks: results, attributeInference: attributeInference,
                                  inversion: inversion, shadowModels: trained, seed: seed,
                                  claimedEpsilon: claimedEpsilon, delta: delta)
    }
}
