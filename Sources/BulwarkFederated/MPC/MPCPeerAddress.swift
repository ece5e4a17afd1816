public import BulwarkCrypto
import Foundation

/// Where a party of a multi-party computation listens: a host name or IP address and a TCP port.
///
/// ```swift
/// let address = try MPCPeerAddress(parsing: "127.0.0.1:9000")
/// print(address.host, address.port)  // 127.0.0.1 9000
/// print(try MPCPeerAddress.list("a:1,[::1]:2").map(\.description))  // ["a:1", "[::1]:2"]
/// ```
public struct MPCPeerAddress: Sendable, Hashable, CustomStringConvertible {
    /// A host name, an IPv4 address, or an IPv6 address (without brackets).
    public var host: String
    /// A TCP port, 1…65535.
    public var port: Int

    /// An address from its parts.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `host:port` (an IPv6 host in brackets, `[::1]:9000`).
    /// - Throws: `.invalidParameter` naming the text when there is no host or the port is not 1…65535.
    public init(parsing text: String) throws(CryptoError) {
        let bad = CryptoError(.invalidParameter, "peer address '\(text.prefix(80))' is not host:port (port 1…65535)")
        guard let colon = text.lastIndex(of: ":") else { throw bad }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, host.count <= 253, !host.contains(where: { $0.isWhitespace || $0 == "/" }),
              let port = Int(text[text.index(after: colon)...]), (1...65_535).contains(port) else { throw bad }
        self.init(host: host, port: port)
    }

    /// The addresses of a comma-separated list, in order (index = party id).
    public static func list(_ text: String) throws(CryptoError) -> [MPCPeerAddress] {
        var out: [MPCPeerAddress] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            out.append(try MPCPeerAddress(parsing: part.trimmingCharacters(in: .whitespaces)))
        }
        return out
    }

    /// `host:port`, with brackets around an IPv6 host.
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
