import BulwarkAccess
import Testing

@Test func accessErrorMessagesAreOneLine() {
    let error = AccessError(.malformed, "policy.yaml: line 3:\nunknown key")
    #expect(!error.message.contains("\n"))
    #expect(error.code != .tampered)
}
