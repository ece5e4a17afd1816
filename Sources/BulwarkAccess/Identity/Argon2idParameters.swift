/// The cost parameters of an Argon2id password hash (RFC 9106, "Argon2 Memory-Hard Function
/// for Password Hashing and Proof-of-Work Applications").
///
/// The default, ``rfc9106SecondRecommended``, is RFC 9106 §4's second recommended option for
/// memory-constrained environments: 64 MiB of memory, 3 passes, 4 lanes, a 128-bit salt and a
/// 256-bit tag. Lower settings are accepted (tests and small machines need them) down to floors
/// below which a hash would be cheap to brute-force: 8 MiB of memory, 1 pass, a 16-byte salt and
/// a 16-byte tag. Above, settings are capped so a hash cannot be made that ``PHCLimits/default``
/// would refuse to verify.
///
/// ```swift
/// let parameters = Argon2idParameters.rfc9106SecondRecommended    // m=65536, t=3, p=4
/// let cheaper = try Argon2idParameters(memoryKiB: 19_456, iterations: 2, parallelism: 1)
/// ```
public struct Argon2idParameters: Codable, Sendable, Hashable {
    /// Memory in KiB (Argon2's `m`); at least ``minimumMemoryKiB`` and 8 × ``parallelism``.
    public let memoryKiB: UInt32
    /// Number of passes over memory (Argon2's `t`).
    public let iterations: UInt32
    /// Number of lanes (Argon2's `p`); libargon2 uses as many threads.
    public let parallelism: UInt32
    /// Salt length in bytes; a fresh random salt of this length is drawn for every hash.
    public let saltLength: Int
    /// Tag (hash output) length in bytes.
    public let tagLength: Int

    /// The smallest memory accepted for new hashes: 8 MiB.
    public static let minimumMemoryKiB: UInt32 = 8 * 1024
    /// The smallest salt accepted for new hashes: 16 bytes (RFC 9106 §3.1 recommends 128 bits).
    public static let minimumSaltLength = 16
    /// The smallest tag accepted for new hashes: 16 bytes.
    public static let minimumTagLength = 16

    /// RFC 9106 §4, second recommended option: m = 64 MiB, t = 3, p = 4, 16-byte salt, 32-byte
    /// tag. The default for new password hashes.
    public static let rfc9106SecondRecommended = Argon2idParameters(
        unchecked: 64 * 1024, iterations: 3, parallelism: 4, saltLength: 16, tagLength: 32)

    /// Parameters for new hashes, checked against the floors above and the caps of
    /// ``PHCLimits/default``.
    ///
    /// - Throws: ``AccessError`` `.invalidParameter` naming the first parameter out of range.
    public init(memoryKiB: UInt32, iterations: UInt32, parallelism: UInt32,
                saltLength: Int = 16, tagLength: Int = 32) throws(AccessError) {
        let caps = PHCLimits.default
        guard (1...caps.maxParallelism).contains(parallelism) else {
            throw AccessError(.invalidParameter, "argon2id parallelism \(parallelism): expected 1...\(caps.maxParallelism)")
        }
        let floor = Swift.max(Self.minimumMemoryKiB, 8 * parallelism)
        guard (floor...caps.maxMemoryKiB).contains(memoryKiB) else {
            throw AccessError(.invalidParameter, "argon2id memory \(memoryKiB) KiB: expected \(floor)...\(caps.maxMemoryKiB) KiB")
        }
        guard (1...caps.maxIterations).contains(iterations) else {
            throw AccessError(.invalidParameter, "argon2id iterations \(iterations): expected 1...\(caps.maxIterations)")
        }
        guard (Self.minimumSaltLength...caps.maxSaltLength).contains(saltLength) else {
            throw AccessError(.invalidParameter, "argon2id salt length \(saltLength): expected \(Self.minimumSaltLength)...\(caps.maxSaltLength) bytes")
        }
        guard (Self.minimumTagLength...caps.maxTagLength).contains(tagLength) else {
            throw AccessError(.invalidParameter, "argon2id tag length \(tagLength): expected \(Self.minimumTagLength)...\(caps.maxTagLength) bytes")
        }
        self.init(unchecked: memoryKiB, iterations: iterations, parallelism: parallelism,
                  saltLength: saltLength, tagLength: tagLength)
    }

    private enum CodingKeys: String, CodingKey { case memoryKiB, iterations, parallelism, saltLength, tagLength }

    /// Decodes parameters (from a configuration file) and checks them as ``init(memoryKiB:iterations:parallelism:saltLength:tagLength:)`` does.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(memoryKiB: container.decode(UInt32.self, forKey: .memoryKiB),
                      iterations: container.decode(UInt32.self, forKey: .iterations),
                      parallelism: container.decode(UInt32.self, forKey: .parallelism),
                      saltLength: container.decodeIfPresent(Int.self, forKey: .saltLength) ?? 16,
                      tagLength: container.decodeIfPresent(Int.self, forKey: .tagLength) ?? 32)
    }

    /// Parameters as given; callers have checked them (a parsed PHC string, a constant).
    package init(unchecked memoryKiB: UInt32, iterations: UInt32, parallelism: UInt32, saltLength: Int, tagLength: Int) {
        self.memoryKiB = memoryKiB
        self.iterations = iterations
        self.parallelism = parallelism
        self.saltLength = saltLength
        self.tagLength = tagLength
    }
}

/// Caps applied when parsing a PHC string from storage or from an untrusted source, so that a
/// hostile string can neither make verification allocate gigabytes nor run for minutes.
///
/// The default allows 4 × the default memory (256 MiB) and up to 16 passes and 16 lanes: the
/// most expensive accepted string costs about 4 GiB of memory traffic, a few seconds of CPU.
public struct PHCLimits: Codable, Sendable, Hashable {
    /// Largest accepted `m`, in KiB.
    public var maxMemoryKiB: UInt32
    /// Largest accepted `t`.
    public var maxIterations: UInt32
    /// Largest accepted `p`.
    public var maxParallelism: UInt32
    /// Largest accepted salt, in bytes (the smallest is libargon2's 8).
    public var maxSaltLength: Int
    /// Largest accepted tag, in bytes (the smallest is 16).
    public var maxTagLength: Int
    /// Longest accepted PHC string, in bytes; checked before anything else is parsed.
    public var maxEncodedLength: Int

    /// 256 MiB, 16 passes, 16 lanes, 64-byte salt and tag, 256-byte string.
    public static let `default` = PHCLimits(
        maxMemoryKiB: 256 * 1024, maxIterations: 16, maxParallelism: 16,
        maxSaltLength: 64, maxTagLength: 64, maxEncodedLength: 256)

    /// Caps as given; lowering them below ``default`` makes more strings refused, never fewer.
    public init(maxMemoryKiB: UInt32, maxIterations: UInt32, maxParallelism: UInt32,
                maxSaltLength: Int, maxTagLength: Int, maxEncodedLength: Int) {
        self.maxMemoryKiB = maxMemoryKiB
        self.maxIterations = maxIterations
        self.maxParallelism = maxParallelism
        self.maxSaltLength = maxSaltLength
        self.maxTagLength = maxTagLength
        self.maxEncodedLength = maxEncodedLength
    }
}
