import ArgumentParser
import BulwarkReport
import Foundation

/// Writes a defences report (`index.html`, `report.json`, `report.sarif`) plus the raw result
/// as JSON, for `bulwark certify --out` and `bulwark defend detect --out`.
enum DefenceReportFiles {
    /// Builds the report from `evidence` and writes it with `json` encoded as `jsonName`.
    static func write<R: Encodable>(_ evidence: DefenceEvidence, title: String, seed: UInt64, parameters: [String: String],
                                    json: R, jsonName: String, to directory: URL) throws -> [URL] {
        var report = Report(title: title, toolVersion: Bulwark.configuration.version, command: evidence.reproduce, seed: seed,
                            parameters: parameters, findings: DefenceFindings.findings(evidence), sections: [DefenceFindings.section(evidence)])
        report.environment["bulwark"] = Bulwark.configuration.version
        do {
            var files = try ReportWriter.write(report, to: directory)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            let url = directory.appendingPathComponent(jsonName)
            try encoder.encode(json).write(to: url, options: .atomic)
            files.insert(url, at: 0)
            return files
        } catch { throw CLIError(String(describing: error)) }
    }
}
