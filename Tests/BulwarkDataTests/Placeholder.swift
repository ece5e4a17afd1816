import Testing

// Replaced by real tests as the module grows.
@Test func BulwarkDataPlaceholder() { #expect(Bool(true)) }
