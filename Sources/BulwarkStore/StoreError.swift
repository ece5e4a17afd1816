@_exported public import BulwarkErrors

/// An error from the storage layer: a database that cannot be opened, a statement that fails,
/// a migration that does not apply, a row that does not decode.
///
/// Messages are one line: they name the database (never its password) and what failed.
///
/// A ``ModuleError`` of the package's one error design (`BulwarkError`): a non-frozen code,
/// a one-line `message` (sanitised when the error is made) and the `underlying` error that
/// caused it; equality compares code and message, never the cause.
public typealias StoreError = ModuleError<StoreErrorDomain>

/// The domain of ``StoreError``: tells its codes from other modules'.
public enum StoreErrorDomain: ErrorDomain {}

extension ErrorCode<StoreErrorDomain> {
    /// The database cannot be reached or opened (a missing directory, a refused connection,
    /// a wrong password, an unparsable `postgres://` URL).
    public static var unavailable: Self { Self("unavailable") }
    /// A statement failed (a syntax error, a violated constraint, a lost connection).
    public static var statement: Self { Self("statement") }
    /// A constraint refused the change: unique, primary key, foreign key, `NOT NULL` or `CHECK`
    /// (SQLite's `SQLITE_CONSTRAINT`, PostgreSQL's SQLSTATE class 23).
    public static var constraint: Self { Self("constraint") }
    /// A row or column does not hold the type it was read as.
    public static var decoding: Self { Self("decoding") }
    /// The schema is newer than this build knows, or a migration failed.
    public static var migration: Self { Self("migration") }
}
