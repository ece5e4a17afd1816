/// The threat a finding belongs to (ARCHITECTURE.md's threat modules).
public enum Threat: String, Codable, Sendable, CaseIterable {
    /// Inputs crafted to be misclassified at inference time (BulwarkEvasion).
    case evasion
    /// Training data or training-time manipulation: backdoors, label flips.
    case poisoning
    /// Stealing a model's behaviour or parameters through its queries.
    case extraction
    /// Leaking training data: membership and attribute inference, model inversion, DP claims.
    case privacy
    /// The artifacts themselves: unsafe model files, signatures, the ML-BOM (BulwarkSupplyChain).
    case supplyChain = "supply-chain"
}

/// How bad a finding is. Ordered: `info < low < medium < high < critical`.
public enum Severity: String, Codable, Sendable, Comparable, CaseIterable {
    /// Context rather than a weakness (a measurement, a check that passed).
    case info
    /// A minor weakness.
    case low
    /// A weakness worth fixing.
    case medium
    /// A serious weakness; fix it before the model is deployed.
    case high
    /// Exploitable as it stands (e.g. a model file that runs code when loaded).
    case critical

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

    /// A metric named `name` (machine name) with `value` in `unit` (empty when unitless).
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
    /// The threat module the finding comes from.
    public var threat: Threat
    /// Technique, e.g. `PGD (L∞)`.
    public var technique: String
    /// MITRE ATLAS technique id, e.g. `AML.T0043`.
    public var atlasID: String
    /// OWASP Machine Learning Security Top 10 id, e.g. `ML01:2023`.
    public var owaspID: String
    /// How bad it is; reports sort and gate on it.
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
    /// Whether the metrics can be relied on; renderers show the reasons when they cannot.
    public var reliability: Reliability

    /// A finding; `reliability` defaults to `.reliable`, as for figures that need no sanity check.
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
