/// One problem ``DataCheck`` found in a dataset: what kind, how serious, which examples, and
/// one line saying so.
public struct ValidationFinding: Codable, Sendable, Equatable {
    /// What was found.
    public enum Kind: String, Codable, Sendable, CaseIterable {
        /// A feature's or channel's histogram moved away from the reference (population
        /// stability index above its threshold).
        case distributionShift = "distribution_shift"
        /// The label distribution differs from the reference (total variation above its
        /// threshold, or a class the reference never had).
        case labelSkew = "label_skew"
        /// Values outside the reference's per-feature min…max.
        case outOfRange = "out_of_range"
        /// Records outside the valid range the check was run with (e.g. [0, 1]).
        case invalidValue = "invalid_value"
        /// Records holding NaN or an infinity.
        case nonFinite = "non_finite"
        /// Identical examples with different labels.
        case conflictingLabels = "conflicting_labels"
        /// Identical examples (every copy after the first is listed).
        case exactDuplicate = "exact_duplicate"
        /// Examples within the near-duplicate threshold of another (the second of each pair is listed).
        case nearDuplicate = "near_duplicate"
        /// The examples do not have the reference's shape; nothing was compared.
        case shapeMismatch = "shape_mismatch"
    }

    /// How serious a finding is; ordered `info < low < medium < high`.
    public enum Severity: String, Codable, Sendable, CaseIterable, Comparable {
        /// Worth knowing; no action expected.
        case info
        /// Worth a look (duplicates, near-duplicates).
        case low
        /// Likely to hurt training or hide poison (moderate shift, skew, values outside the reference).
        case medium
        /// Do not train on this as it is (corrupt records, major shift, a different shape).
        case high

        private var rank: Int { Self.allCases.firstIndex(of: self) ?? 0 }

        /// Whether `lhs` is less serious than `rhs`.
        public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rank < rhs.rank }
    }

    /// What was found.
    public var kind: Kind
    /// How serious it is.
    public var severity: Severity
    /// The affected examples, sorted (empty for findings about features or labels as a whole).
    public var indices: [Int]
    /// The affected features or channels, when the finding is about them.
    public var features: [Int]
    /// The finding's measure (PSI, total variation, count), when it has one.
    public var score: Double?
    /// One line saying what was found.
    public var message: String

    /// Creates a finding.
    public init(kind: Kind, severity: Severity, indices: [Int] = [], features: [Int] = [], score: Double? = nil, message: String) {
        self.kind = kind
        self.severity = severity
        self.indices = indices
        self.features = features
        self.score = score
        self.message = message
    }
}
