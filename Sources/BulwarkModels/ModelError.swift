@_exported public import BulwarkErrors

/// Errors raised while building, loading or running a model.
///
/// A ``ModuleError`` of the package's one error design (`BulwarkError`): a non-frozen code,
/// a one-line `message` (sanitised when the error is made) and the `underlying` error that
/// caused it; equality compares code and message, never the cause.
public typealias ModelError = ModuleError<ModelErrorDomain>

/// The domain of ``ModelError``: tells its codes from other modules'.
public enum ModelErrorDomain: ErrorDomain {}

extension ErrorCode<ModelErrorDomain> {
    /// An input shape the model cannot take.
    public static var shapeMismatch: Self { Self("shapeMismatch") }
    /// A parameter is missing, extra or of the wrong shape in a weights file.
    public static var parameterMismatch: Self { Self("parameterMismatch") }
    /// An unknown architecture or layer.
    public static var unknownArchitecture: Self { Self("unknownArchitecture") }
    /// A file could not be read or written.
    public static var io: Self { Self("io") }
    /// A model file is malformed.
    public static var malformed: Self { Self("malformed") }
    /// A training procedure could not train (invalid settings, a layer it cannot handle).
    public static var training: Self { Self("training") }
}
