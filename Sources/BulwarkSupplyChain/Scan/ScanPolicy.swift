/// Allowlist-first classification of the callables a pickle imports or calls.
///
/// The policy is data: lines of `<class> <module> <name> [reason…]` where class is `safe` or
/// `dangerous`, name is an exact callable (`_rebuild_tensor_v2`, `OrderedDict`) or `*` for the
/// module and all its submodules (allowed only for `dangerous`: whole-module allowances are how
/// deny-list scanners get bypassed). `#` starts a comment. Lookup: dangerous exact, safe exact,
/// dangerous module wildcard; anything else is **unknown**, never clean. `BUILD`/`NEWOBJ`
/// records (`X.__setstate__`, `X.__new__`) are classified by their class `X`.
///
/// ```swift
/// var policy = ScanPolicy.default
/// try policy.merge(text: "safe mylib.layers Dense")
/// policy.classify(module: "os", name: "system")   // .dangerous("process execution")
/// ```
public struct ScanPolicy: Sendable {
    /// The class of a callable.
    public enum Classification: Sendable, Equatable {
        /// Listed as safe for loading.
        case safe
        /// Listed as dangerous, with the reason.
        case dangerous(String)
        /// Not listed: never treated as clean.
        case unknown
    }

    private var safe: Set<String> = []
    private var dangerousExact: [String: String] = [:]
    private var dangerousModules: [String: String] = [:]

    /// The built-in policy (see `DefaultPolicy.swift`, the same text format users extend).
    public static let `default`: ScanPolicy = {
        var p = ScanPolicy()
        try? p.merge(text: defaultPolicyText)
        return p
    }()

    /// An empty policy: everything unknown.
    public init() {}

    /// Adds the lines of `text`; throws naming the first malformed line.
    public mutating func merge(text: String) throws(ScanError) {
        var lineNumber = 0
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if words.isEmpty { continue }
            guard words.count >= 3 else { throw ScanError("policy line \(lineNumber): expected '<safe|dangerous> <module> <name> [reason]'") }
            let module = String(words[1]), name = String(words[2])
            let reason = words.count > 3 ? words[3...].joined(separator: " ") : "listed as dangerous"
            switch words[0] {
            case "safe":
                guard name != "*" else { throw ScanError("policy line \(lineNumber): 'safe' needs an exact callable, not '*'") }
                safe.insert(module + " " + name)
            case "dangerous":
                if name == "*" { dangerousModules[module] = reason } else { dangerousExact[module + " " + name] = reason }
            default:
                throw ScanError("policy line \(lineNumber): class must be 'safe' or 'dangerous', got '\(words[0])'")
            }
        }
    }

    /// Classifies `module.name`.
    public func classify(module: String, name: String) -> Classification {
        var n = name
        for suffix in [".__setstate__", ".__new__", "()"] where n.hasSuffix(suffix) { n = String(n.dropLast(suffix.count)) }
        // A dotted name (getattr path like "os.system" inside builtins) is checked by each part.
        if let r = dangerousExact[module + " " + n] { return .dangerous(r) }
        if safe.contains(module + " " + n) { return .safe }
        var m = Substring(module)
        while true {
            if let r = dangerousModules[String(m)] { return .dangerous(r) }
            guard let dot = m.lastIndex(of: ".") else { break }
            m = m[..<dot]
        }
        if let first = n.split(separator: ".").first, first != Substring(n), let r = dangerousExact[module + " " + first] { return .dangerous(r) }
        return .unknown
    }
}

/// A scan could not proceed (bad policy file, unreadable path).
public struct ScanError: Error, Sendable, Equatable, CustomStringConvertible {
    /// One-line message naming what failed.
    public let message: String
    /// Creates an error.
    public init(_ message: String) { self.message = message }
    /// The message.
    public var description: String { message }
}
