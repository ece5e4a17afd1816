import Foundation
import Crypto
import _CryptoExtras

/// Fernet tokens (the `cryptography` package's `cryptography.fernet` specification):
/// AES-128-CBC with PKCS#7 padding, authenticated by HMAC-SHA256 (encrypt-then-MAC), written as
/// URL-safe base64 of `0x80 ‖ timestamp (8 bytes, big-endian) ‖ IV (16) ‖ ciphertext ‖ tag (32)`.
///
/// The 32-byte key is split into a 16-byte signing key (first half) and a 16-byte encryption
/// key (second half). ``decrypt(_:)`` checks the version byte and the tag (in constant time)
/// before decrypting, and reports every failure as the same coarse `verificationFailed`, so a
/// remote sender learns nothing about which part was wrong. It does not enforce an age limit
/// (like `Fernet.decrypt` without `ttl`).
///
/// ```swift
/// let fernet = try Fernet(key: [UInt8](repeating: 7, count: 32))
/// let token = try fernet.encrypt(Array("hello".utf8))
/// print(try fernet.decrypt(token) == Array("hello".utf8))  // true
/// ```
public struct Fernet: Sendable {
    private let signingKey: SymmetricKey
    private let encryptionKey: SymmetricKey

    /// A Fernet instance for 32 raw key bytes; throws `invalidParameter` for another length.
    public init(key: [UInt8]) throws(CryptoError) {
        guard key.count == 32 else { throw CryptoError(.invalidParameter, "a Fernet key is 32 bytes, got \(key.count)") }
        signingKey = SymmetricKey(data: key[0..<16])
        encryptionKey = SymmetricKey(data: key[16..<32])
    }

    /// A Fernet instance for a key in its usual text form, URL-safe base64 of 32 bytes (what
    /// `Fernet.generate_key()` returns); throws `invalidParameter` for anything else.
    public init(base64URLKey: [UInt8]) throws(CryptoError) {
        guard let raw = Base64URL.decode(base64URLKey), raw.count == 32 else {
            throw CryptoError(.invalidParameter, "a Fernet key is URL-safe base64 of 32 bytes")
        }
        try self.init(key: raw)
    }

    /// The token for `plaintext` (ASCII bytes of URL-safe base64 with padding), stamped with
    /// `timestamp` (seconds since 1970; now by default) and encrypted under `iv` (fresh random
    /// bytes by default; pass one only to reproduce a known answer).
    public func encrypt(_ plaintext: [UInt8], timestamp: UInt64? = nil, iv: [UInt8]? = nil) throws(CryptoError) -> [UInt8] {
        let seconds = timestamp ?? UInt64(max(0, Date().timeIntervalSince1970))
        let ivBytes: [UInt8]
        if let iv {
            guard iv.count == 16 else { throw CryptoError(.invalidParameter, "a Fernet IV is 16 bytes, got \(iv.count)") }
            ivBytes = iv
        } else {
            var generator = SystemRandomNumberGenerator()
            ivBytes = (0..<16).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        }
        let ciphertext: Data
        do {
            ciphertext = try AES._CBC.encrypt(plaintext, using: encryptionKey, iv: AES._CBC.IV(ivBytes: ivBytes))
        } catch {
            throw CryptoError(.invalidParameter, "Fernet encryption failed")
        }
        var token: [UInt8] = [0x80]
        withUnsafeBytes(of: seconds.bigEndian) { token.append(contentsOf: $0) }
        token += ivBytes
        token += ciphertext
        token += Array(HMAC<SHA256>.authenticationCode(for: token, using: signingKey))
        return Base64URL.encode(token)
    }

    /// The plaintext of `token`; throws `verificationFailed` (one coarse message) when the token
    /// is not base64, too short, of another version, fails its tag or does not decrypt.
    public func decrypt(_ token: [UInt8]) throws(CryptoError) -> [UInt8] {
        let failure = CryptoError(.verificationFailed, "Fernet token does not verify")
        guard let raw = Base64URL.decode(token), raw.count >= 1 + 8 + 16 + 16 + 32, raw[0] == 0x80,
              (raw.count - (1 + 8 + 16 + 32)) % 16 == 0 else { throw failure }
        let body = raw[0..<(raw.count - 32)]
        let tag = raw[(raw.count - 32)...]
        guard HMAC<SHA256>.isValidAuthenticationCode(tag, authenticating: body, using: signingKey) else { throw failure }
        let iv = raw[9..<25]
        do {
            return Array(try AES._CBC.decrypt(raw[25..<(raw.count - 32)], using: encryptionKey, iv: AES._CBC.IV(ivBytes: iv)))
        } catch {
            throw failure
        }
    }
}

/// URL-safe base64 (RFC 4648 §5) with `=` padding, as Python's `base64.urlsafe_b64encode`.
public enum Base64URL {
    /// The ASCII bytes of `bytes` in URL-safe base64, padded.
    public static func encode(_ bytes: some Collection<UInt8>) -> [UInt8] {
        Array(Data(bytes).base64EncodedString().utf8).map { $0 == UInt8(ascii: "+") ? UInt8(ascii: "-") : $0 == UInt8(ascii: "/") ? UInt8(ascii: "_") : $0 }
    }

    /// The bytes encoded by URL-safe base64 text (padded), or nil when it is not.
    public static func decode(_ text: some Collection<UInt8>) -> [UInt8]? {
        var standard = [UInt8]()
        standard.reserveCapacity(text.count)
        for byte in text {
            switch byte {
            case UInt8(ascii: "-"): standard.append(UInt8(ascii: "+"))
            case UInt8(ascii: "_"): standard.append(UInt8(ascii: "/"))
            case UInt8(ascii: "+"), UInt8(ascii: "/"): return nil
            default: standard.append(byte)
            }
        }
        guard let string = String(bytes: standard, encoding: .ascii), let data = Data(base64Encoded: string) else { return nil }
        return [UInt8](data)
    }
}
