/// One result row: the column names the statement produced and their values.
///
/// Read columns by name with the typed accessors; a missing column, or a value of another type,
/// throws ``StoreError`` with code `decoding` naming the column.
///
/// ```swift
/// let db = try await openDatabase("sqlite:/tmp/bulwark-example.db")
/// for row in try await db.query("SELECT id, name, avatar FROM users") {
///     let id = try row.int64("id")
///     let name = try row.string("name")
///     let avatar: [UInt8]? = try row.decode("avatar")   // NULL reads as nil
/// }
/// ```
public struct SQLRow: Sendable, Hashable {
    /// The column names, in the order of the statement's result columns.
    public let columns: [String]
    /// The values, one per column.
    public let values: [SQLValue]

    /// A row of `values` under `columns` (the two arrays have the same length).
    public init(columns: [String], values: [SQLValue]) {
        self.columns = columns
        self.values = values
    }

    /// The value of `column` (the first column of that name; names compare exactly).
    public func value(_ column: String) throws(StoreError) -> SQLValue {
        guard let index = columns.firstIndex(of: column), index < values.count else {
            throw StoreError(.decoding, "column '\(column)' is not in the result (columns: \(columns.joined(separator: ", ")))")
        }
        return values[index]
    }

    /// Whether `column` holds SQL `NULL`.
    public func isNull(_ column: String) throws(StoreError) -> Bool {
        try value(column) == .null
    }

    /// The value of `column` as `T`; with an `Optional` type, `NULL` reads as `nil`.
    public func decode<T: SQLValueConvertible>(_ column: String, as type: T.Type = T.self) throws(StoreError) -> T {
        let value = try value(column)
        guard let decoded = T(sqlValue: value) else {
            throw StoreError(.decoding, "column '\(column)' holds \(value.kindName), expected \(T.self)")
        }
        return decoded
    }

    /// The integer in `column`.
    public func int64(_ column: String) throws(StoreError) -> Int64 { try decode(column) }
    /// The integer in `column`, which must fit in `Int`.
    public func int(_ column: String) throws(StoreError) -> Int { try decode(column) }
    /// The number in `column` (a real, or an integer a `Double` holds exactly).
    public func double(_ column: String) throws(StoreError) -> Double { try decode(column) }
    /// The text in `column`.
    public func string(_ column: String) throws(StoreError) -> String { try decode(column) }
    /// The bytes in `column`.
    public func bytes(_ column: String) throws(StoreError) -> [UInt8] { try decode(column) }
    /// The boolean in `column` (the integer 0 or 1).
    public func bool(_ column: String) throws(StoreError) -> Bool { try decode(column) }
}
