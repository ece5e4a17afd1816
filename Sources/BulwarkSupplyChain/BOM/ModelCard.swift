internal import BulwarkArchive
internal import Foundation

/// The human part of a model card: what the bytes cannot tell (datasets, intended use,
/// limitations…). Given on the command line or in a small JSON or YAML file; every field is
/// optional.
///
/// File keys (snake_case or camelCase): `name`, `version`, `description`, `license`
/// (an SPDX expression), `task`, `approach` (supervised, unsupervised, reinforcement-learning,
/// semi-supervised, self-supervised), `architecture_family`, `model_architecture`, and the lists
/// `authors`, `datasets`, `users`, `intended_use`, `limitations`, `tradeoffs`,
/// `ethical_considerations`, `metrics` (each `{type, value, slice}`).
public struct ModelCard: Sendable, Equatable {
    /// One quantitative result (e.g. accuracy 0.91 on a test slice).
    public struct Metric: Sendable, Equatable {
        /// The metric's name, e.g. `accuracy`.
        public var type: String
        /// Its value as text, e.g. `0.91`.
        public var value: String
        /// The data slice it was measured on, if any.
        public var slice: String?

        /// A metric.
        public init(type: String, value: String, slice: String? = nil) {
            self.type = type
            self.value = value
            self.slice = slice
        }
    }

    /// Model name (defaults to the file or directory name).
    public var name: String?
    /// Model version.
    public var version: String?
    /// One-paragraph description.
    public var description: String?
    /// License as an SPDX expression (`Apache-2.0`, `MIT OR Apache-2.0`).
    public var license: String?
    /// The task, e.g. `image-classification`.
    public var task: String?
    /// Learning approach (CycloneDX enumeration).
    public var approach: String?
    /// Architecture family, e.g. `llama`, `resnet`.
    public var architectureFamily: String?
    /// Architecture, e.g. `LlamaForCausalLM`; read from the model when not given.
    public var modelArchitecture: String?
    /// Authors' names.
    public var authors: [String] = []
    /// Training and evaluation datasets' names.
    public var datasets: [String] = []
    /// Intended users.
    public var users: [String] = []
    /// Intended uses.
    public var intendedUses: [String] = []
    /// Known technical limitations.
    public var limitations: [String] = []
    /// Performance trade-offs.
    public var tradeoffs: [String] = []
    /// Ethical considerations (risks).
    public var ethicalConsiderations: [String] = []
    /// Quantitative results.
    public var metrics: [Metric] = []

    /// An empty card.
    public init() {}

    /// The learning approaches CycloneDX 1.6 allows.
    public static let approaches = ["supervised", "unsupervised", "reinforcement-learning", "semi-supervised", "self-supervised"]

    /// Largest card file read.
    public static let maxFileBytes = 1 << 20

    /// Reads a card from a JSON (`.json`) or YAML file.
    public init(file path: String) throws(BOMError) {
        let bytes: [UInt8]
        do {
            bytes = try readSmallFile(path, limit: Self.maxFileBytes, what: "model card")
        } catch {
            throw BOMError(error)
        }
        try self.init(bytes: bytes, file: path)
    }

    /// Parses card text: JSON when it starts with `{`, otherwise the YAML subset of
    /// ``SimpleYAML``; `file` names it in errors.
    public init(bytes: [UInt8], file: String = "model card") throws(BOMError) {
        let trimmed = bytes.drop { $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }
        let document: JSONValue
        if trimmed.first == UInt8(ascii: "{") {
            do {
                document = try JSONParser.parse(bytes, maxDepth: 16)
            } catch {
                throw BOMError("'\(file)' is not valid JSON: \(error.description)", underlying: error)
            }
        } else {
            guard let text = String(validating: bytes, as: UTF8.self) else { throw BOMError("'\(file)' is not UTF-8 text") }
            document = try SimpleYAML.parse(text, file: file)
        }
        guard case .object(let members) = document else { throw BOMError("'\(file)' must hold a mapping of card fields") }
        self.init()
        for member in members {
            try apply(key: member.key, value: member.value, file: file)
        }
        try validate(file: file)
    }

    private mutating func apply(key: String, value: JSONValue, file: String) throws(BOMError) {
        func scalar() throws(BOMError) -> String {
            switch value {
            case .string(let s): return s
            case .number(let n): return n
            case .bool(let b): return b ? "true" : "false"
            default: throw BOMError("'\(file)': '\(key)' must be a single value")
            }
        }
        func list() throws(BOMError) -> [String] {
            if case .array(let items) = value {
                var result: [String] = []
                for item in items {
                    switch item {
                    case .string(let s): result.append(s)
                    case .number(let n): result.append(n)
                    default: throw BOMError("'\(file)': '\(key)' must be a list of strings")
                    }
                }
                return result
            }
            return [try scalar()]
        }
        switch key.lowercased().replacingOccurrences(of: "_", with: "").replacingOccurrences(of: "-", with: "") {
        case "name": name = try scalar()
        case "version": version = try scalar()
        case "description": description = try scalar()
        case "license": license = try scalar()
        case "task": task = try scalar()
        case "approach": approach = try scalar()
        case "architecturefamily": architectureFamily = try scalar()
        case "modelarchitecture", "architecture": modelArchitecture = try scalar()
        case "authors", "author": authors = try list()
        case "datasets", "dataset": datasets = try list()
        case "users": users = try list()
        case "intendeduse", "intendeduses", "usecases": intendedUses = try list()
        case "limitations", "technicallimitations": limitations = try list()
        case "tradeoffs", "performancetradeoffs": tradeoffs = try list()
        case "ethicalconsiderations", "risks": ethicalConsiderations = try list()
        case "metrics":
            guard case .array(let items) = value else { throw BOMError("'\(file)': 'metrics' must be a list of {type, value, slice}") }
            for (index, item) in items.enumerated() {
                guard let type = item["type"].flatMap(Self.text), let value = item["value"].flatMap(Self.text) else {
                    throw BOMError("'\(file)': metric \(index + 1) needs a 'type' and a 'value'")
                }
                metrics.append(Metric(type: type, value: value, slice: item["slice"].flatMap(Self.text)))
            }
        default:
            throw BOMError("'\(file)': unknown model-card field '\(key)' (known: name, version, description, license, task, approach, architecture_family, model_architecture, authors, datasets, users, intended_use, limitations, tradeoffs, ethical_considerations, metrics)")
        }
    }

    private static func text(_ value: JSONValue) -> String? {
        switch value {
        case .string(let s): s
        case .number(let n): n
        default: nil
        }
    }

    /// Checks values the CycloneDX schema constrains.
    public func validate(file: String = "model card") throws(BOMError) {
        if let approach, !Self.approaches.contains(approach) {
            throw BOMError("'\(file)': approach '\(approach)' is not one of \(Self.approaches.joined(separator: ", "))")
        }
    }

    /// This card with every field `other` sets taking precedence (command-line options over a file).
    public func overridden(by other: ModelCard) -> ModelCard {
        var result = self
        result.name = other.name ?? name
        result.version = other.version ?? version
        result.description = other.description ?? description
        result.license = other.license ?? license
        result.task = other.task ?? task
        result.approach = other.approach ?? approach
        result.architectureFamily = other.architectureFamily ?? architectureFamily
        result.modelArchitecture = other.modelArchitecture ?? modelArchitecture
        if !other.authors.isEmpty { result.authors = other.authors }
        if !other.datasets.isEmpty { result.datasets = other.datasets }
        if !other.users.isEmpty { result.users = other.users }
        if !other.intendedUses.isEmpty { result.intendedUses = other.intendedUses }
        if !other.limitations.isEmpty { result.limitations = other.limitations }
        if !other.tradeoffs.isEmpty { result.tradeoffs = other.tradeoffs }
        if !other.ethicalConsiderations.isEmpty { result.ethicalConsiderations = other.ethicalConsiderations }
        if !other.metrics.isEmpty { result.metrics = other.metrics }
        return result
    }
}

/// The small YAML subset a model card needs: `key: value` lines, block lists (`- item`) of
/// scalars or of flat `key: value` mappings, flow lists (`[a, b]`), quoted scalars and
/// comments. Anything else (anchors, multi-line scalars, deeper nesting) is refused with the
/// line number.
enum SimpleYAML {
    static func parse(_ text: String, file: String) throws(BOMError) -> JSONValue {
        struct Line {
            let number: Int
            let indent: Int
            let content: String
        }
        var lines: [Line] = []
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let withoutComment = stripComment(String(raw))
            let trimmed = withoutComment.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed == "---" { continue }
            guard !withoutComment.hasPrefix("\t") else { throw BOMError("'\(file)' line \(index + 1): tabs cannot indent YAML") }
            let indent = withoutComment.prefix { $0 == " " }.count
            lines.append(Line(number: index + 1, indent: indent, content: trimmed))
        }
        var members: [JSONMember] = []
        var i = 0
        while i < lines.count {
            let line = lines[i]
            guard line.indent == 0 else { throw BOMError("'\(file)' line \(line.number): unexpected indentation") }
            guard let (key, rest) = splitKey(line.content) else {
                throw BOMError("'\(file)' line \(line.number): expected 'key: value'")
            }
            i += 1
            if !rest.isEmpty {
                members.append(JSONMember(key, try scalarOrFlow(rest, line: line.number, file: file)))
                continue
            }
            // A block list under the key.
            var items: [JSONValue] = []
            while i < lines.count, lines[i].indent > 0 {
                let item = lines[i]
                guard item.content.hasPrefix("- ") || item.content == "-" else {
                    throw BOMError("'\(file)' line \(item.number): expected a list item '- …' under '\(key)'")
                }
                let body = String(item.content.dropFirst(1)).trimmingCharacters(in: .whitespaces)
                i += 1
                if let (itemKey, itemValue) = splitKey(body), !body.hasPrefix("\""), !body.hasPrefix("'") {
                    // A flat mapping: this line and the more-indented lines after it.
                    var mapping = [JSONMember(itemKey, try scalarOrFlow(itemValue, line: item.number, file: file))]
                    while i < lines.count, lines[i].indent > item.indent, !lines[i].content.hasPrefix("- ") {
                        guard let (k, v) = splitKey(lines[i].content), !v.isEmpty else {
                            throw BOMError("'\(file)' line \(lines[i].number): expected 'key: value' in a list item")
                        }
                        mapping.append(JSONMember(k, try scalarOrFlow(v, line: lines[i].number, file: file)))
                        i += 1
                    }
                    items.append(.object(mapping))
                } else {
                    items.append(try scalarOrFlow(body, line: item.number, file: file))
                }
            }
            members.append(JSONMember(key, items.isEmpty ? .null : .array(items)))
        }
        return .object(members)
    }

    private static func stripComment(_ line: String) -> String {
        var inSingle = false
        var inDouble = false
        var previous: Character = " "
        for (offset, character) in line.enumerated() {
            if character == "'" && !inDouble { inSingle.toggle() }
            if character == "\"" && !inSingle { inDouble.toggle() }
            if character == "#" && !inSingle && !inDouble && (previous == " " || offset == 0) {
                return String(line.prefix(offset))
            }
            previous = character
        }
        return line
    }

    private static func splitKey(_ text: String) -> (String, String)? {
        guard let colon = text.firstIndex(of: ":") else { return nil }
        let after = text.index(after: colon)
        guard after == text.endIndex || text[after] == " " else { return nil }
        let key = text[..<colon].trimmingCharacters(in: .whitespaces)
        guard !key.isEmpty, !key.contains(" ") || key.hasPrefix("\"") else { return nil }
        return (unquote(key), text[after...].trimmingCharacters(in: .whitespaces))
    }

    private static func scalarOrFlow(_ text: String, line: Int, file: String) throws(BOMError) -> JSONValue {
        if text.hasPrefix("[") {
            guard text.hasSuffix("]") else { throw BOMError("'\(file)' line \(line): unterminated '[' list") }
            let inner = text.dropFirst().dropLast().trimmingCharacters(in: .whitespaces)
            if inner.isEmpty { return .array([]) }
            return .array(inner.split(separator: ",").map { .string(unquote($0.trimmingCharacters(in: .whitespaces))) })
        }
        if text.hasPrefix("{") || text.hasPrefix("|") || text.hasPrefix(">") || text.hasPrefix("&") || text.hasPrefix("*") {
            throw BOMError("'\(file)' line \(line): this YAML feature is not supported in model cards (use JSON instead)")
        }
        return .string(unquote(text))
    }

    private static func unquote(_ text: String) -> String {
        if text.count >= 2, (text.hasPrefix("\"") && text.hasSuffix("\"")) || (text.hasPrefix("'") && text.hasSuffix("'")) {
            return String(text.dropFirst().dropLast())
        }
        return text
    }
}
