/// An error raised while reading, validating or writing a dataset or array file.
///
/// Messages are one line: they name the file (or entry) and the field that failed, and
/// what was expected.
public struct DataError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kind of failure, for callers that branch on it.
    public enum Code: Sendable, Equatable {
        /// A file is missing or cannot be read or written.
        case io
        /// The bytes violate their format.
        case malformed
        /// A valid but unsupported feature (dtype, Fortran order, object arrays).
        case unsupported
        /// A size limit would be exceeded.
        case limitExceeded
        /// Shapes, counts or labels disagree.
        case shapeMismatch
    }

    /// The failure kind.
    public let code: Code
    /// One line naming what failed and what was expected.
    public let message: String

    /// Creates an error of `code` with a one-line message.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The message.
    public var description: String { message }
}
