import Testing

// Replaced by real tests as the module grows.
@Test func BulwarkModelsPlaceholder() { #expect(Bool(true)) }
