@_exported public import BulwarkErrors

/// An error from the data-poisoning module: an attack, detector or data check that cannot run
/// on the inputs it was given.
///
/// Messages are one line: they name the option or file that failed and what was expected.
///
/// A ``ModuleError`` of the package's one error design (`BulwarkError`): a non-frozen code,
/// a one-line `message` (sanitised when the error is made) and the `underlying` error that
/// caused it; equality compares code and message, never the cause.
public typealias PoisoningError = ModuleError<PoisoningErrorDomain>

/// The domain of ``PoisoningError``: tells its codes from other modules'.
public enum PoisoningErrorDomain: ErrorDomain {}

extension ErrorCode<PoisoningErrorDomain> {
    /// A parameter is outside what the attack or detector accepts (a rate above 1, a trigger
    /// that does not fit the image, a target class the labels do not have).
    public static var invalidParameter: Self { Self("invalidParameter") }
    /// Inputs, labels, model or trigger disagree in shape or count.
    public static var shapeMismatch: Self { Self("shapeMismatch") }
    /// A file is missing or cannot be read or written.
    public static var io: Self { Self("io") }
    /// Data no longer matches the digests recorded for it in a manifest.
    public static var dataChanged: Self { Self("dataChanged") }
}
