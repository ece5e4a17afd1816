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

    /// Creates an error of `code`; control characters in `message` are escaped and it is
    /// cut to 400 characters, so it stays one line whatever names it quotes.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message.oneLine()
    }

    /// The message.
    public var description: String { message }
}

extension String {
    /// The string as one printable line for an error message: control characters are escaped
    /// (`\n`, `\u{1b}`, …) and the result is cut to `limit` characters, so hostile names in a
    /// file can neither break a log line nor flood it.
    func oneLine(limit: Int = 400) -> String {
        var out = ""
        for scalar in unicodeScalars {
            if out.unicodeScalars.count >= limit { out += "…"; break }
            if scalar.value < 0x20 || scalar.value == 0x7F || (0x80..<0xA0).contains(scalar.value) {
                out += scalar.escaped(asASCII: true)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
