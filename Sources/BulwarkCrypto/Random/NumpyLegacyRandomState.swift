/// numpy's legacy `np.random.RandomState` generator — the Mersenne Twister MT19937 (Matsumoto &
/// Nishimura 1998, "Mersenne Twister: a 623-dimensionally equidistributed uniform pseudo-random
/// number generator") with numpy's integer-seed initialisation and its masked-rejection
/// `randint` — reproduced bit for bit so that Bulwark draws the same masks as a Python peer that
/// seeds `RandomState` with the same value (Flower's SecAgg+ `pseudo_rand_gen`).
///
/// **Not cryptographically secure.** MT19937's output reveals its state after 624 words and its
/// seed here is only 32 bits; use it only where a protocol fixes this generator for
/// interoperability, never to make keys, nonces or masks of Bulwark's own protocols (those use
/// ``ChaCha20Generator``).
///
/// `randomIntegers(low:high:count:)` follows numpy's legacy path exactly: the range
/// `high − 1 − low` selects 32-bit draws when it fits in 32 bits and 64-bit draws (two words,
/// high word first) otherwise; each draw is masked to the range's bit length and rejected until
/// it falls inside. Cost: amortised two draws per value at worst.
///
/// ```swift
/// var generator = NumpyLegacyRandomState(seed: 5489)
/// let values = try generator.randomIntegers(low: 0, high: 4_294_967_295, count: 2)
/// print(values)  // [3499211612, 581869302], as np.random.RandomState(5489).randint(0, 2**32 - 1, 2)
/// ```
public struct NumpyLegacyRandomState: Sendable {
    private static let stateSize = 624
    private static let shift = 397
    private var state: [UInt32]
    private var index: Int

    /// The generator numpy's `RandomState(seed)` starts from (MT19937 `init_genrand`).
    public init(seed: UInt32) {
        var words = [UInt32](repeating: 0, count: Self.stateSize)
        words[0] = seed
        for i in 1..<Self.stateSize {
            let previous = words[i - 1]
            words[i] = 1_812_433_253 &* (previous ^ (previous >> 30)) &+ UInt32(i)
        }
        state = words
        index = Self.stateSize
    }

    /// The next 32-bit output word (numpy's `next_uint32`).
    public mutating func nextUInt32() -> UInt32 {
        if index >= Self.stateSize { twist() }
        var y = state[index]
        index += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C_5680
        y ^= (y << 15) & 0xEFC6_0000
        y ^= y >> 18
        return y
    }

    /// The next 64-bit output: two words, the first one high (numpy's legacy `next_uint64`).
    public mutating func nextUInt64() -> UInt64 {
        let high = UInt64(nextUInt32())
        return high << 32 | UInt64(nextUInt32())
    }

    /// `count` integers uniform in `low ..< high`, as numpy's
    /// `RandomState.randint(low, high, count, dtype=np.int64)` draws them (a scalar draw,
    /// `randint(low, high)`, is the same as `count` 1).
    ///
    /// Throws `invalidParameter` when `high <= low` (numpy's "low >= high") or `count` is negative.
    public mutating func randomIntegers(low: Int64, high: Int64, count: Int) throws(CryptoError) -> [Int64] {
        guard high > low else { throw CryptoError(.invalidParameter, "random integers: low \(low) must be below high \(high)") }
        guard count >= 0 else { throw CryptoError(.invalidParameter, "random integers: count \(count) is negative") }
        let range = UInt64(bitPattern: high &- low) &- 1  // the inclusive span, at most 2⁶⁴ − 2
        let offset = UInt64(bitPattern: low)
        var out = [Int64]()
        out.reserveCapacity(count)
        if range == 0 {
            return [Int64](repeating: low, count: count)
        }
        let mask = Self.mask(covering: range)
        if range <= 0xFFFF_FFFF {
            let range32 = UInt32(range), mask32 = UInt32(mask)
            for _ in 0..<count {
                var value: UInt32
                if range32 == 0xFFFF_FFFF {
                    value = nextUInt32()
                } else {
                    repeat { value = nextUInt32() & mask32 } while value > range32
                }
                out.append(Int64(bitPattern: offset &+ UInt64(value)))
            }
        } else {
            for _ in 0..<count {
                var value: UInt64
                if range == .max {
                    value = nextUInt64()
                } else {
                    repeat { value = nextUInt64() & mask } while value > range
                }
                out.append(Int64(bitPattern: offset &+ value))
            }
        }
        return out
    }

    /// The smallest all-ones mask covering `value` (numpy's `gen_mask`).
    static func mask(covering value: UInt64) -> UInt64 {
        var mask = value
        mask |= mask >> 1
        mask |= mask >> 2
        mask |= mask >> 4
        mask |= mask >> 8
        mask |= mask >> 16
        mask |= mask >> 32
        return mask
    }

    private mutating func twist() {
        let n = Self.stateSize, m = Self.shift
        for i in 0..<n {
            let y = (state[i] & 0x8000_0000) | (state[(i + 1) % n] & 0x7FFF_FFFF)
            var next = state[(i + m) % n] ^ (y >> 1)
            if y & 1 != 0 { next ^= 0x9908_B0DF }
            state[i] = next
        }
        index = 0
    }
}
