import Testing
import BulwarkArchive

@Suite struct JSONTests {
    @Test func parsesAndWritesRoundTrip() throws {
        let text = #"{"a": [1, -2.5e3, true, false, null], "b": "x\"\\\/\n\u00e9\ud83d\ude00", "c": {}}"#
        let value = try JSONParser.parse(Array(text.utf8))
        #expect(value["b"]?.stringValue == "x\"\\/\né😀")
        #expect(value["a"]?.arrayValue?.count == 5)
        let compact = JSONWriter.encode(value, style: .compact)
        #expect(String(decoding: compact, as: UTF8.self) == #"{"a":[1,-2.5e3,true,false,null],"b":"x\"\\/\né😀","c":{}}"#)
        #expect(try JSONParser.parse(compact) == value)
        let indented = String(decoding: JSONWriter.encode(.object([JSONMember("k", .array([.integer(1)]))]), style: .indented(2)), as: UTF8.self)
        #expect(indented == "{\n  \"k\": [\n    1\n  ]\n}")
    }

    @Test(arguments: ["", "{", "[1,]", "{\"a\" 1}", "01", "1.", "\"\\x\"", "\"\\ud800\"", "tru", "[1] 2", "\"a\u{01}\"", "{\"a\":1,}"])
    func rejectsMalformedDocuments(text: String) {
        #expect(throws: JSONParseError.self) { _ = try JSONParser.parse(Array(text.utf8)) }
    }

    @Test func rejectsInvalidUTF8AndDeepNesting() {
        #expect(throws: JSONParseError.self) { _ = try JSONParser.parse([0x22, 0xFF, 0x22]) }
        let deep = Array(repeating: UInt8(ascii: "["), count: 100_000)
        #expect(throws: JSONParseError.self) { _ = try JSONParser.parse(deep) }
    }

    @Test func integersFromDoubles() {
        #expect(JSONValue.number("16.0").int64Value == 16)
        #expect(JSONValue.number("1e9").int64Value == 1_000_000_000)
        #expect(JSONValue.number("16.5").int64Value == nil)
        #expect(JSONValue.number("1e400").int64Value == nil)
    }
}
