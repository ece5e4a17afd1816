import BulwarkFederated
import Testing

@Suite struct FederatedErrorTests {
    @Test func errorsAreOneLine() {
        let error = FederatedError(.shapeMismatch, "update 3 has 10\nparameters, the model 12")
        #expect(!error.description.contains("\n"))
        #expect(error.code == .shapeMismatch)
    }
}
