// The one JSON reader and writer of Bulwark: a small JSON value, a bounded strict parser for
// untrusted documents (``JSONParser``) and a writer with a fixed key order (``JSONWriter``), kept
// on floor 0 so that the safetensors loader, the scanner and signing share them (signature
// payloads and BOMs must come out the same on every run).

/// A JSON document as a tree; objects keep their members in document order.
package enum JSONValue: Sendable, Equatable {
    /// `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// A number kept as its literal text, so integers of any size survive a round trip.
    case number(String)
    /// A string.
    case string(String)
    /// An array.
    case array([JSONValue])
    /// An object, members in document order (duplicates kept unless the parser refuses them).
    case object([JSONMember])

    /// The value of the first member named `key`, when this is an object.
    package subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.key == key }?.value
    }

    /// The string, when this is one.
    package var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The bool, when this is one.
    package var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    /// The elements, when this is an array.
    package var arrayValue: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    /// An integer value: `7`, or an integral number written as `7.0` / `7e0` (Protobuf's `Struct`
    /// stores numbers as doubles, so `model-signing` writes a shard size as `1000000000.0`).
    package var int64Value: Int64? {
        guard case .number(let text) = self else { return nil }
        if let exact = Int64(text) { return exact }
        guard let double = Double(text), double.isFinite, double == double.rounded(.towardZero),
              abs(double) <= 9_007_199_254_740_992 else { return nil }
        return Int64(double)
    }

    /// A number literal for an integer.
    package static func integer<I: BinaryInteger>(_ value: I) -> JSONValue { .number(String(value)) }
}

/// One member of a JSON object.
package struct JSONMember: Sendable, Equatable {
    /// The member's name.
    package let key: String
    /// The member's value.
    package let value: JSONValue
    /// A member.
    package init(_ key: String, _ value: JSONValue) {
        self.key = key
        self.value = value
    }
}
