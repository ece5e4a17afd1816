import BulwarkData
public import BulwarkEvasion
public import BulwarkPrivacy
public import Foundation

/// How a run was invoked, recorded in each of its parts so the merged report names the same
/// files and a command that reproduces the whole run.
public struct RunContext: Codable, Sendable, Equatable {
    /// The model file, as given.
    public var model: String
    /// The data files, as given (`data`, `labels`; for an audit the member and non-member sets).
    public var data: String, labels: String
    /// The command-line words after the program name, as typed (with `--shard K/N`).
    public var arguments: [String]
    /// The model's per-example input shape.
    public var inputShape: [Int]

    /// A context.
    public init(model: String, data: String, labels: String, arguments: [String], inputShape: [Int]) {
        self.model = model
        self.data = data
        self.labels = labels
        self.arguments = arguments
        self.inputShape = inputShape
    }

    /// `bulwark` and the arguments without `--shard K/N` (or `--shard=K/N`), shell-quoted: the
    /// command of one unsharded run that gives the same numbers.
    public var unshardedCommand: String {
        var words: [String] = []
        var skipNext = false
        for word in arguments {
            if skipNext { skipNext = false; continue }
            if word == "--shard" { skipNext = true; continue }
            if word.hasPrefix("--shard=") { continue }
            words.append(word)
        }
        return (["bulwark"] + words.map(shellQuoted)).joined(separator: " ")
    }
}

/// A partial result file (`bulwark evaluate|certify|privacy audit --shard K/N`): one shard's
/// part of a run, of exactly one kind, with the context the merged report needs.
public struct ReportPart: Codable, Sendable, Equatable {
    /// The kind of run.
    public enum Kind: String, Codable, Sendable {
        /// `bulwark evaluate`.
        case evaluation
        /// `bulwark certify`.
        case certification
        /// `bulwark privacy audit`.
        case privacyAudit = "privacy-audit"
    }
    /// The file format's name and version.
    public static let format = "bulwark-report-part/1"

    /// ``format`` when written by this version.
    public var format: String
    /// The kind; exactly the matching part below is present.
    public var kind: Kind
    /// How the run was invoked.
    public var context: RunContext
    /// An evaluation's part.
    public var evaluation: PartialEvaluation?
    /// A certification's part.
    public var certification: PartialCertification?
    /// A privacy audit's part.
    public var audit: PartialPrivacyAudit?

    /// An evaluation part.
    public init(_ part: PartialEvaluation, context: RunContext) {
        self.init(kind: .evaluation, context: context)
        evaluation = part
    }

    /// A certification part.
    public init(_ part: PartialCertification, context: RunContext) {
        self.init(kind: .certification, context: context)
        certification = part
    }

    /// A privacy-audit part.
    public init(_ part: PartialPrivacyAudit, context: RunContext) {
        self.init(kind: .privacyAudit, context: context)
        audit = part
    }

    private init(kind: Kind, context: RunContext) {
        format = Self.format
        self.kind = kind
        self.context = context
    }

    /// The part's shard.
    public var shard: String {
        (evaluation?.run.shard ?? certification?.run.shard ?? audit?.run.shard).map(\.description) ?? "?"
    }

    /// The conventional file name of a part, e.g. `evaluation.part-2-of-4.json`.
    public static func fileName(kind: Kind, shard: String) -> String {
        "\(kind.rawValue).part-" + shard.replacingOccurrences(of: "/", with: "-of-") + ".json"
    }

    /// Largest part file read (bytes).
    public static let maximumFileSize = 2 << 30

    /// Reads and checks a part file.
    /// - Throws: ``ReportError`` naming the file: unreadable, too large, not a part of this
    ///   format, or a kind whose part is missing.
    public static func read(_ url: URL) throws(ReportError) -> ReportPart {
        let size: Int
        do { size = (try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? NSNumber)?.intValue ?? 0 } catch {
            throw ReportError(.io, "\(url.path): cannot read (\(error.localizedDescription))", underlying: error)
        }
        guard size <= maximumFileSize else { throw ReportError(.io, "\(url.path): \(size) bytes, more than a part may hold (\(maximumFileSize))") }
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw ReportError(.io, "\(url.path): cannot read (\(error.localizedDescription))", underlying: error) }
        let part: ReportPart
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        do { part = try decoder.decode(ReportPart.self, from: data) } catch {
            throw ReportError("\(url.path): not a bulwark report part (\(Self.decodingSummary(error)))", underlying: error)
        }
        guard part.format == format else { throw ReportError("\(url.path): part format '\(part.format)', expected '\(format)'") }
        let present = [part.evaluation != nil, part.certification != nil, part.audit != nil]
        let expected = [part.kind == .evaluation, part.kind == .certification, part.kind == .privacyAudit]
        guard present == expected else { throw ReportError("\(url.path): a '\(part.kind.rawValue)' part must hold exactly that result") }
        return part
    }

    /// A short, one-line description of a decoding error (the field path and what went wrong).
    static func decodingSummary(_ error: any Error) -> String {
        guard let e = error as? DecodingError else { return "\(error)" }
        func path(_ c: DecodingError.Context) -> String {
            let p = c.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
            return (p.isEmpty ? "" : p + ": ") + c.debugDescription
        }
        switch e {
        case .keyNotFound(let key, let c): return path(c) + " (missing \(key.stringValue))"
        case .typeMismatch(_, let c), .valueNotFound(_, let c), .dataCorrupted(let c): return path(c)
        @unknown default: return "\(e)"
        }
    }
}
