import BulwarkArchive
import BulwarkPoisoning
import Testing

@Test func poisoningErrorsStayOneLineAndCompareByCodeAndMessage() {
    let error = PoisoningError(.invalidParameter, "--rate 1.5 is outside 0...1\nsecond line")
    #expect(!error.message.contains("\n"))
    #expect(error.code.description == "invalidParameter")
    #expect(error == PoisoningError(.invalidParameter, "--rate 1.5 is outside 0...1\nsecond line", underlying: error))
    #expect(error != PoisoningError(.shapeMismatch, error.message))
}
