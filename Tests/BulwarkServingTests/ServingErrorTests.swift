import BulwarkServing
import Testing

@Test func servingErrorsKeepTheirCodeAndOneLineMessage() {
    let error = ServingError(.invalidRequest, "input 'x': expected shape [1, 784],\ngot [1, 3]")
    #expect(error.code == .invalidRequest)
    #expect(!error.message.contains("\n"))
    #expect(error != ServingError(.rateLimited, error.message))
}
