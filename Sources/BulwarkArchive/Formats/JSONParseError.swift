/// Why a document is not acceptable JSON: the byte offset and what was expected there.
package struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Byte offset of the failure in the document.
    package let offset: Int
    /// What was expected there.
    package let message: String
    /// A failure at `offset`.
    package init(offset: Int, message: String) {
        self.offset = offset
        self.message = message
    }
    /// `message at byte offset`.
    package var description: String { "\(message) at byte \(offset)" }
}
