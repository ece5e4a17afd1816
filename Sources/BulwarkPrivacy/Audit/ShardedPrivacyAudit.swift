public import BulwarkData
public import BulwarkModels
public import BulwarkTensor

/// The parameters every shard of a privacy audit shares.
public struct AuditPlan: Codable, Sendable, Equatable {
    /// Membership attacks, in order.
    public var attacks: [MembershipAttackKind]
    /// Shadow models per pool.
    public var shadowModels: Int
    /// δ and confidence of the ε lower bound.
    public var delta: Double, confidence: Double
    /// Attribute inference's feature and candidate values (`nil` when not asked for).
    public var attributeFeature: Int?, attributeCandidates: [Float]?
    /// Model-inversion classes (`nil` when not asked for) and steps.
    public var inversionClasses: [Int]?, inversionSteps: Int
    /// The ε the model claims.
    public var claimedEpsilon: Double?
    /// Members and non-members in the whole audit.
    public var members: Int, nonMembers: Int

    /// What differs between two plans, e.g. `"attacks"`, or `nil` when they are equal.
    public func difference(from other: AuditPlan) -> String? {
        if attacks != other.attacks { return "attacks" }
        if shadowModels != other.shadowModels { return "shadow models" }
        if delta != other.delta || confidence != other.confidence { return "delta/confidence" }
        if attributeFeature != other.attributeFeature || attributeCandidates != other.attributeCandidates { return "attribute inference" }
        if inversionClasses != other.inversionClasses || inversionSteps != other.inversionSteps { return "model inversion" }
        if claimedEpsilon != other.claimedEpsilon { return "claimed epsilon" }
        if members != other.members || nonMembers != other.nonMembers { return "members/non-members" }
        return nil
    }
}

/// One shard's part of a privacy audit: every membership attack's scores on the shard's block
/// of candidates (members first, then non-members — see
/// ``PrivacyAudit/run(shard:toolVersion:_:members:nonMembers:shadowTrainer:progress:)``), and in
/// shard 1 the attribute-inference and inversion results, which read the whole data set.
/// ``merge(_:)`` recomputes AUC, TPR at low FPR and the ε lower bound over the union, equal to
/// one run's.
///
/// **Shadow models.** The shadow pool is trained on all candidates, so every shard trains the
/// same pool from the same seed (shadow training is repeated, not split) and scores only its
/// block; scoring the target and measuring are what sharding divides.
public struct PartialPrivacyAudit: Codable, Sendable, Equatable {
    /// The run this is a part of.
    public var run: ShardedRun
    /// The parameters every shard shares.
    public var plan: AuditPlan
    /// Per attack (``AuditPlan/attacks`` order), the scores of the block's candidates.
    public var scores: [[Double]]
    /// Per attack, seconds spent scoring the block.
    public var seconds: [Double]
    /// Shadow models trained.
    public var shadowModels: Int
    /// Attribute inference (shard 1 only).
    public var attributeInference: AttributeInferenceResult?
    /// Model inversion (shard 1 only).
    public var inversion: [InversionImage]?

    /// A part.
    public init(run: ShardedRun, plan: AuditPlan, scores: [[Double]], seconds: [Double], shadowModels: Int,
                attributeInference: AttributeInferenceResult?, inversion: [InversionImage]?) {
        self.run = run
        self.plan = plan
        self.scores = scores
        self.seconds = seconds
        self.shadowModels = shadowModels
        self.attributeInference = attributeInference
        self.inversion = inversion
    }

    /// Combines shards 1…N of one audit into the result one run gives (seconds summed).
    /// - Throws: ``PrivacyError`` in one line naming what differs, or the duplicate or missing shard.
    public static func merge(_ parts: [PartialPrivacyAudit]) throws(PrivacyError) -> PrivacyAuditResult {
        let order: [Int]
        do { order = try ShardedRun.checkComplete(parts.map(\.run)) } catch {
            throw PrivacyError(.invalidParameter, parameter: "parts", message: error.message, underlying: error)
        }
        let first = parts[order[0]]
        for (p, part) in parts.enumerated() {
            if let what = part.plan.difference(from: first.plan) {
                throw PrivacyError(parameter: "parts", message: "merge: part \(p + 1) differs from shard 1 in \(what): they are not shards of one run")
            }
            let expected = part.run.shard.range(of: part.run.examples).count
            guard part.scores.count == part.plan.attacks.count, part.seconds.count == part.plan.attacks.count,
                  part.scores.allSatisfy({ $0.count == expected }), part.run.examples == part.plan.members + part.plan.nonMembers else {
                throw PrivacyError(parameter: "parts", message: "merge: shard \(part.run.shard) holds scores that do not match its block of \(expected) candidates")
            }
        }
        let sorted = order.map { parts[$0] }
        let plan = first.plan
        let audit = PrivacyAudit(plan, seed: first.run.seed)
        let k = plan.attacks.count
        let scores = (0..<k).map { a in sorted.flatMap { $0.scores[a] } }
        let seconds = (0..<k).map { a in sorted.reduce(0) { $0 + $1.seconds[a] } }
        return try audit.measure(scores: scores, seconds: seconds, members: plan.members, nonMembers: plan.nonMembers,
                                 attributeInference: first.attributeInference, inversion: first.inversion,
                                 shadowModels: first.shadowModels)
    }
}

extension PrivacyAudit {
    /// The audit a plan describes.
    init(_ plan: AuditPlan, seed: UInt64) {
        let attribute = plan.attributeFeature.map { ($0, plan.attributeCandidates ?? []) }
        self.init(attacks: plan.attacks, shadowModels: plan.shadowModels, seed: seed, delta: plan.delta, confidence: plan.confidence,
                  attribute: attribute, inversionClasses: plan.inversionClasses, inversionSteps: plan.inversionSteps,
                  claimedEpsilon: plan.claimedEpsilon)
    }

    /// Runs shard `shard` of the audit: `members` and `nonMembers` are the whole sets; the
    /// part holds the scores of the shard's block of candidates, and (shard 1 only) attribute
    /// inference and inversion. Records the digest of members then non-members and `toolVersion`.
    /// - Throws: ``PrivacyError`` as ``run(_:members:nonMembers:shadowTrainer:progress:)``.
    public func run(shard: Shard, toolVersion: String, _ model: any DifferentiableClassifier, members: (Tensor, [Int]),
                    nonMembers: (Tensor, [Int]), shadowTrainer: ShadowTrainer? = nil,
                    progress: (String) -> Void = { _ in }) throws(PrivacyError) -> PartialPrivacyAudit {
        let scored = try score(model, members: members, nonMembers: nonMembers, shadowTrainer: shadowTrainer, shard: shard,
                               progress: progress)
        var (attributeResult, images): (AttributeInferenceResult?, [InversionImage]?) = (nil, nil)
        if shard.index == 1 {
            (attributeResult, images) = try extras(model, members: members, nonMembers: nonMembers, progress: progress)
        }
        let digest = ModelTraining.dataSHA256(inputs: Tensor.concatenateRows([members.0, nonMembers.0]), labels: members.1 + nonMembers.1)
        let total = members.1.count + nonMembers.1.count
        let plan = AuditPlan(attacks: attacks, shadowModels: shadowModels, delta: delta, confidence: confidence,
                             attributeFeature: attribute?.featureIndex, attributeCandidates: attribute?.candidates,
                             inversionClasses: inversionClasses, inversionSteps: inversionSteps, claimedEpsilon: claimedEpsilon,
                             members: members.1.count, nonMembers: nonMembers.1.count)
        return PartialPrivacyAudit(run: ShardedRun(shard: shard, seed: seed, dataDigest: digest, toolVersion: toolVersion, examples: total),
                                   plan: plan, scores: scored.scores, seconds: scored.seconds, shadowModels: scored.shadowModels,
                                   attributeInference: attributeResult, inversion: images)
    }
}
