public import Logging
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A swift-log handler that writes one JSON object per line, for log shippers (Loki, Elastic,
/// CloudWatch, `jq`): `bulwark serve` installs it unless `--log-format text` is given.
///
/// Each line holds `time` (UTC, ISO 8601 with milliseconds), `level`, `logger` (the logger's
/// label), `message`, `source` (the module that logged), then `metadata` when there is any: the
/// handler's, the metadata provider's and the call's, later ones winning, with keys sorted. Values
/// keep their shape: strings and `stringConvertible`s are JSON strings, arrays and dictionaries
/// JSON arrays and objects. An error attached to the event is `error` (its description).
/// Everything is escaped, so a value holding a quote, a newline or a control character (a
/// client's request path, say) cannot break the line or forge another.
///
/// ```json
/// {"time":"2026-12-07T18:07:15.123Z","level":"info","logger":"bulwark.gateway","message":"request","source":"BulwarkGateway","metadata":{"method":"GET","path":"/v2/health/ready","request.id":"5ef6…","status":"200"}}
/// ```
///
/// Setting metadata does no formatting (swift-log's `StreamLogHandler` rebuilds its text form
/// on every change, and the gateway changes a request logger's metadata twice per request);
/// the line is built only when a message is logged. Lines go to their ``LogOutput`` in one
/// `write` each, under a lock, so lines from concurrent requests never interleave.
///
/// ```swift
/// LogFormat.json.bootstrap()   // once per process: every logger made after it writes JSON lines
/// var handler = JSONLogHandler(label: "bulwark.gateway")   // or one handler, for one logger
/// handler[metadataKey: "request.id"] = "5ef6"
/// ```
public struct JSONLogHandler: LogHandler {
    /// The logger's label, the `logger` field.
    public let label: String
    /// Where the lines go.
    public let output: LogOutput
    /// The handler's metadata (this logger's, a value like every swift-log handler's).
    public var metadata: Logger.Metadata = [:]
    /// Adds task-local or constant metadata to each line.
    public var metadataProvider: Logger.MetadataProvider?
    /// The least severe level written (default `info`).
    public var logLevel: Logger.Level = .info

    /// A handler for the logger `label` writing to `output` (standard error by default).
    public init(label: String, output: LogOutput = .standardError, metadataProvider: Logger.MetadataProvider? = nil) {
        self.label = label
        self.output = output
        self.metadataProvider = metadataProvider
    }

    /// One metadata value of this handler.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Writes the event as one JSON line.
    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get(), !provided.isEmpty { merged.merge(provided) { $1 } }
        if let own = event.metadata, !own.isEmpty { merged.merge(own) { $1 } }
        output.write(Self.line(time: Date(), level: event.level, label: label, message: event.message.description, source: event.source,
                               metadata: merged, error: event.error.map { String(describing: $0) }))
    }

    /// The JSON line (with its newline) for one event.
    static func line(time: Date, level: Logger.Level, label: String, message: String, source: String,
                             metadata: Logger.Metadata, error: String?) -> String {
        var out = "{\"time\":\""
        out += timestamp(time)
        out += "\",\"level\":\""
        out += level.rawValue
        out += "\",\"logger\":"
        appendString(label, to: &out)
        out += ",\"message\":"
        appendString(message, to: &out)
        out += ",\"source\":"
        appendString(source, to: &out)
        if let error {
            out += ",\"error\":"
            appendString(error, to: &out)
        }
        if !metadata.isEmpty {
            out += ",\"metadata\":"
            appendObject(metadata, to: &out)
        }
        out += "}\n"
        return out
    }

    /// `YYYY-MM-DDTHH:MM:SS.mmmZ` in UTC.
    static func timestamp(_ date: Date) -> String {
        // To the nearest millisecond (floor division keeps dates before 1970 right).
        let total = Int64((date.timeIntervalSince1970 * 1000).rounded())
        let (q, r) = total.quotientAndRemainder(dividingBy: 1000)
        var whole = time_t(r < 0 ? q - 1 : q)
        let millis = Int(r < 0 ? r + 1000 : r)
        var parts = tm()
        gmtime_r(&whole, &parts)
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let ms = millis < 10 ? "00\(millis)" : millis < 100 ? "0\(millis)" : "\(millis)"
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)).\(ms)Z"
    }

    private static func appendObject(_ metadata: Logger.Metadata, to out: inout String) {
        out += "{"
        for (index, key) in metadata.keys.sorted().enumerated() {
            if index > 0 { out += "," }
            appendString(key, to: &out)
            out += ":"
            if let value = metadata[key] { appendValue(value, to: &out) }
        }
        out += "}"
    }

    private static func appendValue(_ value: Logger.Metadata.Value, to out: inout String) {
        switch value {
        case .string(let s): appendString(s, to: &out)
        case .stringConvertible(let c): appendString(c.description, to: &out)
        case .array(let items):
            out += "["
            for (index, item) in items.enumerated() {
                if index > 0 { out += "," }
                appendValue(item, to: &out)
            }
            out += "]"
        case .dictionary(let dictionary): appendObject(dictionary, to: &out)
        }
    }

    /// A JSON string literal: quote, backslash and every control character escaped (RFC 8259).
    static func appendString(_ s: String, to out: inout String) {
        out += "\""
        var plain = true
        for byte in s.utf8 where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
            plain = false
            break
        }
        if plain {
            out += s
        } else {
            for scalar in s.unicodeScalars {
                switch scalar {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\r": out += "\\r"
                case "\t": out += "\\t"
                case _ where scalar.value < 0x20:
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                default: out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }
}

/// A file descriptor that log lines are written to whole, one `write` call per line under a
/// lock (retried on a short write or an interrupt; a line that cannot be written is dropped,
/// as a logger must not fail its caller).
public final class LogOutput: Sendable {
    /// The process's standard error.
    public static let standardError = LogOutput(fileDescriptor: 2)

    private let descriptor: Int32
    private let lock = Mutex(())

    /// An output on `fileDescriptor`, which the caller keeps open.
    public init(fileDescriptor: Int32) { descriptor = fileDescriptor }

    /// Writes `line` (it should end with a newline).
    public func write(_ line: String) {
        var line = line
        line.withUTF8 { bytes in
            guard let base = bytes.baseAddress else { return }
            lock.withLock { _ in
                var done = 0
                while done < bytes.count {
                    let n = Glibc.write(descriptor, base + done, bytes.count - done)
                    if n > 0 { done += n } else if n < 0 && errno == EINTR { continue } else { return }
                }
            }
        }
    }
}

/// How `bulwark serve` writes its log lines on standard error.
public enum LogFormat: String, CaseIterable, Sendable {
    /// One JSON object per line (``JSONLogHandler``), the default.
    case json
    /// swift-log's text lines (`StreamLogHandler`), for reading in a terminal.
    case text

    /// Installs this format as the process's log handler. swift-log allows one installation per
    /// process: call it once, before any logger is made.
    public func bootstrap() {
        switch self {
        case .json: LoggingSystem.bootstrap { label in JSONLogHandler(label: label) }
        case .text: LoggingSystem.bootstrap(StreamLogHandler.standardError)
        }
    }
}
