public import Foundation

/// The outcome of every gate a version met when it was submitted to leave `draft`.
///
/// Stored with the version (``ModelVersion/gateReport``) whether the gates passed or not, so a
/// refused submission can be inspected later.
public struct GateReport: Sendable, Hashable, Codable {
    /// The scan gate: `bulwark scan` on the artifact.
    public struct Scan: Sendable, Hashable, Codable {
        /// The scanner's verdict (`clean`, `suspicious`, `malicious`, `unsupported`, `error`).
        public let verdict: String
        /// The detected format (`safetensors`, `pickle`, …).
        public let format: String
        /// Why the file is unsupported or unreadable, if so.
        public let reason: String?
        /// The findings, one line each (`severity rule: detail`), most severe first.
        public let findings: [String]
        /// Whether the gate passed (clean, or unsupported with a valid override).
        public let passed: Bool
        /// Whether it passed only because of an admin's override.
        public let overridden: Bool
    }

    /// The signature gate: an OpenSSF Model Signing bundle checked against registered keys.
    public struct Signature: Sendable, Hashable, Codable {
        /// Whether a bundle verified against a key of the uploader or their team.
        public let passed: Bool
        /// The publisher whose key verified it (`user:ID`, `team:NAME`), when it passed.
        public let publisher: String?
        /// The verifier's description of the signer, when it passed.
        public let signer: String?
        /// Why it failed, one line, when it did.
        public let detail: String?
    }

    /// The optional attestation gate: a Bulwark assessment attestation over the artifact.
    public struct Attestation: Sendable, Hashable, Codable {
        /// Whether it verified against a key of the uploader or their team and matches the artifact.
        public let passed: Bool
        /// Who signed it, when it verified.
        public let signer: String?
        /// The attested report's SHA-256, when it verified.
        public let reportSHA256: String?
        /// The attested report's title, when it verified.
        public let reportTitle: String?
        /// The attested findings count by severity, when it verified.
        public let findingsBySeverity: [String: Int]
        /// Why it failed, one line, when it did.
        public let detail: String?
    }

    /// The scan gate's outcome.
    public let scan: Scan
    /// The signature gate's outcome.
    public let signature: Signature
    /// The attestation gate's outcome, or `nil` when none was uploaded.
    public let attestation: Attestation?
    /// When the gates ran.
    public let checkedAt: Date

    /// Whether every gate passed (a missing attestation does not fail).
    public var passed: Bool { scan.passed && signature.passed && (attestation?.passed ?? true) }

    /// The failed gates, one short phrase each, for messages.
    public var failures: [String] {
        var out: [String] = []
        if !scan.passed { out.append("scan \(scan.verdict)" + (scan.reason.map { " (\($0))" } ?? "")) }
        if !signature.passed { out.append("signature: \(signature.detail ?? "not verified")") }
        if let attestation, !attestation.passed { out.append("attestation: \(attestation.detail ?? "not verified")") }
        return out
    }
}
