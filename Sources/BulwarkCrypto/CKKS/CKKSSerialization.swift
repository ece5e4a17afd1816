/// The protobuf wire format of CKKS values (schema: Protos/bulwark/he/v1/ckks.proto), written and
/// read by hand so the crypto module needs no protobuf runtime. Decoders are bounds-checked and
/// validate every length, level, residue and identifier against the receiving context; malformed
/// input throws `malformed`, values of another context or key throw `operandMismatch`.
struct CKKSProtoWriter {
    var bytes: [UInt8] = []

    mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    mutating func tag(_ field: Int, _ wireType: UInt64) {
        varint(UInt64(field) << 3 | wireType)
    }

    mutating func uint(_ field: Int, _ value: UInt64) {
        guard value != 0 else { return }
        tag(field, 0)
        varint(value)
    }

    mutating func fixed64(_ field: Int, _ value: UInt64) {
        guard value != 0 else { return }
        tag(field, 1)
        for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(i)))) }
    }

    mutating func double(_ field: Int, _ value: Double) {
        fixed64(field, value.bitPattern)
    }

    mutating func bytes(_ field: Int, _ data: [UInt8]) {
        tag(field, 2)
        varint(UInt64(data.count))
        bytes.append(contentsOf: data)
    }

    /// Residues as a length-delimited field of little-endian words.
    mutating func words(_ field: Int, _ words: [UInt64]) {
        tag(field, 2)
        varint(UInt64(words.count * 8))
        bytes.reserveCapacity(bytes.count + words.count * 8)
        for w in words {
            for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: w >> (8 * UInt64(i)))) }
        }
    }

    mutating func packedUInts(_ field: Int, _ values: [UInt64]) {
        var inner = CKKSProtoWriter()
        for v in values { inner.varint(v) }
        bytes(field, inner.bytes)
    }
}

struct CKKSProtoReader {
    let bytes: [UInt8]
    var index: Int
    let end: Int
    let what: String

    init(_ bytes: [UInt8], range: Range<Int>? = nil, what: String) {
        self.bytes = bytes
        index = range?.lowerBound ?? 0
        end = range?.upperBound ?? bytes.count
        self.what = what
    }

    func fail(_ detail: String) -> CryptoError {
        CryptoError(.malformed, "\(what): \(detail)")
    }

    var atEnd: Bool { index >= end }

    mutating func varint() throws(CryptoError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard index < end else { throw fail("truncated varint") }
            let byte = bytes[index]
            index += 1
            guard shift < 64 else { throw fail("varint longer than 10 bytes") }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
    }

    /// The next field's number and wire type, or nil at the end.
    mutating func field() throws(CryptoError) -> (number: Int, wireType: UInt64)? {
        if atEnd { return nil }
        let key = try varint()
        let number = key >> 3
        guard number >= 1, number <= 536_870_911 else { throw fail("invalid field number \(number)") }
        return (Int(number), key & 7)
    }

    mutating func fixed64() throws(CryptoError) -> UInt64 {
        guard end - index >= 8 else { throw fail("truncated fixed64") }
        var v: UInt64 = 0
        for i in 0..<8 { v |= UInt64(bytes[index + i]) << (8 * UInt64(i)) }
        index += 8
        return v
    }

    mutating func lengthDelimited() throws(CryptoError) -> Range<Int> {
        let length = try varint()
        guard length <= UInt64(end - index) else { throw fail("length \(length) runs past the end") }
        let range = index..<(index + Int(length))
        index += Int(length)
        return range
    }

    mutating func skip(_ wireType: UInt64) throws(CryptoError) {
        switch wireType {
        case 0: _ = try varint()
        case 1: _ = try fixed64()
        case 2: _ = try lengthDelimited()
        case 5:
            guard end - index >= 4 else { throw fail("truncated fixed32") }
            index += 4
        default: throw fail("unsupported wire type \(wireType)")
        }
    }

    func expect(_ wireType: UInt64, _ expected: UInt64, field: String) throws(CryptoError) {
        guard wireType == expected else { throw fail("field \(field) has wire type \(wireType), expected \(expected)") }
    }

    /// The little-endian words of `range`.
    func words(_ range: Range<Int>) throws(CryptoError) -> [UInt64] {
        guard range.count % 8 == 0 else { throw fail("residue field of \(range.count) bytes is not whole 64-bit words") }
        var out = [UInt64](repeating: 0, count: range.count / 8)
        for w in out.indices {
            var v: UInt64 = 0
            let base = range.lowerBound + 8 * w
            for i in 0..<8 { v |= UInt64(bytes[base + i]) << (8 * UInt64(i)) }
            out[w] = v
        }
        return out
    }
}

extension CKKSContext {
    /// Checks that `words` holds `limbs.count` limbs of N residues, limb i below the prime
    /// moduli[limbs[i]].
    func validateResidues(_ words: [UInt64], limbs: [Int], what: String) throws(CryptoError) {
        let n = degree
        guard words.count == limbs.count * n else {
            throw CryptoError(.malformed, "\(what) holds \(words.count) residues, expected \(limbs.count) × \(n)")
        }
        for (i, index) in limbs.enumerated() {
            let p = moduli[index].prime
            for k in i * n..<(i + 1) * n where words[k] >= p {
                throw CryptoError(.malformed, "\(what) has a residue out of range for prime \(index)")
            }
        }
    }
}

extension CKKSParameters {
    /// The parameters as a `bulwark.he.v1.CKKSParameters` message.
    public func serializedData() -> [UInt8] {
        var w = CKKSProtoWriter()
        w.uint(1, UInt64(polyDegree))
        w.packedUInts(2, coefficientModulusBits.map { UInt64($0) })
        w.double(3, scale)
        w.uint(4, isInsecureForTesting ? 1 : 0)
        return w.bytes
    }

    /// Parameters from a `bulwark.he.v1.CKKSParameters` message; throws `malformed` for bad bytes
    /// and, unless the message is marked insecure-for-testing and `allowInsecure` is true, the
    /// security check's `insecureParameters`.
    public init(serializedData data: [UInt8], allowInsecure: Bool = false) throws(CryptoError) {
        var r = CKKSProtoReader(data, what: "CKKS parameters")
        var degree: UInt64 = 0
        var bits: [Int] = []
        var scale = 0.0
        var insecure = false
        while let (number, wire) = try r.field() {
            switch number {
            case 1: try r.expect(wire, 0, field: "poly_degree"); degree = try r.varint()
            case 2:
                if wire == 2 {
                    let range = try r.lengthDelimited()
                    var inner = CKKSProtoReader(data, range: range, what: "CKKS parameters")
                    while !inner.atEnd { bits.append(Int(clamping: try inner.varint())) }
                } else {
                    try r.expect(wire, 0, field: "coefficient_modulus_bits")
                    bits.append(Int(clamping: try r.varint()))
                }
            case 3: try r.expect(wire, 1, field: "scale"); scale = Double(bitPattern: try r.fixed64())
            case 4: try r.expect(wire, 0, field: "insecure_for_testing"); insecure = try r.varint() != 0
            default: try r.skip(wire)
            }
        }
        guard degree <= 1 << 20 else { throw CryptoError(.malformed, "CKKS parameters: ring dimension \(degree) is too large") }
        if insecure {
            guard allowInsecure else {
                throw CryptoError(.insecureParameters, "CKKS parameters are marked insecure-for-testing; pass allowInsecure to accept them")
            }
            self = try CKKSParameters.insecureForTesting(polyDegree: Int(degree), coefficientModulusBits: bits, scale: scale)
        } else {
            self = try CKKSParameters(polyDegree: Int(degree), coefficientModulusBits: bits, scale: scale)
        }
    }
}

extension CKKSCiphertext {
    /// Whether the ciphertext can be written in seeded form (a fresh secret-key encryption whose
    /// c₁ is still the seeded uniform polynomial): half the size.
    public var isSeeded: Bool { seed != nil }

    /// The ciphertext as a `bulwark.he.v1.CKKSCiphertext` message; seeded (c₁ replaced by its
    /// 32-byte seed) when ``isSeeded`` and `seeded` is true.
    public func serializedData(seeded: Bool = true) -> [UInt8] {
        var w = CKKSProtoWriter()
        w.fixed64(1, contextIdentifier)
        w.fixed64(2, keyIdentifier)
        w.uint(3, UInt64(level))
        w.double(4, scale)
        if seeded, let seed {
            w.words(5, components[0])
            w.bytes(6, seed)
        } else {
            for c in components { w.words(5, c) }
        }
        return w.bytes
    }

    /// A ciphertext from a `bulwark.he.v1.CKKSCiphertext` message, checked against `context`:
    /// throws `operandMismatch` for another context, `malformed` for bad bytes, lengths, levels
    /// or residues.
    public init(serializedData data: [UInt8], context: CKKSContext) throws(CryptoError) {
        var r = CKKSProtoReader(data, what: "CKKS ciphertext")
        var contextID: UInt64 = 0, keyID: UInt64 = 0, level: UInt64 = 0, scale = 0.0
        var polynomials: [[UInt64]] = []
        var seed: [UInt8]?
        while let (number, wire) = try r.field() {
            switch number {
            case 1: try r.expect(wire, 1, field: "context_id"); contextID = try r.fixed64()
            case 2: try r.expect(wire, 1, field: "key_id"); keyID = try r.fixed64()
            case 3: try r.expect(wire, 0, field: "level"); level = try r.varint()
            case 4: try r.expect(wire, 1, field: "scale"); scale = Double(bitPattern: try r.fixed64())
            case 5:
                try r.expect(wire, 2, field: "polynomials")
                guard polynomials.count < 3 else { throw r.fail("more than 3 polynomials") }
                polynomials.append(try r.words(try r.lengthDelimited()))
            case 6:
                try r.expect(wire, 2, field: "seed")
                seed = Array(data[try r.lengthDelimited()])
            default: try r.skip(wire)
            }
        }
        try context.checkSame(contextID, "the ciphertext")
        guard level >= 1, level <= UInt64(context.maximumLevel) else {
            throw CryptoError(.malformed, "CKKS ciphertext: level \(level) is outside 1…\(context.maximumLevel)")
        }
        guard scale.isFinite, scale >= 1 else { throw CryptoError(.malformed, "CKKS ciphertext: scale \(scale) is not finite and ≥ 1") }
        let limbs = Array(0..<Int(level))
        for (i, p) in polynomials.enumerated() { try context.validateResidues(p, limbs: limbs, what: "CKKS ciphertext polynomial \(i)") }
        if let seed {
            guard seed.count == 32 else { throw CryptoError(.malformed, "CKKS ciphertext: seed of \(seed.count) bytes, expected 32") }
            guard polynomials.count == 1 else {
                throw CryptoError(.malformed, "CKKS ciphertext: a seeded ciphertext holds c0 only, got \(polynomials.count) polynomials")
            }
            var sampler = try CKKSSampler(seed: seed)
            polynomials.append(context.uniformPolynomial(basis: limbs, sampler: &sampler))
        }
        guard polynomials.count >= 2 else {
            throw CryptoError(.malformed, "CKKS ciphertext: \(polynomials.count) polynomials, expected 2 or 3")
        }
        self.init(components: polynomials, level: Int(level), scale: scale, keyIdentifier: keyID,
                  contextIdentifier: contextID, seed: seed)
    }
}

extension CKKSPublicKey {
    /// The key as a `bulwark.he.v1.CKKSPublicKey` message.
    public func serializedData() -> [UInt8] {
        var w = CKKSProtoWriter()
        w.fixed64(1, contextIdentifier)
        w.fixed64(2, keyIdentifier)
        w.words(3, b)
        w.words(4, a)
        return w.bytes
    }

    /// A public key from a `bulwark.he.v1.CKKSPublicKey` message, checked against `context`.
    public init(serializedData data: [UInt8], context: CKKSContext) throws(CryptoError) {
        var r = CKKSProtoReader(data, what: "CKKS public key")
        var contextID: UInt64 = 0, keyID: UInt64 = 0
        var b: [UInt64] = [], a: [UInt64] = []
        while let (number, wire) = try r.field() {
            switch number {
            case 1: try r.expect(wire, 1, field: "context_id"); contextID = try r.fixed64()
            case 2: try r.expect(wire, 1, field: "key_id"); keyID = try r.fixed64()
            case 3: try r.expect(wire, 2, field: "b"); b = try r.words(try r.lengthDelimited())
            case 4: try r.expect(wire, 2, field: "a"); a = try r.words(try r.lengthDelimited())
            default: try r.skip(wire)
            }
        }
        try context.checkSame(contextID, "the public key")
        let limbs = Array(0...context.maximumLevel)
        try context.validateResidues(b, limbs: limbs, what: "CKKS public key b")
        try context.validateResidues(a, limbs: limbs, what: "CKKS public key a")
        self.init(b: b, a: a, keyIdentifier: keyID, contextIdentifier: contextID)
    }
}

extension CKKSKeySwitchKey {
    func serializedData() -> [UInt8] {
        var w = CKKSProtoWriter()
        w.words(1, b)
        w.words(2, a)
        return w.bytes
    }

    init(serializedData data: [UInt8], range: Range<Int>, context: CKKSContext, what: String) throws(CryptoError) {
        var r = CKKSProtoReader(data, range: range, what: what)
        var b: [UInt64] = [], a: [UInt64] = []
        while let (number, wire) = try r.field() {
            switch number {
            case 1: try r.expect(wire, 2, field: "b"); b = try r.words(try r.lengthDelimited())
            case 2: try r.expect(wire, 2, field: "a"); a = try r.words(try r.lengthDelimited())
            default: try r.skip(wire)
            }
        }
        let count = context.dataPrimeCount
        let limbs = (0..<count).flatMap { _ in Array(0...count) }
        try context.validateResidues(b, limbs: limbs, what: "\(what) b")
        try context.validateResidues(a, limbs: limbs, what: "\(what) a")
        self.init(b: b, a: a)
    }
}

extension CKKSRelinearizationKey {
    /// The key as a `bulwark.he.v1.CKKSRelinearizationKey` message.
    public func serializedData() -> [UInt8] {
        var w = CKKSProtoWriter()
        w.fixed64(1, contextIdentifier)
        w.fixed64(2, keyIdentifier)
        w.bytes(3, key.serializedData())
        return w.bytes
    }

    /// A relinearisation key from a `bulwark.he.v1.CKKSRelinearizationKey` message, checked
    /// against `context`.
    public init(serializedData data: [UInt8], context: CKKSContext) throws(CryptoError) {
        var r = CKKSProtoReader(data, what: "CKKS relinearisation key")
        var contextID: UInt64 = 0, keyID: UInt64 = 0
        var keyRange: Range<Int>?
        while let (number, wire) = try r.field() {
            switch number {
            case 1: try r.expect(wire, 1, field: "context_id"); contextID = try r.fixed64()
            case 2: try r.expect(wire, 1, field: "key_id"); keyID = try r.fixed64()
            case 3: try r.expect(wire, 2, field: "key"); keyRange = try r.lengthDelimited()
            default: try r.skip(wire)
            }
        }
        try context.checkSame(contextID, "the relinearisation key")
        guard let keyRange else { throw CryptoError(.malformed, "CKKS relinearisation key: the key field is missing") }
        let key = try CKKSKeySwitchKey(serializedData: data, range: keyRange, context: context, what: "CKKS relinearisation key")
        self.init(key: key, keyIdentifier: keyID, contextIdentifier: contextID)
    }
}

extension CKKSGaloisKeys {
    /// The keys as a `bulwark.he.v1.CKKSGaloisKeys` message.
    public func serializedData() -> [UInt8] {
        var w = CKKSProtoWriter()
        w.fixed64(1, contextIdentifier)
        w.fixed64(2, keyIdentifier)
        for g in galoisElements {
            var entry = CKKSProtoWriter()
            entry.uint(1, UInt64(g))
            entry.bytes(2, keys[g]!.serializedData())
            w.bytes(3, entry.bytes)
        }
        return w.bytes
    }

    /// Galois keys from a `bulwark.he.v1.CKKSGaloisKeys` message, checked against `context`
    /// (every element must be odd and below 2N).
    public init(serializedData data: [UInt8], context: CKKSContext) throws(CryptoError) {
        var r = CKKSProtoReader(data, what: "CKKS Galois keys")
        var contextID: UInt64 = 0, keyID: UInt64 = 0
        var keys: [Int: CKKSKeySwitchKey] = [:]
        var permutations: [Int: [Int32]] = [:]
        var entries: [Range<Int>] = []
        while let (number, wire) = try r.field() {
            switch number {
            case 1: try r.expect(wire, 1, field: "context_id"); contextID = try r.fixed64()
            case 2: try r.expect(wire, 1, field: "key_id"); keyID = try r.fixed64()
            case 3: try r.expect(wire, 2, field: "keys"); entries.append(try r.lengthDelimited())
            default: try r.skip(wire)
            }
        }
        try context.checkSame(contextID, "the Galois keys")
        for range in entries {
            var entry = CKKSProtoReader(data, range: range, what: "CKKS Galois key")
            var element: UInt64 = 0
            var keyRange: Range<Int>?
            while let (number, wire) = try entry.field() {
                switch number {
                case 1: try entry.expect(wire, 0, field: "galois_element"); element = try entry.varint()
                case 2: try entry.expect(wire, 2, field: "key"); keyRange = try entry.lengthDelimited()
                default: try entry.skip(wire)
                }
            }
            guard element & 1 == 1, element < UInt64(2 * context.degree) else {
                throw CryptoError(.malformed, "CKKS Galois key: element \(element) is not odd and below 2N")
            }
            guard let keyRange else { throw CryptoError(.malformed, "CKKS Galois key \(element): the key field is missing") }
            let g = Int(element)
            keys[g] = try CKKSKeySwitchKey(serializedData: data, range: keyRange, context: context, what: "CKKS Galois key \(g)")
            permutations[g] = context.nttPermutation(galoisElement: g)
        }
        self.init(keys: keys, permutations: permutations, keyIdentifier: keyID, contextIdentifier: contextID)
    }
}

extension CKKSSecretKey {
    /// The key as a `bulwark.he.v1.CKKSSecretKey` message: its N ternary coefficients, one byte
    /// each. These bytes decrypt everything encrypted under the key — keep them secret (encrypted
    /// at rest) and wipe the array after use.
    public func serializedData(context: CKKSContext) throws(CryptoError) -> [UInt8] {
        try context.checkSame(contextIdentifier, "the secret key")
        let n = context.degree
        // Limb 0 back to coefficient form; each coefficient is −1, 0 or 1 (p − 1, 0, 1).
        var limb = Array(values[0..<n])
        context.transforms[0].inverse(&limb)
        let p = context.moduli[0].prime
        var ternary = [UInt8](repeating: 0, count: n)
        for k in 0..<n { ternary[k] = limb[k] == p - 1 ? 255 : UInt8(truncatingIfNeeded: limb[k]) }
        CKKSSampler.wipe(&limb)
        var w = CKKSProtoWriter()
        w.fixed64(1, contextIdentifier)
        w.fixed64(2, keyIdentifier)
        w.bytes(3, ternary)
        CKKSSampler.wipe(&ternary)
        return w.bytes
    }

    /// A secret key from a `bulwark.he.v1.CKKSSecretKey` message, checked against `context`:
    /// N coefficients, each 0, 1 or 255 (−1).
    public convenience init(serializedData data: [UInt8], context: CKKSContext) throws(CryptoError) {
        var r = CKKSProtoReader(data, what: "CKKS secret key")
        var contextID: UInt64 = 0, keyID: UInt64 = 0
        var range: Range<Int>?
        while let (number, wire) = try r.field() {
            switch number {
            case 1: try r.expect(wire, 1, field: "context_id"); contextID = try r.fixed64()
            case 2: try r.expect(wire, 1, field: "key_id"); keyID = try r.fixed64()
            case 3: try r.expect(wire, 2, field: "coefficients"); range = try r.lengthDelimited()
            default: try r.skip(wire)
            }
        }
        try context.checkSame(contextID, "the secret key")
        guard let range, range.count == context.degree else {
            throw CryptoError(.malformed, "CKKS secret key: expected \(context.degree) coefficients")
        }
        var ternary = [Int8](repeating: 0, count: context.degree)
        for (k, index) in range.enumerated() {
            switch data[index] {
            case 0: ternary[k] = 0
            case 1: ternary[k] = 1
            case 255: ternary[k] = -1
            default:
                CKKSSampler.wipe(&ternary)
                throw CryptoError(.malformed, "CKKS secret key: a coefficient is not −1, 0 or 1")
            }
        }
        self.init(context: context, ternary: ternary, keyIdentifier: keyID)
        CKKSSampler.wipe(&ternary)
    }
}
