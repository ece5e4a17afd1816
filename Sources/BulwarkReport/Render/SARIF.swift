public import Foundation

/// A SARIF 2.1.0 log — the one SARIF writer for every Bulwark output (assessment reports and
/// artifact scans), so code-scanning UIs can show Bulwark's results.
///
/// Rule ids are stable across options: a rule names a technique (`evasion/pgd`,
/// `supply-chain/pickle.dangerous-callable`), never its parameters; steps, norms, ε and the
/// like go in the result's `properties`. Artifact paths under the working directory are written
/// relative to it (with `uriBaseId` `SRCROOT`, resolved by `originalUriBaseIds`); others as
/// absolute `file://` URIs.
public struct SarifLog: Encodable, Sendable {
    /// Always "2.1.0".
    public var version = "2.1.0"
    /// The schema URI, written as `$schema`.
    public var schema = "https://json.schemastore.org/sarif-2.1.0.json"
    /// The runs (Bulwark writes one).
    public var runs: [Run]

    enum CodingKeys: String, CodingKey { case version, schema = "$schema", runs }

    /// One run of one tool.
    public struct Run: Encodable, Sendable {
        /// The tool and its rules.
        public var tool: Tool
        /// How the tool was invoked.
        public var invocations: [Invocation]?
        /// Where relative artifact URIs are rooted (`SRCROOT` → the working directory).
        public var originalUriBaseIds: [String: ArtifactLocation]?
        /// The results, one per finding.
        public var results: [Result]
    }

    /// The tool of a run.
    public struct Tool: Encodable, Sendable {
        /// The tool component.
        public var driver: Driver
    }

    /// The tool component: its name, version and rules.
    public struct Driver: Encodable, Sendable {
        /// `bulwark`.
        public var name: String
        /// The tool's version.
        public var version: String
        /// The tool's version, as a semantic version.
        public var semanticVersion: String?
        /// Where to read about the tool or its taxonomy.
        public var informationUri: String
        /// The rules the results refer to.
        public var rules: [Rule]
    }

    /// A rule: one technique or one scanner check.
    public struct Rule: Encodable, Sendable {
        /// Stable id.
        public var id: String
        /// A short identifier-like name.
        public var name: String?
        /// One line.
        public var shortDescription: Message
        /// More detail.
        public var fullDescription: Message?
        /// A page describing the rule.
        public var helpUri: String?
        /// Tags (threat, ATLAS and OWASP ids).
        public var properties: RuleProperties?
    }

    /// Tags of a rule.
    public struct RuleProperties: Encodable, Sendable {
        /// The tags.
        public var tags: [String]
    }

    /// A text message.
    public struct Message: Encodable, Sendable {
        /// The text.
        public var text: String
    }

    /// One invocation of the tool.
    public struct Invocation: Encodable, Sendable {
        /// The command line.
        public var commandLine: String
        /// Whether the tool ran to completion.
        public var executionSuccessful: Bool
    }

    /// One result.
    public struct Result: Encodable, Sendable {
        /// The rule's id.
        public var ruleId: String
        /// The rule's index in the driver's rules.
        public var ruleIndex: Int
        /// `error`, `warning` or `note`.
        public var level: String
        /// What was found.
        public var message: Message
        /// Where.
        public var locations: [Location]?
        /// The finding's id, severity, parameters, metrics and reproduce command.
        public var properties: ResultProperties?
    }

    /// Bulwark's facts about a result.
    public struct ResultProperties: Encodable, Sendable {
        /// The finding's id within its report.
        public var findingId: String?
        /// Bulwark's severity (`info` … `critical`).
        public var severity: String?
        /// The technique with its parameters (`PGD (L∞, 10 steps)`).
        public var technique: String?
        /// The command that reproduces the result.
        public var reproduce: String?
        /// Measured values by name.
        public var metrics: [String: Double]?
        /// `reliable`, `unreliable` or `not checked`.
        public var reliability: String?
    }

    /// A location in an artifact.
    public struct Location: Encodable, Sendable {
        /// The artifact and region.
        public var physicalLocation: PhysicalLocation
    }

    /// An artifact and, optionally, a byte region in it.
    public struct PhysicalLocation: Encodable, Sendable {
        /// The artifact.
        public var artifactLocation: ArtifactLocation
        /// The byte offset of what was found.
        public var region: Region?
    }

    /// An artifact's URI, possibly relative to a base id.
    public struct ArtifactLocation: Encodable, Sendable {
        /// The URI (relative when `uriBaseId` is set).
        public var uri: String
        /// The base the URI is relative to.
        public var uriBaseId: String?
    }

    /// A byte offset.
    public struct Region: Encodable, Sendable {
        /// Offset from the start of the artifact.
        public var byteOffset: Int
    }
}

/// Builds and renders ``SarifLog``s.
public enum SARIF {
    /// The base id relative artifact URIs use.
    public static let sourceRoot = "SRCROOT"

    /// The log of a report: one result per finding (most severe first), one rule per technique.
    public static func log(_ report: Report, workingDirectory: String = FileManager.default.currentDirectoryPath) -> SarifLog {
        var rules: [SarifLog.Rule] = []
        var ruleIndex: [String: Int] = [:]
        var results: [SarifLog.Result] = []
        for f in report.sortedFindings {
            let id = ruleID(f)
            if ruleIndex[id] == nil {
                ruleIndex[id] = rules.count
                let name = techniqueName(f.technique)
                rules.append(SarifLog.Rule(
                    id: id, name: name.filter { $0.isLetter || $0.isNumber },
                    shortDescription: .init(text: "\(name) (\(ATLAS.name(of: f.atlasID)))"),
                    fullDescription: .init(text: "\(ATLAS.name(of: f.atlasID)); OWASP \(f.owaspID) \(OWASPML.name(of: f.owaspID))"),
                    helpUri: ATLAS.url(of: f.atlasID), properties: .init(tags: [f.threat.rawValue, f.atlasID, f.owaspID])))
            }
            var message = f.title + ". " + f.detail
            switch f.reliability {
            case .reliable: break
            case .unreliable(let reasons): message += " UNRELIABLE: " + reasons.joined(separator: "; ")
            case .notChecked(let reason): message += " NOT CHECKED: " + reason
            }
            results.append(SarifLog.Result(
                ruleId: id, ruleIndex: ruleIndex[id] ?? 0, level: level(f.severity), message: .init(text: message),
                locations: f.artifact.map { [location($0, workingDirectory: workingDirectory, byteOffset: nil)] },
                properties: .init(findingId: f.id, severity: f.severity.rawValue, technique: f.technique, reproduce: f.reproduce,
                                  metrics: Dictionary(f.metrics.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a }),
                                  reliability: f.reliability.label)))
        }
        return SarifLog(runs: [SarifLog.Run(
            tool: .init(driver: .init(name: "bulwark", version: report.toolVersion, semanticVersion: report.toolVersion,
                                      informationUri: "https://atlas.mitre.org/", rules: rules)),
            invocations: [.init(commandLine: report.command, executionSuccessful: true)],
            originalUriBaseIds: baseIDs(workingDirectory), results: results)])
    }

    /// SARIF JSON bytes of a report.
    public static func render(_ report: Report) throws -> Data { try render(log(report)) }

    /// SARIF JSON bytes of a log: pretty-printed, keys sorted, slashes unescaped; non-finite
    /// metric values written as the strings `NaN`, `Infinity`, `-Infinity`.
    public static func render(_ log: SarifLog) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return try encoder.encode(log)
    }

    /// The stable rule id of a finding: its threat and its technique's name without the
    /// parameters (parenthesised parts and numbers), e.g. `evasion/pgd` for "PGD (L∞, 10 steps)".
    public static func ruleID(_ f: Finding) -> String {
        let slug = techniqueName(f.technique).lowercased().map { $0.isLetter ? $0 : "-" }
        let collapsed = String(slug).split(separator: "-").joined(separator: "-")
        return "\(f.threat.rawValue)/\(collapsed.isEmpty ? "finding" : collapsed)"
    }

    /// A technique's name without its parameters: parenthesised parts and digits removed.
    static func techniqueName(_ technique: String) -> String {
        var out = "", depth = 0
        for c in technique {
            if c == "(" { depth += 1 } else if c == ")" { depth = max(0, depth - 1) } else if depth == 0 && !c.isNumber { out.append(c) }
        }
        return out.split(separator: " ").joined(separator: " ")
    }

    static func level(_ s: Severity) -> String {
        switch s {
        case .critical, .high: "error"
        case .medium: "warning"
        case .low, .info: "note"
        }
    }

    /// `SRCROOT` → the working directory, as a `file://` URI ending in `/`.
    static func baseIDs(_ workingDirectory: String) -> [String: SarifLog.ArtifactLocation] {
        let dir = workingDirectory.hasSuffix("/") ? workingDirectory : workingDirectory + "/"
        return [sourceRoot: .init(uri: "file://" + percentEncoded(dir), uriBaseId: nil)]
    }

    /// The location of `path`: relative to `SRCROOT` when it is relative or under the working
    /// directory, else an absolute `file://` URI.
    static func location(_ path: String, workingDirectory: String, byteOffset: Int?) -> SarifLog.Location {
        let dir = workingDirectory.hasSuffix("/") ? workingDirectory : workingDirectory + "/"
        let artifact: SarifLog.ArtifactLocation
        if !path.hasPrefix("/") {
            let relative = path.hasPrefix("./") ? String(path.dropFirst(2)) : path
            artifact = .init(uri: percentEncoded(relative), uriBaseId: sourceRoot)
        } else if path.hasPrefix(dir) {
            artifact = .init(uri: percentEncoded(String(path.dropFirst(dir.count))), uriBaseId: sourceRoot)
        } else {
            artifact = .init(uri: "file://" + percentEncoded(path), uriBaseId: nil)
        }
        return SarifLog.Location(physicalLocation: .init(artifactLocation: artifact, region: byteOffset.map { .init(byteOffset: $0) }))
    }

    /// A path as a URI reference: bytes outside RFC 3986's unreserved set and `/` are
    /// percent-encoded.
    package static func percentEncoded(_ path: String) -> String {
        var out = ""
        for b in path.utf8 {
            let c = Character(Unicode.Scalar(b))
            if b < 0x80, c.isLetter || c.isNumber || "-._~/".contains(c) { out.append(c) } else {
                out += "%" + String(b >> 4, radix: 16, uppercase: true) + String(b & 0xf, radix: 16, uppercase: true)
            }
        }
        return out
    }
}
