public import Foundation

/// Renders findings as SARIF 2.1.0, so code-scanning UIs can show them.
///
/// Each distinct technique becomes a rule (id = finding id prefix, help = its ATLAS page);
/// severities map to SARIF levels (`critical`/`high` → error, `medium` → warning, else note).
public enum SARIF {
    /// The SARIF log as a JSON-encodable value.
    public static func log(_ report: Report) -> [String: Any] {
        var rules: [[String: Any]] = []
        var ruleIndex: [String: Int] = [:]
        var results: [[String: Any]] = []
        for f in report.sortedFindings {
            let ruleID = "\(f.threat.rawValue)/\(f.atlasID)/\(f.technique)"
            if ruleIndex[ruleID] == nil {
                ruleIndex[ruleID] = rules.count
                rules.append([
                    "id": ruleID,
                    "name": f.technique.filter { $0.isLetter || $0.isNumber },
                    "shortDescription": ["text": "\(f.technique) (\(ATLAS.name(of: f.atlasID)))"],
                    "fullDescription": ["text": "\(ATLAS.name(of: f.atlasID)); OWASP \(f.owaspID) \(OWASPML.name(of: f.owaspID))"],
                    "helpUri": ATLAS.url(of: f.atlasID),
                    "properties": ["tags": [f.threat.rawValue, f.atlasID, f.owaspID]],
                ])
            }
            var message = f.title + ". " + f.detail
            switch f.reliability {
            case .reliable: break
            case .unreliable(let reasons): message += " UNRELIABLE: " + reasons.joined(separator: "; ")
            case .notChecked(let reason): message += " NOT CHECKED: " + reason
            }
            var result: [String: Any] = [
                "ruleId": ruleID,
                "ruleIndex": ruleIndex[ruleID] ?? 0,
                "level": level(f.severity),
                "message": ["text": message],
                "properties": [
                    "findingId": f.id, "severity": f.severity.rawValue, "reproduce": f.reproduce,
                    "metrics": Dictionary(f.metrics.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a }),
                ] as [String: Any],
            ]
            if let a = f.artifact {
                result["locations"] = [["physicalLocation": ["artifactLocation": ["uri": uri(a)]]]]
            }
            results.append(result)
        }
        return [
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [[
                "tool": ["driver": [
                    "name": "bulwark", "version": report.toolVersion, "semanticVersion": report.toolVersion,
                    "informationUri": "https://atlas.mitre.org/", "rules": rules,
                ] as [String: Any]],
                "invocations": [["commandLine": report.command, "executionSuccessful": true]],
                "results": results,
            ] as [String: Any]],
        ]
    }

    /// SARIF JSON bytes.
    public static func render(_ report: Report) throws -> Data {
        try JSONSerialization.data(withJSONObject: log(report), options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    }

    static func level(_ s: Severity) -> String {
        switch s {
        case .critical, .high: "error"
        case .medium: "warning"
        case .low, .info: "note"
        }
    }

    /// A relative path stays relative (as SARIF prefers); percent-encodes what a URI cannot hold.
    static func uri(_ path: String) -> String {
        path.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? path
    }
}
