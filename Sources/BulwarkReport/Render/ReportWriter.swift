public import Foundation

/// Errors writing a report.
public struct ReportError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// Writes `index.html`, `report.json` and `report.sarif` into a directory.
public enum ReportWriter {
    /// The JSON form of a report (sorted keys, pretty-printed).
    public static func json(_ report: Report) throws -> Data {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try e.encode(report)
    }

    /// Writes the three files, each atomically (a failure never leaves a half-written file).
    /// - Returns: the paths written.
    @discardableResult
    public static func write(_ report: Report, to directory: URL) throws -> [URL] {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw ReportError(message: "cannot create report directory \(directory.path): \(error.localizedDescription)")
        }
        let files: [(String, Data)] = [
            ("index.html", Data(HTML.render(report).utf8)),
            ("report.json", try json(report)),
            ("report.sarif", try SARIF.render(report)),
        ]
        var written: [URL] = []
        for (name, data) in files {
            let url = directory.appendingPathComponent(name)
            do { try data.write(to: url, options: .atomic) } catch {
                throw ReportError(message: "cannot write \(url.path): \(error.localizedDescription)")
            }
            written.append(url)
        }
        return written
    }
}
