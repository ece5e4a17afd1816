/// A SARIF 2.1.0 log of a scan: one run, one rule per finding rule id, one result per finding
/// (byte offsets as regions), plus one `scan.unsupported` / `scan.error` result per file that
/// was not analysed, so a code-scanning UI never shows such a file as clean.
///
/// It validates against the OASIS SARIF 2.1.0 JSON schema (tested with the schema fixture).
///
/// ```swift
/// let log = ScanSarifLog(files: await ArtifactScanner().scan(paths: ["models"], jobs: 4))
/// let json = try JSONEncoder().encode(log)
/// ```
public struct ScanSarifLog: Encodable, Sendable {
    /// Always "2.1.0".
    public var version = "2.1.0"
    /// The schema URI written as `$schema`.
    public var schema = "https://json.schemastore.org/sarif-2.1.0.json"
    /// The single run.
    public var runs: [Run]
    enum CodingKeys: String, CodingKey { case version, schema = "$schema", runs }

    /// A SARIF run.
    public struct Run: Encodable, Sendable { var tool: Tool; var results: [Result] }
    struct Tool: Encodable, Sendable { var driver: Driver }
    struct Driver: Encodable, Sendable {
        var name = "bulwark-scan"; var version = "0.1.0"; var informationUri = "https://example.invalid/bulwark"; var rules: [Rule]
    }
    struct Rule: Encodable, Sendable { var id: String; var shortDescription: Message }
    struct Message: Encodable, Sendable { var text: String }
    struct Result: Encodable, Sendable { var ruleId: String; var ruleIndex: Int; var level: String; var message: Message; var locations: [Location] }
    struct Location: Encodable, Sendable { var physicalLocation: Physical }
    struct Physical: Encodable, Sendable { var artifactLocation: Artifact; var region: Region? }
    struct Artifact: Encodable, Sendable { var uri: String }
    struct Region: Encodable, Sendable { var byteOffset: Int }

    /// Builds the log for scanned files.
    public init(files: [ScannedFile]) {
        var entries: [(rule: String, level: String, text: String, path: String, offset: Int?)] = []
        for f in files {
            for x in f.findings {
                let level = switch x.severity { case .critical, .high: "error"; case .medium: "warning"; case .low: "note" }
                entries.append((x.rule, level, x.detail, f.path, x.offset.flatMap { $0 >= 0 ? $0 : nil }))
            }
            if f.verdict == .unsupported || f.verdict == .error {
                entries.append(("scan.\(f.verdict.rawValue)", "warning", "\(f.format): not analysed (\(f.verdict.rawValue)\(f.reason.map { ": " + $0 } ?? ""))", f.path, nil))
            }
        }
        let ids = Set(entries.map(\.rule)).sorted()
        let index = Dictionary(uniqueKeysWithValues: ids.enumerated().map { ($1, $0) })
        let results = entries.map { e in
            Result(ruleId: e.rule, ruleIndex: index[e.rule] ?? 0, level: e.level, message: Message(text: e.text),
                   locations: [Location(physicalLocation: Physical(artifactLocation: Artifact(uri: Self.uriReference(e.path)), region: e.offset.map { Region(byteOffset: $0) }))])
        }
        runs = [Run(tool: Tool(driver: Driver(rules: ids.map { Rule(id: $0, shortDescription: Message(text: $0)) })), results: results)]
    }

    /// A file path as a URI reference: bytes outside RFC 3986's unreserved set and `/` are
    /// percent-encoded.
    static func uriReference(_ path: String) -> String {
        var out = ""
        for b in path.utf8 {
            let c = Character(Unicode.Scalar(b))
            if b < 0x80, c.isLetter || c.isNumber || "-._~/".contains(c) { out.append(c) }
            else { out += "%" + String(b >> 4, radix: 16, uppercase: true) + String(b & 0xf, radix: 16, uppercase: true) }
        }
        return out
    }
}
