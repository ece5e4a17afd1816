/// Length-prefixed framing of ``MPCChannel`` messages for a byte-stream transport (TCP/TLS):
/// each message travels as a 4-byte big-endian length and the message bytes.
///
/// The decoder reads untrusted bytes: it never traps, keeps at most one partial frame, and
/// refuses (`.malformed`) a declared length above ``maximumMessageBytes`` before buffering it,
/// so a peer cannot make it allocate without bound.
///
/// ```swift
/// var decoder = MPCFrameDecoder(maximumMessageBytes: 1 << 20)
/// let stream = MPCFrameDecoder.frame([1, 2, 3]) + MPCFrameDecoder.frame([])
/// let messages = try decoder.feed(Array(stream.prefix(5))) + decoder.feed(Array(stream.dropFirst(5)))
/// print(messages)  // [[1, 2, 3], []]
/// ```
public struct MPCFrameDecoder: Sendable {
    /// The largest message accepted, in bytes.
    public let maximumMessageBytes: Int
    private var buffer: [UInt8] = []

    /// A decoder that refuses messages above `maximumMessageBytes` (default 256 MiB, the largest
    /// a 4-byte length can carry being 4 GiB − 1).
    public init(maximumMessageBytes: Int = 256 << 20) {
        self.maximumMessageBytes = min(max(maximumMessageBytes, 0), Int(UInt32.max))
    }

    /// The frame of `message`: its length as 4 big-endian bytes, then the message.
    /// Precondition: the message is shorter than 4 GiB.
    public static func frame(_ message: [UInt8]) -> [UInt8] {
        precondition(message.count <= Int(UInt32.max), "MPC message of \(message.count) bytes is too long to frame")
        let length = UInt32(message.count)
        return [UInt8(length >> 24), UInt8(truncatingIfNeeded: length >> 16), UInt8(truncatingIfNeeded: length >> 8), UInt8(truncatingIfNeeded: length)] + message
    }

    /// The whole messages completed by `bytes` (in order), keeping any partial frame for the
    /// next call; throws `.malformed` for a frame that declares more than
    /// ``maximumMessageBytes``.
    public mutating func feed(_ bytes: [UInt8]) throws(CryptoError) -> [[UInt8]] {
        buffer += bytes
        var messages: [[UInt8]] = []
        var offset = 0
        while buffer.count - offset >= 4 {
            let length = Int(buffer[offset]) << 24 | Int(buffer[offset + 1]) << 16 | Int(buffer[offset + 2]) << 8 | Int(buffer[offset + 3])
            guard length <= maximumMessageBytes else {
                buffer = []
                throw CryptoError(.malformed, "MPC frame declares \(length) bytes, above the limit of \(maximumMessageBytes)")
            }
            guard buffer.count - offset - 4 >= length else { break }
            messages.append(Array(buffer[(offset + 4)..<(offset + 4 + length)]))
            offset += 4 + length
        }
        if offset > 0 { buffer.removeFirst(offset) }
        return messages
    }

    /// The number of bytes held of a frame not yet complete.
    public var pendingBytes: Int { buffer.count }
}
