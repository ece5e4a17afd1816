public import BulwarkPrivacy

/// The machine-readable summary of a privacy audit — what `bulwark privacy audit --json`
/// prints: one row per membership attack (AUC, TPR at 0.1 % and 1 % FPR, advantage, the ε lower
/// bound), the claim check, and attribute inference and inversion when they ran.
public struct PrivacyAuditSummary: Codable, Sendable, Equatable {
    /// One membership attack.
    public struct Attack: Codable, Sendable, Equatable {
        /// Attack name (`loss`, `lira-online`, …).
        public var attack: String
        /// Area under the ROC curve.
        public var auc: Double
        /// True-positive rate at 0.1 % and at 1 % false-positive rate.
        public var tprAtFPR0_1: Double, tprAtFPR1: Double
        /// max(TPR − FPR).
        public var advantage: Double
        /// Empirical ε lower bound at the audit's δ and confidence.
        public var epsilonLowerBound: Double
        /// Wall seconds of the attack.
        public var seconds: Double

        enum CodingKeys: String, CodingKey {
            case attack, auc, advantage, seconds
            case tprAtFPR0_1 = "tpr_at_fpr_0.1%", tprAtFPR1 = "tpr_at_fpr_1%", epsilonLowerBound = "epsilon_lower_bound"
        }
    }

    /// Attribute inference.
    public struct Attribute: Codable, Sendable, Equatable {
        /// Index of the hidden feature in the flattened input.
        public var feature: Int
        /// Inference accuracy on members, on non-members, and of the majority-value baseline.
        public var memberAccuracy: Double, nonMemberAccuracy: Double, baselineAccuracy: Double
        /// Member accuracy − non-member accuracy.
        public var advantage: Double

        enum CodingKeys: String, CodingKey {
            case feature, advantage
            case memberAccuracy = "member_accuracy", nonMemberAccuracy = "non_member_accuracy", baselineAccuracy = "baseline_accuracy"
        }
    }

    /// One model-inversion reconstruction.
    public struct Inversion: Codable, Sendable, Equatable {
        /// The class reconstructed.
        public var classIndex: Int
        /// The model's probability of that class on the reconstruction.
        public var confidence: Double
        /// Cosine similarity to the class's member mean (0 when not computed).
        public var similarityToMemberMean: Double

        enum CodingKeys: String, CodingKey { case confidence, classIndex = "class", similarityToMemberMean = "similarity_to_member_mean" }
    }

    /// Members and non-members attacked.
    public var members: Int, nonMembers: Int
    /// One row per membership attack.
    public var attacks: [Attack]
    /// Shadow models trained (0 without shadow or LiRA attacks).
    public var shadowModels: Int
    /// The audit's seed.
    public var seed: UInt64
    /// δ of the ε lower bounds.
    public var delta: Double
    /// Wall seconds of the whole audit.
    public var seconds: Double
    /// Confidence of the ε lower bounds (Clopper–Pearson).
    public var confidence: Double
    /// An attack's ε lower bound exceeds the ε the model claims.
    public var claimContradicted: Bool
    /// The ε the model's metadata claims (only for secure-noise DP training).
    public var claimedEpsilon: Double?
    /// Attribute inference, when it ran.
    public var attributeInference: Attribute?
    /// Model inversion, when it ran.
    public var inversion: [Inversion]?
    /// The report directory, when one was written.
    public var out: String?

    enum CodingKeys: String, CodingKey {
        case members, attacks, seed, delta, seconds, confidence, inversion, out
        case nonMembers = "non_members", shadowModels = "shadow_models", claimContradicted = "claim_contradicted"
        case claimedEpsilon = "claimed_epsilon", attributeInference = "attribute_inference"
    }

    /// The summary of `result`, audited at `confidence` in `seconds`, with its report in `out`.
    public init(_ result: PrivacyAuditResult, confidence: Double = 0.95, seconds: Double, out: String?) {
        members = result.members
        nonMembers = result.nonMembers
        attacks = result.attacks.map { a in
            Attack(attack: a.attack.rawValue, auc: a.metrics.auc, tprAtFPR0_1: a.metrics.tprAtFPR0_1Percent,
                   tprAtFPR1: a.metrics.tprAtFPR1Percent, advantage: a.metrics.advantage,
                   epsilonLowerBound: a.empiricalEpsilon.epsilonLowerBound, seconds: a.seconds)
        }
        shadowModels = result.shadowModels
        seed = result.seed
        delta = result.delta
        self.seconds = seconds
        self.confidence = confidence
        claimContradicted = result.contradictsClaim
        claimedEpsilon = result.claimedEpsilon
        attributeInference = result.attributeInference.map {
            Attribute(feature: $0.featureIndex, memberAccuracy: $0.memberAccuracy, nonMemberAccuracy: $0.nonMemberAccuracy,
                      baselineAccuracy: $0.baselineAccuracy, advantage: $0.advantage)
        }
        inversion = result.inversion?.map {
            Inversion(classIndex: $0.classIndex, confidence: $0.confidence, similarityToMemberMean: $0.similarityToClassMean ?? 0)
        }
        self.out = out
    }
}
