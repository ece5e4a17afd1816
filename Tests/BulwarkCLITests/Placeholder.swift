import Testing

// Replaced by real tests as the module grows.
@Test func BulwarkCLIPlaceholder() { #expect(Bool(true)) }
