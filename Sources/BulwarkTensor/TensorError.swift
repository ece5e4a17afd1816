@_exported public import BulwarkErrors

/// Errors raised when a tensor is built from data that does not describe a valid tensor.
///
/// A ``ModuleError`` of the package's one error design (`BulwarkError`): a non-frozen code,
/// a one-line `message` and the `underlying` error that caused it; equality compares code and
/// message, never the cause.
public typealias TensorError = ModuleError<TensorErrorDomain>

/// The domain of ``TensorError``: tells its codes from other modules'.
public enum TensorErrorDomain: ErrorDomain {}

extension ErrorCode<TensorErrorDomain> {
    /// A dimension is negative.
    public static var invalidShape: Self { Self("invalidShape") }
    /// The shape's element count differs from the number of scalars (or overflows).
    public static var shapeMismatch: Self { Self("shapeMismatch") }
}

extension TensorError {
    /// A dimension of `shape` is negative (code `invalidShape`).
    public static func invalidShape(_ shape: [Int]) -> TensorError {
        TensorError(.invalidShape, "invalid tensor shape \(shape)")
    }

    /// `expected` does not hold `scalarCount` values (code `shapeMismatch`).
    public static func shapeMismatch(expected: [Int], scalarCount: Int) -> TensorError {
        TensorError(.shapeMismatch, "shape \(expected) does not match \(scalarCount) values")
    }
}
