internal import Glibc

/// An IPv4 or IPv6 address, as `context.address` holds it.
///
/// An IPv4-mapped IPv6 address (`::ffff:10.1.2.3`) is stored as the IPv4 address it maps, so
/// IPv4 networks match clients that reach a dual-stack socket. Zone indices (`fe80::1%eth0`)
/// are refused.
///
/// ```swift
/// let client = IPAddress("2001:db8::7")
/// ```
public struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    /// The 4 (IPv4) or 16 (IPv6) address bytes in network order.
    public let bytes: [UInt8]
    /// The text the address was parsed from.
    public let description: String

    /// Parses dotted-quad IPv4 or RFC 4291 IPv6 text (via `inet_pton`); nil if malformed.
    public init?(_ text: String) {
        guard !text.isEmpty, text.count <= 45, !text.contains("%") else { return nil }
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            bytes = withUnsafeBytes(of: &v4) { Array($0) }
            description = text
            return
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
        let raw = withUnsafeBytes(of: &v6) { Array($0) }
        let mappedPrefix: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF]
        bytes = Array(raw[0..<12]) == mappedPrefix ? Array(raw[12..<16]) : raw
        description = text
    }
}

/// A CIDR network (`10.0.0.0/8`, `2001:db8::/32`) that `context.address` can belong to.
///
/// Parsing is strict: the prefix length must be present and fit the family, and the address
/// must have no bits set past the prefix (`10.0.0.1/8` is refused, as a likely typo).
public struct IPNetwork: Sendable, Hashable, CustomStringConvertible {
    /// The network's first address.
    public let address: IPAddress
    /// The number of leading bits that must match (an IPv4-mapped IPv6 network counts the
    /// bits of the IPv4 address it maps: `::ffff:10.0.0.0/104` has 8).
    public let prefixLength: Int

    /// The network in CIDR notation, as written.
    public let description: String

    /// Parses `address/prefix`; nil if either part is malformed or host bits are set.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let address = IPAddress(String(parts[0])),
              parts[1].count <= 3, parts[1].allSatisfy({ $0.isASCII && $0.isNumber }), let length = Int(parts[1])
        else { return nil }
        var prefix = length
        // An IPv4-mapped IPv6 network (::ffff:0:0/96 and longer) becomes the IPv4 network it maps.
        if address.bytes.count == 4, String(parts[0]).contains(":") {
            guard length >= 96 else { return nil }
            prefix = length - 96
        }
        guard prefix <= address.bytes.count * 8 else { return nil }
        self.address = address
        self.prefixLength = prefix
        self.description = text
        for (index, byte) in address.bytes.enumerated() where byte & ~Self.mask(byteIndex: index, prefix: prefix) != 0 {
            return nil
        }
    }

    /// Whether `candidate` lies in this network; an address of the other family never does.
    public func contains(_ candidate: IPAddress) -> Bool {
        guard candidate.bytes.count == address.bytes.count else { return false }
        for index in 0..<address.bytes.count {
            let mask = Self.mask(byteIndex: index, prefix: prefixLength)
            if mask == 0 { return true }
            if candidate.bytes[index] & mask != address.bytes[index] { return false }
        }
        return true
    }

    /// The mask of network bits in byte `byteIndex` for a prefix of `prefix` bits.
    private static func mask(byteIndex: Int, prefix: Int) -> UInt8 {
        let bits = min(max(prefix - byteIndex * 8, 0), 8)
        return bits == 0 ? 0 : UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
    }
}
