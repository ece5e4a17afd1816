import BulwarkExtraction
import Testing

@Test func extractionErrorIsOneLineAndKeepsItsCode() {
    let error = ExtractionError(.invalidParameter, "--queries must be at least 1,\ngot 0")
    #expect(error.code == .invalidParameter)
    #expect(!error.message.contains("\n"))
    #expect(error != ExtractionError(.io, "--queries must be at least 1, got 0"))
}
