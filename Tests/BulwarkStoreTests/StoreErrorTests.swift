import BulwarkStore
import Testing

@Test func storeErrorMessagesAreOneLine() {
    let error = StoreError(.statement, "insert into users failed:\nUNIQUE constraint failed")
    #expect(!error.message.contains("\n"))
    #expect(error.code == .statement)
}
