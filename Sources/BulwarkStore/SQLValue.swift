/// One value that goes into or comes out of a SQL statement, in the five storage classes both
/// engines share: SQLite's own classes, and on PostgreSQL `BIGINT`/`INTEGER`/`SMALLINT`/`BOOLEAN`
/// (as ``integer(_:)``), `DOUBLE PRECISION`/`REAL` (``real(_:)``), `TEXT`/`VARCHAR`
/// (``text(_:)``) and `BYTEA` (``blob(_:)``).
///
/// Booleans are stored as integers 0 and 1 (declare the column `INTEGER` on SQLite and
/// `SMALLINT` or `BIGINT` on PostgreSQL); a PostgreSQL `BOOLEAN` column reads back as 0 or 1.
///
/// ```swift
/// let values: [SQLValue] = [42, "alice", 0.5, nil, .blob([0xde, 0xad])]
/// ```
public enum SQLValue: Sendable, Hashable {
    /// SQL `NULL`.
    case null
    /// A signed 64-bit integer.
    case integer(Int64)
    /// A 64-bit IEEE floating-point number.
    case real(Double)
    /// Unicode text.
    case text(String)
    /// Raw bytes (may be empty).
    case blob([UInt8])

    /// The value `value` converts to (``SQLValueConvertible``), so bindings can be written from
    /// plain Swift values: `SQLValue(userID)`, `SQLValue(Optional<String>.none)`.
    public init(_ value: some SQLValueConvertible) {
        self = value.sqlValue
    }

    /// A short name of the storage class (`null`, `integer`, `real`, `text`, `blob`) for messages.
    public var kindName: String {
        switch self {
        case .null: "null"
        case .integer: "integer"
        case .real: "real"
        case .text: "text"
        case .blob: "blob"
        }
    }
}

extension SQLValue: ExpressibleByNilLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByStringLiteral, ExpressibleByBooleanLiteral
{
    /// `nil` is SQL `NULL`.
    public init(nilLiteral: ()) { self = .null }
    /// An integer literal is ``integer(_:)``.
    public init(integerLiteral value: Int64) { self = .integer(value) }
    /// A floating-point literal is ``real(_:)``.
    public init(floatLiteral value: Double) { self = .real(value) }
    /// A string literal is ``text(_:)``.
    public init(stringLiteral value: String) { self = .text(value) }
    /// `true` and `false` are the integers 1 and 0.
    public init(booleanLiteral value: Bool) { self = .integer(value ? 1 : 0) }
}

/// A Swift type that converts to and from one ``SQLValue``: the integers, `Double`, `String`,
/// `[UInt8]`, `Bool`, and `Optional` of any of them (where `nil` is SQL `NULL`).
///
/// ```swift
/// let row = SQLRow(columns: ["display_name"], values: [nil])
/// let name: String? = try row.decode("display_name")   // NULL reads as nil
/// ```
public protocol SQLValueConvertible: Sendable {
    /// The value to bind.
    var sqlValue: SQLValue { get }
    /// Reads `value`; returns `nil` when it does not hold this type (the caller names the column).
    init?(sqlValue value: SQLValue)
}

extension Int64: SQLValueConvertible {
    /// ``SQLValue/integer(_:)``.
    public var sqlValue: SQLValue { .integer(self) }
    /// Reads an ``SQLValue/integer(_:)``.
    public init?(sqlValue value: SQLValue) {
        guard case .integer(let int) = value else { return nil }
        self = int
    }
}

extension Int: SQLValueConvertible {
    /// ``SQLValue/integer(_:)``.
    public var sqlValue: SQLValue { .integer(Int64(self)) }
    /// Reads an ``SQLValue/integer(_:)`` that fits in `Int`.
    public init?(sqlValue value: SQLValue) {
        guard case .integer(let int) = value, let exact = Int(exactly: int) else { return nil }
        self = exact
    }
}

extension Int32: SQLValueConvertible {
    /// ``SQLValue/integer(_:)``.
    public var sqlValue: SQLValue { .integer(Int64(self)) }
    /// Reads an ``SQLValue/integer(_:)`` that fits in `Int32`.
    public init?(sqlValue value: SQLValue) {
        guard case .integer(let int) = value, let exact = Int32(exactly: int) else { return nil }
        self = exact
    }
}

extension Bool: SQLValueConvertible {
    /// The integer 1 or 0.
    public var sqlValue: SQLValue { .integer(self ? 1 : 0) }
    /// Reads the integers 0 and 1; any other value is not a `Bool`.
    public init?(sqlValue value: SQLValue) {
        switch value {
        case .integer(0): self = false
        case .integer(1): self = true
        default: return nil
        }
    }
}

extension Double: SQLValueConvertible {
    /// ``SQLValue/real(_:)``.
    public var sqlValue: SQLValue { .real(self) }
    /// Reads a ``SQLValue/real(_:)``, or an ``SQLValue/integer(_:)`` that a `Double` holds exactly
    /// (SQLite stores `1.0` in a `REAL` column as it was given, but an expression may yield 1).
    public init?(sqlValue value: SQLValue) {
        switch value {
        case .real(let real): self = real
        case .integer(let int):
            guard let exact = Double(exactly: int) else { return nil }
            self = exact
        default: return nil
        }
    }
}

extension String: SQLValueConvertible {
    /// ``SQLValue/text(_:)``.
    public var sqlValue: SQLValue { .text(self) }
    /// Reads a ``SQLValue/text(_:)``.
    public init?(sqlValue value: SQLValue) {
        guard case .text(let text) = value else { return nil }
        self = text
    }
}

extension Array: SQLValueConvertible where Element == UInt8 {
    /// ``SQLValue/blob(_:)``.
    public var sqlValue: SQLValue { .blob(self) }
    /// Reads a ``SQLValue/blob(_:)``.
    public init?(sqlValue value: SQLValue) {
        guard case .blob(let bytes) = value else { return nil }
        self = bytes
    }
}

extension Optional: SQLValueConvertible where Wrapped: SQLValueConvertible {
    /// `nil` is ``SQLValue/null``.
    public var sqlValue: SQLValue { self?.sqlValue ?? .null }
    /// ``SQLValue/null`` reads as `nil`; another value as the wrapped type.
    public init?(sqlValue value: SQLValue) {
        if case .null = value {
            self = .none
            return
        }
        guard let wrapped = Wrapped(sqlValue: value) else { return nil }
        self = .some(wrapped)
    }
}
