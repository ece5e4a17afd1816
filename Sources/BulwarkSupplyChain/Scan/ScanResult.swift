/// Severity of a scan finding.
public enum ScanSeverity: String, Sendable, Codable, Comparable {
    /// A note: it does not change the verdict.
    case low
    /// Makes the file suspicious.
    case medium
    /// Makes the file suspicious; also given to files that cannot be read.
    case high
    /// Makes the file malicious (code runs when the file is loaded).
    case critical
    private var rank: Int { switch self { case .low: 0; case .medium: 1; case .high: 2; case .critical: 3 } }
    /// Orders by rank.
    public static func < (a: ScanSeverity, b: ScanSeverity) -> Bool { a.rank < b.rank }
}

/// The verdict for one file. `clean` is given only when the whole file was analysed and
/// nothing unknown or dangerous was seen; `unsupported` (with its reason) never counts as clean.
public enum ScanVerdict: String, Sendable, Codable {
    /// At least one critical finding.
    case malicious
    /// At least one medium or high finding, none critical.
    case suspicious
    /// Analysed whole, with no finding above low.
    case clean
    /// Not analysed whole (an unknown format, an entry that could not be opened); ``ScannedFile/reason``
    /// says why.
    case unsupported
    /// The file could not be read or is not a regular file.
    case error
}

/// One finding in a file.
public struct ScanFinding: Sendable, Codable, Equatable {
    /// Severity: critical → malicious verdict; medium/high → suspicious.
    public var severity: ScanSeverity
    /// Rule id, e.g. `pickle.dangerous-callable`.
    public var rule: String
    /// One-line detail naming the callable / entry / field.
    public var detail: String
    /// Byte offset within the file or the named archive entry, when known.
    public var offset: Int?
    /// The policy line or built-in check behind the finding (`bulwark scan --explain`).
    public var explanation: String?
    /// Creates a finding.
    public init(severity: ScanSeverity, rule: String, detail: String, offset: Int?, explanation: String? = nil) {
        self.severity = severity; self.rule = rule; self.detail = detail; self.offset = offset; self.explanation = explanation
    }
}

/// The result for one file.
public struct ScannedFile: Sendable, Codable, Equatable {
    /// Path as given or found.
    public var path: String
    /// Detected format (by content), e.g. `pickle`, `pytorch-zip`, `safetensors`.
    public var format: String
    /// The verdict.
    public var verdict: ScanVerdict
    /// Findings, most severe first.
    public var findings: [ScanFinding]
    /// Why the file is `unsupported` or an `error` (nil for the other verdicts).
    public var reason: String?

    /// Creates a result.
    public init(path: String, format: String, verdict: ScanVerdict, findings: [ScanFinding], reason: String? = nil) {
        self.path = path; self.format = format; self.verdict = verdict; self.findings = findings; self.reason = reason
    }
}
