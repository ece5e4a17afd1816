/// The ChaCha20 stream cipher of RFC 8439 (§2.3–2.4): Bulwark's cryptographic pseudo-random
/// generator, used to expand a 32-byte seed into masks and secret coefficients.
///
/// Written from the RFC: the state is the four constants `"expand 32-byte k"`, the eight key
/// words, a 32-bit block counter and the three nonce words (all little-endian); the block
/// function runs 20 rounds (ten column-then-diagonal double rounds of the quarter round
/// `a += b; d ^= a; d <<<= 16; c += d; b ^= c; b <<<= 12; a += b; d ^= a; d <<<= 8; c += d; b ^= c; b <<<= 7`)
/// and adds the input state back; the keystream is the blocks' 64 bytes for counters
/// `counter, counter + 1, …`. Four blocks are computed at once in 4-lane SIMD words.
///
/// As a generator, a 32-byte seed is the key, the nonce names the stream (zero unless the caller
/// separates several streams under one key) and words are read as little-endian `UInt64`s from
/// the keystream, so the output is fixed by the RFC and reproducible on any platform. A stream is
/// 2³² blocks (256 GiB) long under RFC 8439's 32-bit counter; past that the counter carries into
/// the first nonce word, the original 64-bit-counter layout of ChaCha, rather than repeating.
///
/// Security: ChaCha20 is a PRF under its key; the output is indistinguishable from random for a
/// uniformly random, secret 32-byte key. It gives no integrity — it is not used here to encrypt
/// (shares travel under AES-GCM).
///
/// ```swift
/// var stream = try ChaCha20(key: [UInt8](repeating: 7, count: 32))
/// var words = [UInt64](repeating: 0, count: 4)
/// stream.fill(&words)
/// print(words.count)  // 4 pseudo-random words, the same on every run for this key
/// ```
public struct ChaCha20: Sendable {
    private var key: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32)
    private var nonce: (UInt32, UInt32, UInt32)
    private var counter: UInt32
    /// Keystream produced but not yet handed out (a whole batch of four blocks at most).
    private var buffered: [UInt8] = []
    private var bufferedOffset = 0

    /// A cipher keyed by the 32 bytes of `key`, for the stream named by the 12 bytes of `nonce`,
    /// starting at block `counter`; throws `invalidParameter` for other key or nonce lengths.
    public init(key: some Collection<UInt8>, nonce: some Collection<UInt8> = [UInt8](repeating: 0, count: 12), counter: UInt32 = 0) throws(CryptoError) {
        let keyBytes = Array(key), nonceBytes = Array(nonce)
        guard keyBytes.count == 32 else { throw CryptoError(.invalidParameter, "ChaCha20 key of \(keyBytes.count) bytes, expected 32") }
        guard nonceBytes.count == 12 else { throw CryptoError(.invalidParameter, "ChaCha20 nonce of \(nonceBytes.count) bytes, expected 12") }
        self.init(checkedKey: keyBytes, nonce: nonceBytes, counter: counter)
    }

    /// A cipher from a key of exactly 32 bytes and a nonce of exactly 12.
    private init(checkedKey keyBytes: [UInt8], nonce nonceBytes: [UInt8], counter: UInt32) {
        func word(_ bytes: [UInt8], _ index: Int) -> UInt32 {
            UInt32(bytes[4 * index]) | UInt32(bytes[4 * index + 1]) << 8 | UInt32(bytes[4 * index + 2]) << 16 | UInt32(bytes[4 * index + 3]) << 24
        }
        self.key = (word(keyBytes, 0), word(keyBytes, 1), word(keyBytes, 2), word(keyBytes, 3),
                    word(keyBytes, 4), word(keyBytes, 5), word(keyBytes, 6), word(keyBytes, 7))
        self.nonce = (word(nonceBytes, 0), word(nonceBytes, 1), word(nonceBytes, 2))
        self.counter = counter
    }

    /// A cipher for `seed` (32 bytes, from this module's own generators), nonce and counter zero.
    init(seed: [UInt8]) {
        precondition(seed.count == 32, "ChaCha20 seed of \(seed.count) bytes")
        self.init(checkedKey: seed, nonce: [UInt8](repeating: 0, count: 12), counter: 0)
    }

    /// The 64-byte block for `counter` of the stream keyed by `key` under `nonce` (RFC 8439
    /// §2.3, the function its test vectors in §2.3.2 and A.1 check).
    public static func block(key: some Collection<UInt8>, nonce: some Collection<UInt8>, counter: UInt32) throws(CryptoError) -> [UInt8] {
        var cipher = try ChaCha20(key: key, nonce: nonce, counter: counter)
        return cipher.keystream(count: 64)
    }

    /// The next `count` bytes of keystream.
    public mutating func keystream(count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: max(0, count))
        out.withUnsafeMutableBytes { fill($0) }
        return out
    }

    /// `data` XORed with the next `data.count` bytes of keystream: encryption and decryption
    /// (RFC 8439 §2.4; no authentication — for test vectors and streams, not for messages).
    public mutating func xor(_ data: [UInt8]) -> [UInt8] {
        var stream = keystream(count: data.count)
        for index in stream.indices { stream[index] ^= data[index] }
        return stream
    }

    /// Fills `words` with the next `8 · words.count` bytes of keystream, each word read
    /// little-endian.
    public mutating func fill(_ words: inout [UInt64]) {
        words.withUnsafeMutableBytes { fill($0) }
        #if _endian(big)
        for index in words.indices { words[index] = UInt64(littleEndian: words[index]) }
        #endif
    }

    /// Fills `bytes` with the next `bytes.count` bytes of keystream.
    public mutating func fill(_ bytes: UnsafeMutableRawBufferPointer) {
        guard var destination = bytes.baseAddress else { return }
        var remaining = bytes.count
        // Whatever a previous call left in the buffer comes first.
        if bufferedOffset < buffered.count {
            let take = min(remaining, buffered.count - bufferedOffset)
            buffered.withUnsafeBytes { source in
                destination.copyMemory(from: source.baseAddress! + bufferedOffset, byteCount: take)
            }
            bufferedOffset += take
            destination += take
            remaining -= take
        }
        // Whole batches of four blocks straight into the destination.
        while remaining >= 256 {
            nextFourBlocks(into: destination)
            destination += 256
            remaining -= 256
        }
        // A tail shorter than a batch: keep the rest for the next call.
        if remaining > 0 {
            var batch = [UInt8](repeating: 0, count: 256)
            batch.withUnsafeMutableBytes { nextFourBlocks(into: $0.baseAddress!) }
            batch.withUnsafeBytes { destination.copyMemory(from: $0.baseAddress!, byteCount: remaining) }
            buffered = batch
            bufferedOffset = remaining
        }
    }

    /// Writes the four blocks `counter … counter + 3` (256 bytes) and advances the counter.
    private mutating func nextFourBlocks(into destination: UnsafeMutableRawPointer) {
        let base = counter
        let counters = SIMD4<UInt32>(base, base &+ 1, base &+ 2, base &+ 3)
        // A 32-bit counter that wraps inside this batch carries into the first nonce word.
        let carry = SIMD4<UInt32>(0, base > base &+ 1 ? 1 : 0, base > base &+ 2 ? 1 : 0, base > base &+ 3 ? 1 : 0)
        let i0 = SIMD4<UInt32>(repeating: 0x6170_7865), i1 = SIMD4<UInt32>(repeating: 0x3320_646E)
        let i2 = SIMD4<UInt32>(repeating: 0x7962_2D32), i3 = SIMD4<UInt32>(repeating: 0x6B20_6574)
        let i4 = SIMD4<UInt32>(repeating: key.0), i5 = SIMD4<UInt32>(repeating: key.1)
        let i6 = SIMD4<UInt32>(repeating: key.2), i7 = SIMD4<UInt32>(repeating: key.3)
        let i8 = SIMD4<UInt32>(repeating: key.4), i9 = SIMD4<UInt32>(repeating: key.5)
        let i10 = SIMD4<UInt32>(repeating: key.6), i11 = SIMD4<UInt32>(repeating: key.7)
        let i12 = counters, i13 = SIMD4<UInt32>(repeating: nonce.0) &+ carry
        let i14 = SIMD4<UInt32>(repeating: nonce.1), i15 = SIMD4<UInt32>(repeating: nonce.2)
        var x0 = i0, x1 = i1, x2 = i2, x3 = i3, x4 = i4, x5 = i5, x6 = i6, x7 = i7
        var x8 = i8, x9 = i9, x10 = i10, x11 = i11, x12 = i12, x13 = i13, x14 = i14, x15 = i15
        for _ in 0..<10 {
            Self.quarterRound(&x0, &x4, &x8, &x12)
            Self.quarterRound(&x1, &x5, &x9, &x13)
            Self.quarterRound(&x2, &x6, &x10, &x14)
            Self.quarterRound(&x3, &x7, &x11, &x15)
            Self.quarterRound(&x0, &x5, &x10, &x15)
            Self.quarterRound(&x1, &x6, &x11, &x12)
            Self.quarterRound(&x2, &x7, &x8, &x13)
            Self.quarterRound(&x3, &x4, &x9, &x14)
        }
        // Lane b of word w is word w of block b: transpose into four consecutive 64-byte blocks.
        let words = destination.assumingMemoryBound(to: UInt32.self)
        @inline(__always) func store(_ w: Int, _ lanes: SIMD4<UInt32>) {
            words[w] = lanes[0].littleEndian
            words[16 + w] = lanes[1].littleEndian
            words[32 + w] = lanes[2].littleEndian
            words[48 + w] = lanes[3].littleEndian
        }
        store(0, x0 &+ i0); store(1, x1 &+ i1); store(2, x2 &+ i2); store(3, x3 &+ i3)
        store(4, x4 &+ i4); store(5, x5 &+ i5); store(6, x6 &+ i6); store(7, x7 &+ i7)
        store(8, x8 &+ i8); store(9, x9 &+ i9); store(10, x10 &+ i10); store(11, x11 &+ i11)
        store(12, x12 &+ i12); store(13, x13 &+ i13); store(14, x14 &+ i14); store(15, x15 &+ i15)
        counter = base &+ 4
        if counter < base { nonce.0 &+= 1 }
    }

    /// The quarter round on four blocks at once. Rotations are written `(x << n) &+ (x >> (32 − n))`
    /// (equal to `|`, the bits do not overlap): LLVM turns the `|` form into a rotate, which SSE2
    /// has no vector instruction for, and then extracts every lane to rotate it alone — half the
    /// speed.
    @inline(__always)
    private static func quarterRound(_ a: inout SIMD4<UInt32>, _ b: inout SIMD4<UInt32>, _ c: inout SIMD4<UInt32>, _ d: inout SIMD4<UInt32>) {
        a &+= b; d ^= a; d = (d &<< 16) &+ (d &>> 16)
        c &+= d; b ^= c; b = (b &<< 12) &+ (b &>> 20)
        a &+= b; d ^= a; d = (d &<< 8) &+ (d &>> 24)
        c &+= d; b ^= c; b = (b &<< 7) &+ (b &>> 25)
    }
}

/// A `RandomNumberGenerator` that reads `UInt64`s from a ``ChaCha20`` keystream: the seeded,
/// cryptographic generator for everything secret that Bulwark's protocols draw (Shamir
/// coefficients, key seeds) when the caller fixes a seed.
///
/// Security: the stream is only as secret as its seed; a seed must be 32 uniformly random
/// bytes kept secret and never reused across protocol runs. ``init()`` draws one from the
/// system's generator.
///
/// ```swift
/// var generator = try ChaCha20Generator(seed: [UInt8](repeating: 1, count: 32))
/// let share = MersenneField.random(using: &generator)
/// print(share.value < MersenneField.modulus)  // true
/// ```
public struct ChaCha20Generator: RandomNumberGenerator, Sendable {
    private var cipher: ChaCha20
    private var words = [UInt64](repeating: 0, count: 32)
    private var position = 32

    /// A generator whose stream is ChaCha20 keyed by the 32 bytes of `seed` (nonce zero, counter
    /// zero); throws `invalidParameter` for another length.
    public init(seed: some Collection<UInt8>) throws(CryptoError) {
        cipher = try ChaCha20(key: seed)
    }

    /// A generator seeded with 32 bytes from the system's cryptographic generator.
    public init() {
        var system = SystemRandomNumberGenerator()
        let seed = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &system) }
        // Thirty-two bytes is always a valid key.
        cipher = ChaCha20(seed: seed)
    }

    /// The next little-endian word of the keystream.
    public mutating func next() -> UInt64 {
        if position == words.count {
            cipher.fill(&words)
            position = 0
        }
        defer { position += 1 }
        return words[position]
    }

    /// `count` uniformly random bytes from the stream.
    public mutating func bytes(count: Int) -> [UInt8] {
        (0..<max(0, count)).map { _ in UInt8(truncatingIfNeeded: next()) }
    }
}
