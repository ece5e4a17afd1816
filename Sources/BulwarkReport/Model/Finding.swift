/// The threat a finding belongs to (ARCHITECTURE.md's threat modules).
public enum Threat: String, Codable, Sendable, CaseIterable {
    case evasion, poisoning, extraction, privacy, supplyChain = "supply-chain"
}

/// How bad a finding is. Ordered: `info < low < medium < high < critical`.
public enum Severity: String, Codable, Sendable, Comparable, CaseIterable {
    case info, low, medium, high, critical

    var rank: Int { Severity.allCases.firstIndex(of: self) ?? 0 }
    public static func < (a: Severity, b: Severity) -> Bool { a.rank < b.rank }
}

/// Whether a number in a finding can be relied on.
///
/// A robustness figure whose evaluation failed a sanity check (gradient masking, say) is
/// `unreliable` with the checks that failed; renderers must show the reasons instead of
/// presenting the figure as a result. A figure no sanity check looked at is `notChecked`: it is
/// shown, and every rendering says that nothing vouches for it.
public enum Reliability: Codable, Sendable, Equatable {
    /// The checks that ran found nothing wrong (or the figure needs none).
    case reliable
    /// Checks failed; the reasons name them.
    case unreliable(reasons: [String])
    /// The check that would vouch for the figure did not run; the reason says which and why.
    case notChecked(reason: String)

    /// `reliable`, `unreliable` or `not checked`, as the renderings print it.
    public var label: String {
        switch self {
        case .reliable: "reliable"
        case .unreliable: "unreliable"
        case .notChecked: "not checked"
        }
    }
}

/// A measured value with its unit, as shown in reports.
public struct Metric: Codable, Sendable, Equatable {
    /// Machine name, e.g. `robust_accuracy`.
    public var name: String
    /// The value.
    public var value: Double
    /// Unit or scale, e.g. `fraction`, `seconds`, `queries`.
    public var unit: String

    public init(_ name: String, _ value: Double, unit: String = "") {
        self.name = name
        self.value = value
        self.unit = unit
    }
}

/// One result of an assessment: what was tried, what happened, how to reproduce it.
public struct Finding: Codable, Sendable, Equatable, Identifiable {
    /// Stable identifier within a report (e.g. `evasion.pgd.linf.0.1`).
    public var id: String
    public var threat: Threat
    /// Technique, e.g. `PGD (L∞)`.
    public var technique: String
    /// MITRE ATLAS technique id, e.g. `AML.T0043`.
    public var atlasID: String
    /// OWASP Machine Learning Security Top 10 id, e.g. `ML01:2023`.
    public var owaspID: String
    public var severity: Severity
    /// One line.
    public var title: String
    /// A few sentences: what the evidence shows and what to do.
    public var detail: String
    /// Numbers behind the finding.
    public var metrics: [Metric]
    /// The artifact the finding is about (model file, data file), when there is one.
    public var artifact: String?
    /// The command that reproduces the finding.
    public var reproduce: String
    public var reliability: Reliability

    public init(id: String, threat: Threat, technique: String, atlasID: String, owaspID: String, severity: Severity,
                title: String, detail: String, metrics: [Metric] = [], artifact: String? = nil, reproduce: String,
                reliability: Reliability = .reliable) {
        self.id = id
        self.threat = threat
        self.technique = technique
        self.atlasID = atlasID
        self.owaspID = owaspID
        self.severity = severity
        self.title = title
        self.detail = detail
        self.metrics = metrics
        self.artifact = artifact
        self.reproduce = reproduce
        self.reliability = reliability
    }
}
