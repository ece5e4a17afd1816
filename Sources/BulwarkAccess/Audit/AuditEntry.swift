/// What a request came to: the decision or result an audit entry records.
///
/// A string-backed struct rather than an enum, so an entry read back from a database with an
/// outcome added in a later version still decodes (and still hashes to what was signed).
public struct AuditOutcome: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    /// The stored name, such as `denied`.
    public var rawValue: String
    /// An outcome named `rawValue`.
    public init(rawValue: String) { self.rawValue = rawValue }
    /// A policy allowed the request and it was carried out.
    public static let allowed = AuditOutcome(rawValue: "allowed")
    /// A policy denied the request.
    public static let denied = AuditOutcome(rawValue: "denied")
    /// A login or other authentication succeeded.
    public static let succeeded = AuditOutcome(rawValue: "succeeded")
    /// A login or other operation failed (wrong credential, error while carrying it out).
    public static let failed = AuditOutcome(rawValue: "failed")
    /// The stored name.
    public var description: String { rawValue }

    /// Decodes the stored name.
    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    /// Encodes the stored name.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// One event to audit, before the log gives it its index and time: a state-changing request, a
/// denial or a login.
public struct AuditEvent: Hashable, Sendable {
    /// Who acted: a user name, a token id or `anonymous`.
    public var actor: String
    /// What was attempted, such as `model.promote` or `login`.
    public var action: String
    /// What it was attempted on, such as `models/resnet/3`.
    public var resource: String
    /// What came of it.
    public var outcome: AuditOutcome
    /// The policy rule that decided, if a rule did.
    public var rule: String?
    /// The client's network address, if known.
    public var clientAddress: String?
    /// The request's id, to join with access logs, if known.
    public var requestID: String?
    /// Further facts, by name (never a secret: no passwords, codes or tokens).
    public var details: [String: String]

    /// An event with the given facts.
    public init(actor: String, action: String, resource: String, outcome: AuditOutcome, rule: String? = nil,
                clientAddress: String? = nil, requestID: String? = nil, details: [String: String] = [:]) {
        self.actor = actor
        self.action = action
        self.resource = resource
        self.outcome = outcome
        self.rule = rule
        self.clientAddress = clientAddress
        self.requestID = requestID
        self.details = details
    }
}

/// One entry of the audit log: an ``AuditEvent`` with its position and time.
///
/// The leaf of the Merkle tree is ``canonicalBytes``, a canonical JSON object, documented there.
/// `Codable` conformance (for storage and export) uses the same member names.
public struct AuditEntry: Hashable, Sendable, Codable {
    /// The entry's position in the log, from 0.
    public var index: UInt64
    /// When it was appended: milliseconds since 1970-01-01T00:00:00Z (an integer, so the time
    /// survives any storage round trip bit for bit).
    public var timeUnixMilliseconds: Int64
    /// The event.
    public var event: AuditEvent

    /// An entry at `index`, at `timeUnixMilliseconds`, recording `event`.
    public init(index: UInt64, timeUnixMilliseconds: Int64, event: AuditEvent) {
        self.index = index
        self.timeUnixMilliseconds = timeUnixMilliseconds
        self.event = event
    }

    /// The most bytes an entry's canonical encoding may have; ``AuditLog`` refuses bigger ones.
    public static let maximumEncodedBytes = 64 * 1024

    /// The bytes the log hashes as this entry's leaf: a canonical JSON object (format version 1).
    ///
    /// Members, all always present: `v` (1), `index`, `time` (milliseconds since the Unix epoch),
    /// `actor`, `action`, `resource`, `outcome`, `rule`, `client`, `request` (string or `null`),
    /// `details` (an object of strings). Keys are sorted by their UTF-8 bytes, there is no
    /// whitespace, strings escape only `"`, `\` and control characters (as JSON short escapes or
    /// `\u00xx`), and integers are plain decimals: one entry has exactly one encoding.
    ///
    /// ```text
    /// {"action":"login","actor":"ana","client":null,"details":{},"index":0,"outcome":"succeeded","request":null,"resource":"session","rule":null,"time":1700000000000,"v":1}
    /// ```
    public var canonicalBytes: [UInt8] { canonicalObject().bytes }

    /// The RFC 6962 leaf hash of ``canonicalBytes``.
    public var leafHash: MerkleHash { .leaf(canonicalBytes) }

    /// The canonical JSON object, with `extra` members added (the export adds `leafHash`).
    package func canonicalObject(adding extra: [(String, CanonicalJSON)] = []) -> CanonicalJSON {
        func optional(_ text: String?) -> CanonicalJSON { text.map(CanonicalJSON.string) ?? .null }
        return .object([
            ("v", .integer(1)),
            ("index", .unsigned(index)),
            ("time", .integer(timeUnixMilliseconds)),
            ("actor", .string(event.actor)),
            ("action", .string(event.action)),
            ("resource", .string(event.resource)),
            ("outcome", .string(event.outcome.rawValue)),
            ("rule", optional(event.rule)),
            ("client", optional(event.clientAddress)),
            ("request", optional(event.requestID)),
            ("details", .object(event.details.map { ($0.key, .string($0.value)) })),
        ] + extra)
    }

    private enum CodingKeys: String, CodingKey {
        case index, time, actor, action, resource, outcome, rule, client, request, details
    }

    /// Decodes the members that ``canonicalBytes`` lists (without `v`).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        index = try container.decode(UInt64.self, forKey: .index)
        timeUnixMilliseconds = try container.decode(Int64.self, forKey: .time)
        event = AuditEvent(
            actor: try container.decode(String.self, forKey: .actor),
            action: try container.decode(String.self, forKey: .action),
            resource: try container.decode(String.self, forKey: .resource),
            outcome: try container.decode(AuditOutcome.self, forKey: .outcome),
            rule: try container.decodeIfPresent(String.self, forKey: .rule),
            clientAddress: try container.decodeIfPresent(String.self, forKey: .client),
            requestID: try container.decodeIfPresent(String.self, forKey: .request),
            details: try container.decodeIfPresent([String: String].self, forKey: .details) ?? [:])
    }

    /// Encodes the members that ``canonicalBytes`` lists (without `v`).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(index, forKey: .index)
        try container.encode(timeUnixMilliseconds, forKey: .time)
        try container.encode(event.actor, forKey: .actor)
        try container.encode(event.action, forKey: .action)
        try container.encode(event.resource, forKey: .resource)
        try container.encode(event.outcome, forKey: .outcome)
        try container.encode(event.rule, forKey: .rule)
        try container.encode(event.clientAddress, forKey: .client)
        try container.encode(event.requestID, forKey: .request)
        try container.encode(event.details, forKey: .details)
    }
}
