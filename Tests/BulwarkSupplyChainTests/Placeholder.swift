import Testing

// Replaced by real tests as the module grows.
@Test func BulwarkSupplyChainPlaceholder() { #expect(Bool(true)) }
