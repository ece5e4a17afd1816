/// A stored Argon2id password hash: parameters, salt and tag, read from and written as a PHC
/// string, `$argon2id$v=19$m=65536,t=3,p=4$<salt>$<tag>` with salt and tag in unpadded standard
/// base64 (the format of libargon2's `argon2id_hash_encoded` and the `argon2` command).
///
/// Parsing is bounded (``PHCLimits``): the string's length is checked first, every number has at
/// most ten digits, and `m`, `t`, `p`, salt and tag are capped, so a hostile string cannot make
/// ``PasswordHasher/verify(_:against:)`` allocate gigabytes or hang. Only Argon2id version 0x13
/// (19) is accepted.
///
/// ```swift
/// let stored = try PasswordHash(phc: "$argon2id$v=19$m=8192,t=2,p=1$YnVsd2Fyay1zYWx0LTE2Qg$IHPpwGYwBjnflfcWBahnXT3m5mhpxvVvsV64ugnUwvY")
/// let upgrade = PasswordHasher.needsRehash(stored, policy: .rfc9106SecondRecommended)   // true
/// ```
public struct PasswordHash: Codable, Sendable, Equatable {
    /// The cost parameters; `saltLength` and `tagLength` are those of ``salt`` and ``tag``.
    public let parameters: Argon2idParameters
    /// The salt.
    public let salt: [UInt8]
    /// The Argon2id tag of the password under ``salt`` and ``parameters``.
    public let tag: [UInt8]

    /// A hash from its parts; `parameters` lengths are taken from `salt` and `tag`.
    package init(memoryKiB: UInt32, iterations: UInt32, parallelism: UInt32, salt: [UInt8], tag: [UInt8]) {
        parameters = Argon2idParameters(unchecked: memoryKiB, iterations: iterations, parallelism: parallelism,
                                        saltLength: salt.count, tagLength: tag.count)
        self.salt = salt
        self.tag = tag
    }

    /// Parses a PHC string, refusing anything outside `limits`.
    ///
    /// - Throws: ``AccessError`` `.malformed` with a one-line reason; the message never quotes
    ///   the salt or tag.
    public init(phc: String, limits: PHCLimits = .default) throws(AccessError) {
        let bytes = Array(phc.utf8)
        guard bytes.count <= limits.maxEncodedLength else {
            throw Self.malformed("is \(bytes.count) bytes, more than the \(limits.maxEncodedLength) allowed")
        }
        let fields = bytes.split(separator: UInt8(ascii: "$"), omittingEmptySubsequences: false)
        guard fields.count == 6, fields[0].isEmpty else {
            throw Self.malformed("expected $argon2id$v=19$m=…,t=…,p=…$salt$hash")
        }
        guard fields[1].elementsEqual("argon2id".utf8) else { throw Self.malformed("is not argon2id") }
        guard fields[2].elementsEqual("v=19".utf8) else { throw Self.malformed("version is not v=19") }
        let costs = fields[3].split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false)
        guard costs.count == 3 else { throw Self.malformed("expected parameters m=…,t=…,p=…") }
        let memory = try Self.decimal(costs[0], key: "m")
        let iterations = try Self.decimal(costs[1], key: "t")
        let parallelism = try Self.decimal(costs[2], key: "p")
        guard (1...limits.maxParallelism).contains(parallelism) else {
            throw Self.malformed("p=\(parallelism) is outside 1...\(limits.maxParallelism)")
        }
        guard memory >= 8 * parallelism, memory <= limits.maxMemoryKiB else {
            throw Self.malformed("m=\(memory) is outside \(8 * parallelism)...\(limits.maxMemoryKiB) KiB")
        }
        guard (1...limits.maxIterations).contains(iterations) else {
            throw Self.malformed("t=\(iterations) is outside 1...\(limits.maxIterations)")
        }
        guard let salt = PHCBase64.decode(fields[4]), (8...limits.maxSaltLength).contains(salt.count) else {
            throw Self.malformed("salt is not unpadded base64 of 8...\(limits.maxSaltLength) bytes")
        }
        guard let tag = PHCBase64.decode(fields[5]), (16...limits.maxTagLength).contains(tag.count) else {
            throw Self.malformed("hash is not unpadded base64 of 16...\(limits.maxTagLength) bytes")
        }
        self.init(memoryKiB: memory, iterations: iterations, parallelism: parallelism, salt: salt, tag: tag)
    }

    /// The PHC string, `$argon2id$v=19$m=…,t=…,p=…$salt$tag`, as the `argon2` command prints it.
    public var phcString: String {
        "$argon2id$v=19$m=\(parameters.memoryKiB),t=\(parameters.iterations),p=\(parameters.parallelism)$"
            + PHCBase64.encode(salt) + "$" + PHCBase64.encode(tag)
    }

    /// Decodes the PHC string (with the default limits).
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        try self.init(phc: text)
    }

    /// Encodes the PHC string.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(phcString)
    }

    private static func malformed(_ reason: String) -> AccessError {
        AccessError(.malformed, "password hash: \(reason)")
    }

    /// `key=digits`: one to ten digits, no leading zero, at most `UInt32.max`.
    private static func decimal(_ field: ArraySlice<UInt8>, key: String) throws(AccessError) -> UInt32 {
        let prefix = Array(key.utf8) + [UInt8(ascii: "=")]
        guard field.starts(with: prefix) else { throw malformed("expected \(key)= in the parameters") }
        let digits = field.dropFirst(prefix.count)
        guard (1...10).contains(digits.count), digits.allSatisfy({ (0x30...0x39).contains($0) }),
              digits.count == 1 || digits.first != UInt8(ascii: "0") else {
            throw malformed("\(key)= is not a decimal number")
        }
        var value: UInt64 = 0
        for digit in digits { value = value * 10 + UInt64(digit - 0x30) }
        guard let result = UInt32(exactly: value) else { throw malformed("\(key)= is too large") }
        return result
    }
}

/// Standard base64 (RFC 4648 §4) without padding, as PHC strings use it. Decoding is strict:
/// no `=`, no whitespace, no length ≡ 1 (mod 4) and no stray bits in the last character.
package enum PHCBase64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// The unpadded base64 text of `bytes`.
    package static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count * 4 + 2) / 3)
        var index = 0
        while index < bytes.count {
            let chunk = bytes[index..<Swift.min(index + 3, bytes.count)]
            var word: UInt32 = 0
            for (offset, byte) in chunk.enumerated() { word |= UInt32(byte) << (16 - 8 * offset) }
            for position in 0...chunk.count { out.append(alphabet[Int((word >> (18 - 6 * position)) & 0x3F)]) }
            index += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The bytes of unpadded base64 `text`, or `nil` when it is not canonical.
    package static func decode(_ text: some Collection<UInt8>) -> [UInt8]? {
        guard text.count % 4 != 1 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(text.count * 3 / 4)
        var accumulator: UInt32 = 0
        var bits = 0
        for character in text {
            guard let value = sextet(character) else { return nil }
            accumulator = (accumulator << 6) | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
                accumulator &= (1 << UInt32(bits)) - 1
            }
        }
        return accumulator == 0 ? out : nil
    }

    private static func sextet(_ character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): character - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): character - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0") + 52
        case UInt8(ascii: "+"): 62
        case UInt8(ascii: "/"): 63
        default: nil
        }
    }
}
