import Crypto
public import Foundation

/// A SuperNode's identity on Flower's Fleet API: a P-384 (secp384r1) key pair. Every request
/// carries the public key (PEM, base64) and an ECDSA-SHA-256 signature (DER, base64) over the
/// current UTC timestamp; the SuperLink checks the signature, a five-minute window and that
/// the key belongs to the node id in the request.
///
/// A fresh identity (``init()``) registers itself with the SuperLink; a key loaded from a PEM
/// file (``init(privateKeyPEM:)``) is for SuperLinks started with `--enable-supernode-auth`,
/// where an operator registered its public key beforehand (`flwr supernode register`).
///
/// ```swift
/// let identity = FlowerNodeIdentity()
/// print(identity.publicKeyPEM.hasPrefix("-----BEGIN PUBLIC KEY-----"))  // true
/// ```
public struct FlowerNodeIdentity: Sendable {
    let privateKey: P384.Signing.PrivateKey
    /// Whether the node registers (and at the end unregisters) its key itself.
    public let selfRegistered: Bool

    /// A new random key pair; the node registers itself.
    public init() {
        privateKey = P384.Signing.PrivateKey()
        selfRegistered = true
    }

    /// The key pair of a PEM private key (PKCS#8 or SEC 1, P-384) whose public key an operator
    /// registered with the SuperLink; throws `invalidParameter` for another key or bad PEM.
    public init(privateKeyPEM: String) throws(FederatedError) {
        do { privateKey = try P384.Signing.PrivateKey(pemRepresentation: privateKeyPEM) } catch {
            throw FederatedError(.invalidParameter, "SuperNode private key: not a PEM P-384 (secp384r1) EC private key")
        }
        selfRegistered = false
    }

    /// The public key as PEM SubjectPublicKeyInfo, exactly the bytes Flower registers.
    public var publicKeyPEM: String { privateKey.publicKey.pemRepresentation + "\n" }

    /// The authentication headers of one request signed at `date`.
    func headers(at date: Date = Date()) throws(FederatedError) -> [(String, String)] {
        let timestamp = Self.isoTimestamp(date)
        let signature: P384.Signing.ECDSASignature
        do { signature = try privateKey.signature(for: SHA256.hash(data: Array(timestamp.utf8))) } catch {
            throw FederatedError(.invalidParameter, "cannot sign the SuperNode request timestamp")
        }
        return [
            ("flwr-public-key", Data(publicKeyPEM.utf8).base64EncodedString()),
            ("flwr-timestamp", timestamp),
            ("flwr-signature", signature.derRepresentation.base64EncodedString()),
        ]
    }

    /// `date` as Python's `datetime.isoformat()` writes an aware UTC time:
    /// `2026-01-05T15:42:01.123456+00:00`.
    static func isoTimestamp(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        let micros = Int((date.timeIntervalSince1970 - date.timeIntervalSince1970.rounded(.down)) * 1_000_000)
        func pad(_ value: Int?, _ width: Int) -> String {
            let text = String(value ?? 0)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(c.year, 4))-\(pad(c.month, 2))-\(pad(c.day, 2))T\(pad(c.hour, 2)):\(pad(c.minute, 2)):\(pad(c.second, 2)).\(pad(min(micros, 999_999), 6))+00:00"
    }
}
