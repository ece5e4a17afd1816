import BulwarkCrypto
import Testing

@Suite struct CryptoErrorTests {
    @Test func errorsAreOneLineAndCompareByCodeAndMessage() {
        let error = CryptoError(.insufficientShares, "2 shares\nfor a threshold of 3")
        #expect(!error.description.contains("\n"))
        #expect(error == CryptoError(.insufficientShares, "2 shares\nfor a threshold of 3"))
        #expect(error != CryptoError(.malformed, "2 shares\nfor a threshold of 3"))
    }
}
