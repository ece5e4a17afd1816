/// Base32 with the RFC 4648 §6 alphabet (`A`–`Z`, `2`–`7`), the encoding of TOTP secrets in
/// authenticator apps and `otpauth://` URIs.
///
/// Two decoders: ``decode(_:)`` accepts only canonical text (upper case, `=` padding to a
/// multiple of 8, zero trailing bits); ``decodeUserInput(_:)`` accepts what a person types or
/// pastes (lower case, spaces and dashes between groups, padding omitted).
///
/// ```swift
/// Base32.encode(Array("foobar".utf8))                  // "MZXW6YTBOI======"
/// try Base32.decodeUserInput("mzxw 6ytb oi")          // the bytes of "foobar"
/// ```
public enum Base32 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".utf8)
    /// Valid lengths, modulo 8, of unpadded text (RFC 4648 §6's five final-quantum cases).
    private static let validRemainders: Set<Int> = [0, 2, 4, 5, 7]

    /// The base32 text of `bytes`, `=`-padded to a multiple of 8 characters unless `padding`
    /// is false (the form `otpauth://` URIs use).
    public static func encode(_ bytes: [UInt8], padding: Bool = true) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 4) / 5 * 8)
        var accumulator: UInt32 = 0
        var bits = 0
        for byte in bytes {
            accumulator = (accumulator << 8) | UInt32(byte)
            bits += 8
            while bits >= 5 {
                bits -= 5
                out.append(alphabet[Int((accumulator >> UInt32(bits)) & 0x1F)])
            }
            accumulator &= (1 << UInt32(bits)) - 1
        }
        if bits > 0 { out.append(alphabet[Int((accumulator << UInt32(5 - bits)) & 0x1F)]) }
        if padding { while out.count % 8 != 0 { out.append(UInt8(ascii: "=")) } }
        return String(decoding: out, as: UTF8.self)
    }

    /// The bytes of canonical base32 `text`.
    ///
    /// - Throws: ``AccessError`` `.malformed` for a character outside the alphabet (lower case
    ///   included), missing or misplaced padding, or non-zero trailing bits.
    public static func decode(_ text: String) throws(AccessError) -> [UInt8] {
        let characters = Array(text.utf8)
        guard characters.count % 8 == 0 else { throw malformed("length is not a multiple of 8") }
        let body = characters.prefix { $0 != UInt8(ascii: "=") }
        guard characters.dropFirst(body.count).allSatisfy({ $0 == UInt8(ascii: "=") }) else {
            throw malformed("padding is followed by data")
        }
        guard characters.count - body.count < 8 else { throw malformed("too much padding") }
        return try decodeBody(Array(body), strict: true)
    }

    /// The bytes of base32 as a person enters it: case is ignored, spaces and dashes are
    /// skipped, trailing `=` padding is optional and stray trailing bits are dropped.
    ///
    /// - Throws: ``AccessError`` `.malformed` for another character or an impossible length.
    public static func decodeUserInput(_ text: String) throws(AccessError) -> [UInt8] {
        var body: [UInt8] = []
        for character in text.utf8 where character != UInt8(ascii: " ") && character != UInt8(ascii: "-") {
            body.append((UInt8(ascii: "a")...UInt8(ascii: "z")).contains(character) ? character - 32 : character)
        }
        while body.last == UInt8(ascii: "=") { body.removeLast() }
        return try decodeBody(body, strict: false)
    }

    private static func decodeBody(_ body: [UInt8], strict: Bool) throws(AccessError) -> [UInt8] {
        guard validRemainders.contains(body.count % 8) else { throw malformed("\(body.count) characters cannot end a base32 text") }
        var out: [UInt8] = []
        out.reserveCapacity(body.count * 5 / 8)
        var accumulator: UInt32 = 0
        var bits = 0
        for character in body {
            let value: UInt8
            switch character {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = character - UInt8(ascii: "A")
            case UInt8(ascii: "2")...UInt8(ascii: "7"): value = character - UInt8(ascii: "2") + 26
            default: throw malformed("a character is outside A-Z and 2-7")
            }
            accumulator = (accumulator << 5) | UInt32(value)
            bits += 5
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
                accumulator &= (1 << UInt32(bits)) - 1
            }
        }
        if strict && accumulator != 0 { throw malformed("the last character has non-zero unused bits") }
        return out
    }

    private static func malformed(_ reason: String) -> AccessError {
        AccessError(.malformed, "base32: \(reason)")
    }
}
