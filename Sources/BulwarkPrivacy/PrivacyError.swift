/// An error from the differential-privacy module: names the parameter that failed and what was expected.
public struct PrivacyError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The parameter or quantity that was invalid (for example `samplingRate`).
    public let parameter: String
    /// One line saying what was expected.
    public let message: String

    /// Creates an error for `parameter` with a one-line `message`.
    public init(parameter: String, message: String) {
        self.parameter = parameter
        self.message = message
    }

    /// The one-line message shown to a person.
    public var description: String { "invalid \(parameter): \(message)" }
}
