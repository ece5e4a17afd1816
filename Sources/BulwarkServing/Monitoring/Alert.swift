public import Foundation

/// What an ``Alert`` is about. Open: new kinds are added as static members.
public struct AlertKind: RawRepresentable, Codable, Sendable, Hashable, CustomStringConvertible {
    /// The kind's name in the JSON (`"drift"`).
    public var rawValue: String

    /// A kind named `rawValue`.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// Input, embedding or prediction drift (``DriftMonitor``).
    public static let drift = AlertKind(rawValue: "drift")
    /// An adversarial-input or backdoor detector fired.
    public static let detection = AlertKind(rawValue: "detection")
    /// A client's query pattern looks like model extraction.
    public static let extraction = AlertKind(rawValue: "extraction")
    /// An incident action: a kill switch, a rollback, a quarantine.
    public static let incident = AlertKind(rawValue: "incident")

    /// The raw name.
    public var description: String { rawValue }

    /// Decodes the bare string.
    public init(from decoder: any Decoder) throws { rawValue = try decoder.singleValueContainer().decode(String.self) }

    /// Encodes the bare string.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// How urgent an ``Alert`` is.
public enum AlertSeverity: String, Codable, Sendable, CaseIterable, Comparable {
    /// For the record: nothing to do now.
    case info
    /// Worth a look soon (a drifted statistic).
    case warning
    /// Needs someone now (an attack in progress, a killed model).
    case critical

    /// Orders `info < warning < critical`.
    public static func < (lhs: Self, rhs: Self) -> Bool {
        let order: [Self] = [.info, .warning, .critical]
        return order.firstIndex(of: lhs) ?? 0 < order.firstIndex(of: rhs) ?? 0
    }
}

/// One alert for operators: what happened, to which model, how urgent, when.
///
/// Its JSON (``jsonBytes()``, keys sorted, `time` in ISO 8601 with milliseconds) is what a
/// webhook receives:
///
/// ```json
/// {"details":{"statistic":"input_psi","threshold":"0.2","value":"0.93"},"id":"…","kind":"drift",
///  "message":"drift: input_psi 0.93 above 0.2 over 500 examples","model":"mnist","severity":"warning",
///  "time":"2026-12-06T10:15:00.123Z"}
/// ```
public struct Alert: Codable, Sendable, Equatable {
    /// A unique id (a UUID), so that receivers can drop a retried duplicate.
    public var id: String
    /// What the alert is about.
    public var kind: AlertKind
    /// The model (name, or name and version) it concerns.
    public var model: String
    /// How urgent it is.
    public var severity: AlertSeverity
    /// One line for a person.
    public var message: String
    /// Machine-readable facts (statistic names, values, thresholds, client ids).
    public var details: [String: String]
    /// When it was raised, to the millisecond.
    public var time: Date

    /// An alert raised now (unless `time` is given) with a fresh id.
    public init(kind: AlertKind, model: String, severity: AlertSeverity, message: String, details: [String: String] = [:],
                time: Date = Date(), id: String = UUID().uuidString) {
        self.id = id
        self.kind = kind
        self.model = model
        self.severity = severity
        self.message = message
        self.details = details
        self.time = Self.milliseconds(time)
    }

    /// The alert as JSON: keys sorted, dates in ISO 8601.
    public func jsonBytes() -> [UInt8] {
        // Every field is a string, a string map or a date, so encoding cannot fail.
        (try? Self.encoder.encode(self)).map(Array.init) ?? Array(#"{"kind":"\#(kind.rawValue)"}"#.utf8)
    }

    /// Decodes an alert from ``jsonBytes()``.
    /// - Throws: ``ServingError`` `.invalidRequest` when the bytes are not an alert.
    public static func decode(_ bytes: [UInt8]) throws(ServingError) -> Alert {
        do { return try decoder.decode(Alert.self, from: Data(bytes)) } catch {
            throw ServingError(.invalidRequest, "alert: not an alert's JSON", underlying: error)
        }
    }

    private static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(timestamp(date))
        }
        return encoder
    }

    private static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            guard let date = parseTimestamp(try container.decode(String.self)) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "expected an ISO 8601 UTC time")
            }
            return date
        }
        return decoder
    }

    /// `date` rounded to whole milliseconds, the precision of the JSON.
    static func milliseconds(_ date: Date) -> Date {
        Date(timeIntervalSince1970: (date.timeIntervalSince1970 * 1000).rounded() / 1000)
    }

    /// `2026-12-06T10:15:00.123Z`: whole seconds from the ISO 8601 formatter, milliseconds by hand
    /// (so that formatting and parsing never disagree by a rounding step).
    static func timestamp(_ date: Date) -> String {
        let total = Int64((date.timeIntervalSince1970 * 1000).rounded())
        let seconds = total >= 0 ? total / 1000 : (total - 999) / 1000
        let millis = Int(total - seconds * 1000)
        let base = Date(timeIntervalSince1970: Double(seconds)).formatted(Date.ISO8601FormatStyle())  // …T10:15:00Z
        let digits = String(millis)
        return String(base.dropLast()) + "." + String(repeating: "0", count: 3 - digits.count) + digits + "Z"
    }

    /// Parses ``timestamp(_:)``'s form (the fraction optional, up to millisecond precision).
    static func parseTimestamp(_ text: String) -> Date? {
        guard text.hasSuffix("Z"), text.count <= 40 else { return nil }
        let body = text.dropLast()
        let parts = body.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let base = try? Date.ISO8601FormatStyle().parse(String(parts[0]) + "Z") else { return nil }
        var millis = 0
        if parts.count == 2 {
            let fraction = parts[1]
            guard !fraction.isEmpty, fraction.allSatisfy(\.isASCII), fraction.allSatisfy(\.isNumber) else { return nil }
            millis = Int(String((fraction + "000").prefix(3))) ?? 0
        }
        let seconds = Int64(base.timeIntervalSince1970.rounded())
        return Date(timeIntervalSince1970: Double(seconds * 1000 + Int64(millis)) / 1000)
    }
}

/// Where alerts go: a webhook, a log, a test's collector.
///
/// `send` must not block the caller for long: inference paths raise alerts, so a sink that
/// talks to the network queues the alert and delivers it elsewhere (the gateway's
/// `WebhookAlertSink`).
public protocol AlertSink: Sendable {
    /// Takes `alert` for delivery; returns quickly and never throws (a sink counts its failures).
    func send(_ alert: Alert) async
}
