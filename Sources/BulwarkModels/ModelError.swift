/// Errors raised while building, loading or running a model.
public struct ModelError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What kind of failure this is.
    public enum Code: Sendable, Equatable {
        /// An input shape the model cannot take.
        case shapeMismatch
        /// A parameter is missing, extra or of the wrong shape in a weights file.
        case parameterMismatch
        /// An unknown architecture or layer.
        case unknownArchitecture
        /// A file could not be read or written.
        case io
        /// A model file is malformed.
        case malformed
        /// A training procedure could not train (invalid settings, a layer it cannot handle).
        case training
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

    public var description: String { message }
}
