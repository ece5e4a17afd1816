import Testing

// Replaced by real tests as the module grows.
@Test func BulwarkArchivePlaceholder() { #expect(Bool(true)) }
