@testable import BulwarkAccess
import Testing

// Known answers from RFC 8949 Appendix A ("Examples of Encoded CBOR Data Items").
@Test func cborDecodesRFC8949AppendixAExamples() throws {
    #expect(try CBORReader.decodeWhole(hexBytes("00")) == .unsigned(0))
    #expect(try CBORReader.decodeWhole(hexBytes("1903e8")) == .unsigned(1000))
    #expect(try CBORReader.decodeWhole(hexBytes("1bffffffffffffffff")) == .unsigned(UInt64.max))
    #expect(try CBORReader.decodeWhole(hexBytes("3863")).integer == -100)
    #expect(try CBORReader.decodeWhole(hexBytes("3bffffffffffffffff")) == .negative(UInt64.max))
    #expect(try CBORReader.decodeWhole(hexBytes("4401020304")) == .bytes([1, 2, 3, 4]))
    #expect(try CBORReader.decodeWhole(hexBytes("6449455446")) == .text("IETF"))
    #expect(try CBORReader.decodeWhole(hexBytes("62c3bc")) == .text("ü"))
    #expect(try CBORReader.decodeWhole(hexBytes("83010203")) == .array([.unsigned(1), .unsigned(2), .unsigned(3)]))
    #expect(try CBORReader.decodeWhole(hexBytes("f4")) == .bool(false))
    #expect(try CBORReader.decodeWhole(hexBytes("f5")) == .bool(true))
    #expect(try CBORReader.decodeWhole(hexBytes("f6")) == .null)
    let map = try CBORReader.decodeWhole(hexBytes("a26161016162820203"))
    #expect(map[textKey: "a"] == .unsigned(1))
    #expect(map[textKey: "b"] == .array([.unsigned(2), .unsigned(3)]))
}

@Test(arguments: [
    ("5f42010243030405ff", "indefinite"),      // indefinite-length byte string
    ("9fff", "indefinite"),                    // indefinite-length array
    ("c074323031332d30332d32315432303a30343a30305a", "tags"), // tag 0
    ("f93c00", "floating"),                    // half-precision 1.0
    ("fb3ff199999999999a", "floating"),        // double 1.1
    ("f7", "simple value"),                    // undefined
    ("0001", "trailing"),                      // trailing byte
    ("5affffffff00", "exceeds"),               // byte string longer than the input
    ("9bffffffffffffffff", "exceeds"),         // array count beyond the input
    ("a20102", "exceeds"),                     // map of 2 entries in 2 bytes
    ("a201028100", "ends"),                    // map whose second value is missing
    ("1903", "ends"),                          // truncated two-byte argument
    ("1c", "reserved"),                        // reserved additional information 28
    ("a201020103", "duplicate"),               // duplicate map key 1
    ("62c328", "UTF-8"),                       // invalid UTF-8
    ("ff", "break"),                           // lone break
])
func cborRefusesWhatWebAuthnDoesNotUse(hex: String, reason: String) {
    var thrown: CBORDecodingError?
    do { _ = try CBORReader.decodeWhole(hexBytes(hex)) } catch { thrown = error }
    #expect(thrown?.reason.contains(reason) == true, "\(hex): \(String(describing: thrown))")
}

@Test func cborBoundsNestingAtSixteen() throws {
    let sixteen = [UInt8](repeating: 0x81, count: 15) + [0x00]
    #expect(throws: Never.self) { _ = try CBORReader.decodeWhole(sixteen) }
    let seventeen = [UInt8](repeating: 0x81, count: 16) + [0x00]
    var thrown: CBORDecodingError?
    do { _ = try CBORReader.decodeWhole(seventeen) } catch { thrown = error }
    #expect(thrown?.reason.contains("nesting") == true)
    // Deep input far past the bound is refused without recursing through it.
    let deep = [UInt8](repeating: 0x81, count: 100_000)
    #expect(throws: CBORDecodingError.self) { _ = try CBORReader.decodeWhole(deep) }
}

// Found by the libFuzzer harness (Benchmarks/fuzz/webauthn-cbor) on its first run: a byte string
// one byte longer than the input left was checked against the position *before* its length
// argument and trapped on the slice. Kept as a regression input.
@Test func cborRefusesByteStringOneBytePastTheEnd() {
    let fuzzerInput = hexBytes("a5010203262001215820afefa16f97ca9b2d7aeb86ccb6400000000a4f70746956af2e2664796b9220")
    var thrown: CBORDecodingError?
    do { _ = try CBORReader.decodeWhole(fuzzerInput) } catch { thrown = error }
    #expect(thrown?.reason.contains("exceeds the 31 bytes left") == true)
    #expect(throws: CBORDecodingError.self) { _ = try CBORReader.decodeWhole(hexBytes("5820") + [UInt8](repeating: 0, count: 31)) }
    #expect(throws: CBORDecodingError.self) { _ = try CBORReader.decodeWhole(hexBytes("6401")) }
}

@Test func cborReaderStopsAfterOneItem() throws {
    var reader = CBORReader(hexBytes("a10102ff"), start: 0)
    #expect(try reader.readItem() == .map([CBORMapEntry(key: .unsigned(1), value: .unsigned(2))]))
    #expect(reader.offset == 3)
}

@Test func base64URLRoundTripsAndRefusesOtherAlphabets() {
    for length in 0..<40 {
        let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        #expect(Base64URL.decode(Base64URL.encode(bytes)) == bytes)
    }
    #expect(Base64URL.encode(Array("IETF?".utf8)) == "SUVURj8")
    #expect(Base64URL.decode("SUVURj8=") == Array("IETF?".utf8))
    #expect(Base64URL.decode("a+b/") == nil)
    #expect(Base64URL.decode("A") == nil)
    #expect(Base64URL.decode("AA") == [0])
    #expect(Base64URL.decode("AB") == nil) // non-zero padding bits
    #expect(Base64URL.decode("AF") == nil) // non-zero padding bits
}
