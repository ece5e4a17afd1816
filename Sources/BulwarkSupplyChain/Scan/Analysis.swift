/// What the scanner learnt about one file or archive member: its format, its findings, and
/// the parts it could not analyse (`gaps`). A file with gaps and no finding is `unsupported`,
/// with the gaps as its reason — never `clean`.
struct Analysis: Sendable {
    /// Detected format (by content).
    var format: String
    /// Findings, in the order found.
    var findings: [ScanFinding] = []
    /// One line per part not analysed; empty when the whole file was analysed.
    var gaps: [String] = []

    init(format: String, findings: [ScanFinding] = [], gaps: [String] = []) {
        self.format = format; self.findings = findings; self.gaps = gaps
    }

    /// Wraps an older `(format, findings, complete)` result; `unsupportedReason` is the gap
    /// recorded when it was not complete.
    init(_ tuple: (String, [ScanFinding], Bool), unsupportedReason: String) {
        self.init(format: tuple.0, findings: tuple.1, gaps: tuple.2 ? [] : [unsupportedReason])
    }
}
