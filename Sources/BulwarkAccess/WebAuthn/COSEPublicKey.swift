public import Crypto

/// A credential public key read from a COSE_Key (RFC 9052 §7, RFC 9053 §2.1 and §7.1).
///
/// Only ES256 is supported: key type EC2 (`kty` 2), algorithm ECDSA w/ SHA-256 (`alg` -7),
/// curve P-256 (`crv` 1), with 32-byte `x` and `y` coordinates of a point on the curve. Any other
/// algorithm or key type is refused with an error that lists what is supported.
///
/// ```swift
/// let coseKey: [UInt8] = [0xa1, 0x01, 0x01]  // {1: 1}: an OKP key, not EC2
/// do {
///     let key = try COSEPublicKey(coseKey: coseKey)
///     print(key.isValidSignature([], for: []))
/// } catch {
///     print(error)  // credential public key: missing integer alg (label 3)
/// }
/// ```
public struct COSEPublicKey: Sendable, Equatable {
    /// The algorithms a credential may use, for the error message and `pubKeyCredParams`.
    public static let supportedAlgorithmsDescription = "ES256 (COSE alg -7, EC2 key on P-256)"

    /// The COSE algorithm identifier of ES256 (RFC 9053 §2.1).
    public static let es256: Int = -7

    /// The key, ready to verify ECDSA signatures.
    public let publicKey: P256.Signing.PublicKey

    /// The COSE_Key bytes this key was read from, as a store keeps them.
    public let coseKey: [UInt8]

    /// Reads a COSE_Key encoded as one CBOR map spanning all of `coseKey`.
    ///
    /// - Throws: ``AccessError`` `.malformed` when the bytes are not a CBOR map with the required
    ///   labels; `.invalidParameter` when the key is not ES256 on P-256.
    public init(coseKey: [UInt8]) throws(AccessError) {
        let value: CBORValue
        do { value = try CBORReader.decodeWhole(coseKey) } catch {
            throw AccessError(.malformed, "credential public key: not CBOR (\(error.reason) at byte \(error.offset))")
        }
        try self.init(decoded: value, bytes: coseKey)
    }

    /// Reads a COSE_Key already decoded from `bytes`.
    package init(decoded value: CBORValue, bytes: [UInt8]) throws(AccessError) {
        guard case .map = value else { throw AccessError(.malformed, "credential public key: expected a COSE_Key map") }
        guard let kty = value[intKey: 1]?.integer else {
            throw AccessError(.malformed, "credential public key: missing integer kty (label 1)")
        }
        guard let alg = value[intKey: 3]?.integer else {
            throw AccessError(.malformed, "credential public key: missing integer alg (label 3)")
        }
        guard alg == Self.es256 else {
            throw AccessError(.invalidParameter, "credential public key: algorithm \(alg) is not supported; supported: \(Self.supportedAlgorithmsDescription)")
        }
        guard kty == 2 else {
            throw AccessError(.invalidParameter, "credential public key: key type \(kty) is not supported; supported: \(Self.supportedAlgorithmsDescription)")
        }
        guard let crv = value[intKey: -1]?.integer, crv == 1 else {
            throw AccessError(.invalidParameter, "credential public key: curve must be P-256 (crv 1); supported: \(Self.supportedAlgorithmsDescription)")
        }
        guard case .bytes(let x) = value[intKey: -2], x.count == 32 else {
            throw AccessError(.malformed, "credential public key: x (label -2) must be a 32-byte string")
        }
        guard case .bytes(let y) = value[intKey: -3], y.count == 32 else {
            throw AccessError(.malformed, "credential public key: y (label -3) must be a 32-byte string")
        }
        do {
            publicKey = try P256.Signing.PublicKey(x963Representation: [0x04] + x + y)
        } catch {
            throw AccessError(.malformed, "credential public key: (x, y) is not a point on P-256", underlying: error)
        }
        coseKey = bytes
    }

    /// The key as an uncompressed SEC 1 point, `04 ‖ x ‖ y` (65 bytes).
    package var uncompressedPoint: [UInt8] { Array(publicKey.x963Representation) }

    /// Equal when the COSE_Key bytes are: one encoding, one key.
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.coseKey == rhs.coseKey }

    /// Whether `derSignature` (an ASN.1 DER ECDSA signature, as WebAuthn sends it) verifies over
    /// `message` with SHA-256. Malformed signatures verify as `false`.
    public func isValidSignature(_ derSignature: [UInt8], for message: [UInt8]) -> Bool {
        guard let signature = try? P256.Signing.ECDSASignature(derRepresentation: derSignature) else { return false }
        return publicKey.isValidSignature(signature, for: message)
    }
}
