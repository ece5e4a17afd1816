public import Foundation

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
            throw ReportError(.io, "cannot create report directory \(directory.path): \(error.localizedDescription)", underlying: error)
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
                throw ReportError(.io, "cannot write \(url.path): \(error.localizedDescription)", underlying: error)
            }
            written.append(url)
        }
        return written
    }

    /// Writes `value` as pretty-printed JSON (sorted keys) to `url`, atomically.
    /// - Throws: ``ReportError`` naming the file.
    public static func writeJSON<T: Encodable>(_ value: T, to url: URL) throws(ReportError) {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        let data: Data
        do { data = try e.encode(value) } catch { throw ReportError(.failed, "cannot encode \(url.lastPathComponent): \(error)", underlying: error) }
        do { try data.write(to: url, options: .atomic) } catch {
            throw ReportError(.io, "cannot write \(url.path): \(error.localizedDescription)", underlying: error)
        }
    }

    /// Writes the report's three files and, beside them, the threat module's own result as
    /// `resultName` (e.g. `evaluation.json`), the result first.
    /// - Returns: the paths written, the result's first.
    @discardableResult
    public static func write<T: Encodable>(_ report: Report, result: T, resultName: String, to directory: URL) throws -> [URL] {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw ReportError(.io, "cannot create report directory \(directory.path): \(error.localizedDescription)", underlying: error)
        }
        let url = directory.appendingPathComponent(resultName)
        try writeJSON(result, to: url)
        return [url] + (try write(report, to: directory))
    }
}
