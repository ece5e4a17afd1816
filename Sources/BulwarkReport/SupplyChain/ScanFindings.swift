public import Foundation
public import BulwarkSupplyChain

/// Turns artifact-scanner results (``ScannedFile``) into findings and a report section.
///
/// One finding per file, tagged ATLAS `AML.T0010.003` (ML supply chain compromise: model) or,
/// when the scanner saw code execution, `AML.T0011.000` (unsafe ML artifacts), and OWASP ML06:2023.
/// Verdicts map to severities: malicious → critical, suspicious → high, error → high (the file
/// could not be read, so nothing is known), unsupported → medium (not analysed — never reported
/// as clean), clean → info (the scanner analysed the whole file and saw nothing dangerous; that
/// is not proof the weights are benign).
public enum ScanFindings {
    /// Severity of a verdict.
    public static func severity(_ verdict: ScanVerdict) -> Severity {
        switch verdict {
        case .malicious: .critical
        case .suspicious, .error: .high
        case .unsupported: .medium
        case .clean: .info
        }
    }

    /// One finding per file.
    public static func findings(_ files: [ScannedFile], reproduce: String) -> [Finding] {
        files.enumerated().map { k, f in
            let file = f.path.split(separator: "/").last.map(String.init) ?? f.path
            let title: String
            let detail: String
            switch f.verdict {
            case .clean:
                title = "Scanned \(file) (\(f.format)): no code-execution payload found"
                detail = "The static scanner parsed the whole file and found nothing that runs code on load. "
                    + "This says nothing about the weights themselves (a backdoor or poisoned model scans clean)."
            case .malicious:
                title = "\(file) (\(f.format)) carries a code-execution payload"
                detail = "Loading this file can run an attacker's code. Do not load it; find out where it came from."
            case .suspicious:
                title = "\(file) (\(f.format)) is suspicious"
                detail = "The scanner saw constructs it cannot prove safe. Do not load the file before reviewing the findings."
            case .unsupported:
                title = "\(file) (\(f.format)) could not be analysed"
                detail = "The scanner does not analyse this format, so nothing is known about it; it was not loaded."
            case .error:
                title = "\(file) could not be scanned"
                detail = "The scanner could not read or parse the file; it was not loaded."
            }
            let listed = f.findings.prefix(10).map { "\($0.severity.rawValue) \($0.rule): \($0.detail)" + ($0.offset.map { " @\($0)" } ?? "") }
            let more = f.findings.count > 10 ? ["… \(f.findings.count - 10) more"] : []
            let executes = f.findings.contains { $0.severity == .critical }
            return Finding(
                id: "supply-chain.scan.\(k)", threat: .supplyChain,
                technique: "Static artifact scan (\(f.format))",
                atlasID: executes ? ATLAS.unsafeMLArtifacts : ATLAS.supplyChainModel, owaspID: OWASPML.supplyChain,
                severity: severity(f.verdict), title: title,
                detail: ([detail] + listed + more).joined(separator: " "),
                metrics: [Metric("verdict_\(f.verdict.rawValue)", 1), Metric("scanner_findings", Double(f.findings.count))],
                artifact: f.path, reproduce: reproduce)
        }
    }

    /// A section with one row per file and one per scanner finding.
    public static func section(_ files: [ScannedFile]) -> Section {
        let rows = files.map { [$0.path, $0.format, $0.verdict.rawValue, String($0.findings.count)] }
        var tables = [Table(title: "Artifacts scanned", columns: ["file", "format", "verdict", "findings"], rows: rows)]
        let details = files.flatMap { f in
            f.findings.map { [f.path, $0.severity.rawValue, $0.rule, $0.detail, $0.offset.map(String.init) ?? ""] }
        }
        if !details.isEmpty {
            tables.append(Table(title: "Scanner findings", columns: ["file", "severity", "rule", "detail", "offset"], rows: details))
        }
        return Section(title: "Supply chain (artifact scan before loading)",
                       text: "Every model file is scanned statically before it is loaded; only a clean verdict lets the assessment load it. "
                           + "Unsupported or unreadable files are reported, never treated as clean.",
                       tables: tables)
    }
}

extension SARIF {
    /// The SARIF log of an artifact scan: one result per scanner finding, with its byte offset
    /// as a region, plus one `scan.unsupported` / `scan.error` result per file that was not
    /// analysed, so a code-scanning UI never shows such a file as clean. Rule ids are the
    /// scanner's own (`pickle.dangerous-callable`, …), stable across options.
    ///
    /// ```swift
    /// let files = await ArtifactScanner().scan(paths: ["models"], jobs: 4)
    /// let data = try SARIF.render(SARIF.log(scannedFiles: files, toolVersion: BulwarkVersion.current, commandLine: "bulwark scan models"))
    /// ```
    public static func log(scannedFiles files: [ScannedFile], toolVersion: String, commandLine: String,
                           workingDirectory: String = FileManager.default.currentDirectoryPath) -> SarifLog {
        var entries: [(rule: String, level: String, text: String, path: String, offset: Int?, severity: String)] = []
        for f in files {
            for x in f.findings {
                let level = switch x.severity { case .critical, .high: "error"; case .medium: "warning"; case .low: "note" }
                entries.append((x.rule, level, x.detail, f.path, x.offset.flatMap { $0 >= 0 ? $0 : nil }, x.severity.rawValue))
            }
            if f.verdict == .unsupported || f.verdict == .error {
                entries.append(("scan.\(f.verdict.rawValue)", "warning",
                                "\(f.format): not analysed (\(f.verdict.rawValue)\(f.reason.map { ": " + $0 } ?? ""))", f.path, nil, "medium"))
            }
        }
        let ids = Set(entries.map(\.rule)).sorted()
        let index = Dictionary(uniqueKeysWithValues: ids.enumerated().map { ($1, $0) })
        let results = entries.map { e in
            SarifLog.Result(ruleId: e.rule, ruleIndex: index[e.rule] ?? 0, level: e.level, message: .init(text: e.text),
                            locations: [location(e.path, workingDirectory: workingDirectory, byteOffset: e.offset)],
                            properties: .init(severity: e.severity))
        }
        let rules = ids.map { SarifLog.Rule(id: $0, shortDescription: .init(text: $0), properties: .init(tags: [Threat.supplyChain.rawValue])) }
        return SarifLog(runs: [SarifLog.Run(
            tool: .init(driver: .init(name: "bulwark", version: toolVersion, semanticVersion: toolVersion,
                                      informationUri: "https://atlas.mitre.org/techniques/AML.T0010", rules: rules)),
            invocations: [.init(commandLine: commandLine, executionSuccessful: true)],
            originalUriBaseIds: baseIDs(workingDirectory), results: results)])
    }
}
