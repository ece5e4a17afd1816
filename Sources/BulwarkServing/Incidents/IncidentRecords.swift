/// One incident: a kill switch pulled, a rollback, a quarantined client or an investigation
/// opened by hand, with who opened it, why, and when it was opened and closed.
///
/// Times are milliseconds since 1970-01-01T00:00:00Z (integers survive every storage and JSON
/// round trip bit for bit, which the signed evidence bundle relies on).
public struct Incident: Sendable, Hashable, Codable {
    /// The incident's number, from 1.
    public var id: Int64
    /// What happened: ``Kind``'s raw value.
    public var kind: String
    /// What it is about: `NAME/VERSION` for a model version, a model name for a rollback, a
    /// client id (the gateway's principal name) for a quarantine.
    public var target: String
    /// Who opened it (the gateway's principal name).
    public var openedBy: String
    /// Why.
    public var reason: String
    /// When it was opened, in milliseconds since the Unix epoch.
    public var openedAtMilliseconds: Int64
    /// When it was closed, or `nil` while it is open.
    public var closedAtMilliseconds: Int64?
    /// Who closed it, or `nil` while it is open.
    public var closedBy: String?

    /// An incident with every field given.
    public init(id: Int64, kind: String, target: String, openedBy: String, reason: String, openedAtMilliseconds: Int64,
                closedAtMilliseconds: Int64? = nil, closedBy: String? = nil) {
        self.id = id
        self.kind = kind
        self.target = target
        self.openedBy = openedBy
        self.reason = reason
        self.openedAtMilliseconds = openedAtMilliseconds
        self.closedAtMilliseconds = closedAtMilliseconds
        self.closedBy = closedBy
    }

    /// Whether the incident is still open.
    public var isOpen: Bool { closedAtMilliseconds == nil }

    /// The kinds of incident the store opens.
    public enum Kind: String, Sendable, CaseIterable {
        /// A model version was stopped with the kill switch (closed when it is revived).
        case kill
        /// A model's production version was rolled back (closed at once).
        case rollback
        /// A client was quarantined (closed when it is released).
        case quarantine
        /// An incident opened by hand, for investigation.
        case investigation
    }
}

/// A model version stopped by the kill switch.
public struct KilledVersion: Sendable, Hashable, Codable {
    /// The model's name.
    public var model: String
    /// The version number.
    public var version: Int
    /// The incident that stopped it.
    public var incident: Int64
    /// Who pulled the switch.
    public var by: String
    /// When, in milliseconds since the Unix epoch.
    public var atMilliseconds: Int64

    /// A killed version with every field given.
    public init(model: String, version: Int, incident: Int64, by: String, atMilliseconds: Int64) {
        self.model = model
        self.version = version
        self.incident = incident
        self.by = by
        self.atMilliseconds = atMilliseconds
    }

    /// The version's key in ``ModelHost``'s kill set (`NAME/VERSION`).
    public var key: String { ModelHost.key(model, version) }
}

/// A client refused by every inference route until released; its query journal is kept.
public struct QuarantinedClient: Sendable, Hashable, Codable {
    /// The client id: the gateway's principal name (a user id or `service:ID`).
    public var client: String
    /// The incident that quarantined it.
    public var incident: Int64
    /// Who quarantined it.
    public var by: String
    /// When, in milliseconds since the Unix epoch.
    public var atMilliseconds: Int64

    /// A quarantine with every field given.
    public init(client: String, incident: Int64, by: String, atMilliseconds: Int64) {
        self.client = client
        self.incident = incident
        self.by = by
        self.atMilliseconds = atMilliseconds
    }
}

/// What every replica enforces: the killed versions and the quarantined clients, as of one
/// ``generation`` of the incident tables.
public struct IncidentState: Sendable, Hashable {
    /// The change counter the state was read at (it grows with every change).
    public var generation: Int64
    /// The killed model versions.
    public var killed: [KilledVersion]
    /// The quarantined clients.
    public var quarantined: [QuarantinedClient]

    /// A state with every field given.
    public init(generation: Int64, killed: [KilledVersion], quarantined: [QuarantinedClient]) {
        self.generation = generation
        self.killed = killed
        self.quarantined = quarantined
    }

    /// The kill set in ``ModelHost``'s keys.
    public var killedKeys: Set<String> { Set(killed.map(\.key)) }
    /// The quarantined client ids.
    public var quarantinedClients: Set<String> { Set(quarantined.map(\.client)) }
}
