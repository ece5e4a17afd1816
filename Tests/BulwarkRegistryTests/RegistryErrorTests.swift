import BulwarkRegistry
import Testing

@Test func registryErrorMessagesAreOneLine() {
    let error = RegistryError(.gateFailed, "cats 3: scan\nmalicious")
    #expect(!error.message.contains("\n"))
    #expect(error.code == .gateFailed)
}
