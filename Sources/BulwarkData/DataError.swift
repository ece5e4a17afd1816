@_exported public import BulwarkErrors

/// An error raised while reading, validating or writing a dataset or array file.
///
/// Messages are one line: they name the file (or entry) and the field that failed, and
/// what was expected.
///
/// A ``ModuleError`` of the package's one error design (`BulwarkError`): a non-frozen code,
/// a one-line `message` (sanitised when the error is made) and the `underlying` error that
/// caused it; equality compares code and message, never the cause.
public typealias DataError = ModuleError<DataErrorDomain>

/// The domain of ``DataError``: tells its codes from other modules'.
public enum DataErrorDomain: ErrorDomain {}

extension ErrorCode<DataErrorDomain> {
    /// A file is missing or cannot be read or written.
    public static var io: Self { Self("io") }
    /// The bytes violate their format.
    public static var malformed: Self { Self("malformed") }
    /// A valid but unsupported feature (dtype, Fortran order, object arrays).
    public static var unsupported: Self { Self("unsupported") }
    /// A size limit would be exceeded.
    public static var limitExceeded: Self { Self("limitExceeded") }
    /// Shapes, counts or labels disagree.
    public static var shapeMismatch: Self { Self("shapeMismatch") }
}
