/// An error raised while reading a file, a compressed stream or a ZIP archive.
///
/// Messages are one line and name what failed (file, entry, field) and what was expected.
/// Errors never carry more than a short excerpt of the input, so they are safe to log.
public struct ArchiveError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kind of failure, for callers that branch on it.
    public enum Code: Sendable, Equatable {
        /// The operating system refused to open or read a file.
        case io
        /// The input ends before a structure it declares.
        case truncated
        /// The input violates its format.
        case malformed
        /// A size limit chosen by the caller (or a default) would be exceeded.
        case limitExceeded
        /// The input uses a feature this module does not implement (e.g. a compression method).
        case unsupported
        /// A CRC-32 or length check failed after decompression.
        case checksumMismatch
        /// The entry is encrypted; it is never decrypted.
        case encrypted
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
