import BulwarkAccess
import BulwarkRegistry
import Foundation
import Hummingbird
import HTTPTypes
import Mustache
import NIOCore

/// The values the web UI's templates render: plain structs of strings, numbers, booleans and
/// arrays, read by Mustache through reflection. Every string is escaped by the template.
enum WebUIViews {
    /// The page frame: title, the signed-in user, the highlighted menu entry, a notice or error.
    struct Frame {
        struct User {
            var name: String
            var mfa: Bool
            var csrf: String
        }

        var title: String
        var user: User?
        var navModels = false
        var navApprovals = false
        var navAudit = false
        var navMonitoring = false
        var notice: String?
        var error: String?

        init(title: String, session: WebUISession?, section: Section? = nil, notice: String? = nil, error: String? = nil) {
            self.title = title
            self.user = session.map { User(name: $0.principal.id, mfa: $0.principal.mfaVerifiedAt != nil, csrf: $0.csrf) }
            navModels = section == .models
            navApprovals = section == .approvals
            navAudit = section == .audit
            navMonitoring = section == .monitoring
            self.notice = notice
            self.error = error
        }
    }

    /// The menu entries.
    enum Section { case models, approvals, audit, monitoring }

    struct Login { var frame: Frame; var csrf: String; var username: String }
    struct SecondFactor { var frame: Frame; var csrf: String; var pending: String }
    struct Message { var frame: Frame; var text: String; var backLink: String; var backLabel: String }

    struct ModelRow {
        var name: String, link: String, team: String, riskTier: String, dataClassification: String, versionCount: Int, production: String
    }
    struct Models { var frame: Frame; var models: [ModelRow]; var hasModels: Bool }

    struct VersionRow {
        var number: Int, link: String, state: String, gates: String, gatesClass: String, uploader: String, filename: String, createdAt: String
    }
    struct Model {
        var frame: Frame
        var team: String, riskTier: String, dataClassification: String, createdBy: String, createdAt: String
        var versions: [VersionRow]
        var hasVersions: Bool
    }

    struct Gates {
        var scanVerdict: String, scanClass: String, scanFormat: String, scanReason: String?, scanOverridden: Bool
        var signatureOutcome: String, signatureClass: String, signatureDetail: String
        var attestationOutcome: String, attestationClass: String, attestationDetail: String
        var findings: [String]
        var hasFindings: Bool
        var checkedAt: String
    }
    struct Override { var by: String; var reason: String; var at: String }
    struct ApprovalRow { var approver: String; var at: String }
    struct HistoryRow { var at: String; var from: String; var to: String; var actor: String; var reason: String }
    struct Version {
        var frame: Frame
        var csrf: String
        var model: String, modelLink: String
        var state: String, revocationReason: String?
        var sha256: String, filename: String, size: Int64, uploader: String, uploaderTeam: String?, createdAt: String
        var gates: Gates?
        var override: Override?
        var datasetDigest: String?, trainingCommand: String?, parentVersion: Int?, parentLink: String?
        var approvals: [ApprovalRow]
        var hasApprovals: Bool
        var history: [HistoryRow]
        var canDecide: Bool, canApprove: Bool, canPromote: Bool, actionBase: String
    }

    struct QueueRow {
        var model: String, number: Int, link: String, uploader: String, gates: String, gatesClass: String, approvers: String
        var canApprove: Bool, canPromote: Bool, actionBase: String
    }
    struct Approvals { var frame: Frame; var csrf: String; var rows: [QueueRow]; var hasRows: Bool }

    struct EntryRow {
        var index: UInt64, time: String, actor: String, action: String, resource: String, outcome: String, rule: String, details: String
        var proofLink: String?
    }
    struct Audit {
        var frame: Frame
        var first: UInt64, last: UInt64, size: UInt64
        var olderLink: String?, newerLink: String?
        var entries: [EntryRow]
        var hasEntries: Bool
        var checkpoint: String?
    }
    struct AuditEntry {
        var frame: Frame
        var backLink: String
        var verdict: String, verdictClass: String
        var index: UInt64, actor: String, action: String, resource: String, outcome: String, time: String
        var leafHash: String, size: UInt64, rootHash: String, signature: String
        var proof: [String]
        var checkpoint: String
        var proofAPILink: String
    }

    /// `date` as ISO 8601 in UTC, to the second.
    static func time(_ date: Date) -> String {
        date.formatted(.iso8601)
    }

    /// The one-word summary of a version's gates and its CSS class.
    static func gateSummary(_ report: GateReport?) -> (String, String) {
        guard let report else { return ("not run", "none") }
        return report.passed ? ("passed", "pass") : ("failed", "fail")
    }

    /// The gates table of a report.
    static func gates(_ report: GateReport) -> Gates {
        let scan = report.scan
        let signature = report.signature
        let attestation = report.attestation
        let attestationDetail: String
        if let attestation {
            if attestation.passed {
                let counts = attestation.findingsBySeverity.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
                attestationDetail = "signed by \(attestation.signer ?? "?"): \(attestation.reportTitle ?? "report")"
                    + (counts.isEmpty ? "" : "; findings: \(counts)")
            } else {
                attestationDetail = attestation.detail ?? "not verified"
            }
        } else {
            attestationDetail = "none uploaded (optional)"
        }
        return Gates(
            scanVerdict: scan.verdict, scanClass: scan.passed ? "pass" : "fail", scanFormat: scan.format, scanReason: scan.reason,
            scanOverridden: scan.overridden,
            signatureOutcome: signature.passed ? "verified" : "not verified", signatureClass: signature.passed ? "pass" : "fail",
            signatureDetail: signature.passed ? "by \(signature.publisher ?? "?")" + (signature.signer.map { " (\($0))" } ?? "") : (signature.detail ?? ""),
            attestationOutcome: attestation.map { $0.passed ? "verified" : "not verified" } ?? "none",
            attestationClass: attestation.map { $0.passed ? "pass" : "fail" } ?? "none",
            attestationDetail: attestationDetail,
            findings: scan.findings, hasFindings: !scan.findings.isEmpty, checkedAt: time(report.checkedAt))
    }

    /// The UI path of a model, a version or the approve and promote actions.
    static func modelPath(_ model: String) -> String { "/ui/models/" + pathSegment(model) }
    static func versionPath(_ model: String, _ number: Int) -> String { modelPath(model) + "/versions/\(number)" }

    /// `text` percent-encoded for one path segment.
    static func pathSegment(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }

    /// Renders template `name` with `view` as a `text/html` response.
    static func page(_ name: String, _ view: Any, status: HTTPResponse.Status = .ok) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.cacheControl] = "no-store"
        guard let html = WebUITemplates.library.render(view, withTemplate: name) else {
            headers[.contentType] = "text/plain; charset=utf-8"
            return Response(status: .internalServerError, headers: headers, body: .init(byteBuffer: ByteBuffer(string: "internal error\n")))
        }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// A page saying `text` (a refusal, a missing page, an error).
    static func message(title: String, _ text: String, session: WebUISession?, status: HTTPResponse.Status,
                        backLink: String = "/ui/models", backLabel: String = "Back to the models") -> Response {
        page("message", Message(frame: Frame(title: title, session: session), text: text, backLink: backLink, backLabel: backLabel), status: status)
    }

    /// A `303 See Other` to `location`, with extra `Set-Cookie` values.
    static func redirect(_ location: String, cookies: [String] = []) -> Response {
        var headers = HTTPFields()
        headers[.location] = location
        headers[.cacheControl] = "no-store"
        for cookie in cookies { headers.append(HTTPField(name: .setCookie, value: cookie)) }
        return Response(status: .seeOther, headers: headers)
    }
}
