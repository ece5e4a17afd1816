@_exported public import BulwarkErrors

/// An error raised while reading a file, a compressed stream or a ZIP archive.
///
/// Messages are one line and name what failed (file, entry, field) and what was expected.
/// Errors never carry more than a short excerpt of the input, so they are safe to log.
///
/// A ``ModuleError`` of the package's one error design (`BulwarkError`): a non-frozen code,
/// a one-line `message` (sanitised when the error is made) and the `underlying` error that
/// caused it; equality compares code and message, never the cause.
public typealias ArchiveError = ModuleError<ArchiveErrorDomain>

/// The domain of ``ArchiveError``: tells its codes from other modules'.
public enum ArchiveErrorDomain: ErrorDomain {}

extension ErrorCode<ArchiveErrorDomain> {
    /// The operating system refused to open or read a file.
    public static var io: Self { Self("io") }
    /// The input ends before a structure it declares.
    public static var truncated: Self { Self("truncated") }
    /// The input violates its format.
    public static var malformed: Self { Self("malformed") }
    /// A size limit chosen by the caller (or a default) would be exceeded.
    public static var limitExceeded: Self { Self("limitExceeded") }
    /// The input uses a feature this module does not implement (e.g. a compression method).
    public static var unsupported: Self { Self("unsupported") }
    /// A CRC-32 or length check failed after decompression.
    public static var checksumMismatch: Self { Self("checksumMismatch") }
    /// The entry is encrypted; it is never decrypted.
    public static var encrypted: Self { Self("encrypted") }
}
