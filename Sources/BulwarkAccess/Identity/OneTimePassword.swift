public import Foundation
import Crypto

/// The HMAC hash of a one-time password generator.
public enum OTPAlgorithm: String, Codable, Sendable, CaseIterable {
    /// HMAC-SHA-1: RFC 4226's function and what authenticator apps assume by default.
    case sha1 = "SHA1"
    /// HMAC-SHA-256 (RFC 6238 §1.2).
    case sha256 = "SHA256"
    /// HMAC-SHA-512 (RFC 6238 §1.2).
    case sha512 = "SHA512"

    /// The HMAC of `message` under `key`.
    func mac(key: [UInt8], message: [UInt8]) -> [UInt8] {
        let symmetricKey = SymmetricKey(data: key)
        switch self {
        case .sha1: return Array(HMAC<Insecure.SHA1>.authenticationCode(for: message, using: symmetricKey))
        case .sha256: return Array(HMAC<SHA256>.authenticationCode(for: message, using: symmetricKey))
        case .sha512: return Array(HMAC<SHA512>.authenticationCode(for: message, using: symmetricKey))
        }
    }
}

/// HOTP, the HMAC-based one-time password of RFC 4226 ("HOTP: An HMAC-Based One-Time Password
/// Algorithm"): HMAC of an 8-byte big-endian counter, dynamic truncation (§5.3) to 31 bits, the
/// last `digits` decimal digits.
///
/// ```swift
/// HOTP.code(secret: Array("12345678901234567890".utf8), counter: 0)   // "755224"
/// ```
public enum HOTP {
    /// The `digits`-digit code (zero-padded) for `counter`. `digits` outside 6...8 is clamped
    /// into that range (RFC 4226 §5.3; ``TOTP`` checks it on creation).
    public static func code(secret: [UInt8], counter: UInt64, digits: Int = 6, algorithm: OTPAlgorithm = .sha1) -> String {
        let digits = Swift.min(Swift.max(digits, 6), 8)
        let message = (0..<8).map { UInt8(truncatingIfNeeded: counter >> (56 - 8 * UInt64($0))) }
        let mac = algorithm.mac(key: secret, message: message)
        let offset = Int(mac[mac.count - 1] & 0x0F)
        let binary = (UInt32(mac[offset] & 0x7F) << 24) | (UInt32(mac[offset + 1]) << 16)
            | (UInt32(mac[offset + 2]) << 8) | UInt32(mac[offset + 3])
        var modulus: UInt32 = 1
        for _ in 0..<digits { modulus *= 10 }
        let value = String(binary % modulus)
        return String(repeating: "0", count: digits - value.count) + value
    }
}

/// A TOTP credential (RFC 6238, "TOTP: Time-Based One-Time Password Algorithm"): HOTP over the
/// time step `floor(unixTime / periodSeconds)` (T0 = 0).
///
/// The defaults — SHA-1, 6 digits, 30 s — are what authenticator apps support everywhere.
/// ``verify(_:at:lastAcceptedStep:window:)`` accepts the current step ±1 (clock drift and typing
/// time, RFC 6238 §5.2) and returns the matched step; the caller stores it and passes it back
/// next time, so a code of that step or an earlier one is refused as replayed (§5.2: "the
/// verifier MUST NOT accept the second attempt of the OTP after the successful validation").
///
/// The secret is stored as given (the store encrypts it at rest); `description` never shows it.
///
/// ```swift
/// let totp = try TOTP.generate()
/// let uri = try totp.provisioningURI(issuer: "Bulwark", account: "ada@example.com")   // for the QR code
/// let typed = try totp.code(at: .now)                                                   // what the app shows
/// let step = try totp.verify(typed, at: .now, lastAcceptedStep: nil)                    // store `step`
/// // try totp.verify(typed, at: .now, lastAcceptedStep: step) now throws: already used
/// ```
public struct TOTP: Codable, Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The shared secret key K.
    public let secret: [UInt8]
    /// The HMAC hash.
    public let algorithm: OTPAlgorithm
    /// Digits per code, 6...8.
    public let digits: Int
    /// Seconds per time step X, 15...300.
    public let periodSeconds: Int

    /// A credential with a given secret.
    ///
    /// - Throws: ``AccessError`` `.invalidParameter` for a secret shorter than 16 bytes (RFC
    ///   4226 §4 R6 requires 128 bits) or longer than 128, `digits` outside 6...8, or a period
    ///   outside 15...300 s.
    public init(secret: [UInt8], algorithm: OTPAlgorithm = .sha1, digits: Int = 6, periodSeconds: Int = 30) throws(AccessError) {
        guard (16...128).contains(secret.count) else {
            throw AccessError(.invalidParameter, "TOTP secret: \(secret.count) bytes, expected 16...128")
        }
        guard (6...8).contains(digits) else { throw AccessError(.invalidParameter, "TOTP digits \(digits): expected 6...8") }
        guard (15...300).contains(periodSeconds) else {
            throw AccessError(.invalidParameter, "TOTP period \(periodSeconds) s: expected 15...300")
        }
        self.secret = secret
        self.algorithm = algorithm
        self.digits = digits
        self.periodSeconds = periodSeconds
    }

    /// A credential with a fresh random secret as long as the hash's output (20 bytes for
    /// SHA-1, RFC 4226's recommended 160 bits).
    public static func generate(algorithm: OTPAlgorithm = .sha1, digits: Int = 6, periodSeconds: Int = 30) throws(AccessError) -> TOTP {
        let length: Int
        switch algorithm {
        case .sha1: length = 20
        case .sha256: length = 32
        case .sha512: length = 64
        }
        return try TOTP(secret: SecretBytes.random(count: length), algorithm: algorithm, digits: digits, periodSeconds: periodSeconds)
    }

    /// The time step containing `date`.
    ///
    /// - Throws: ``AccessError`` `.invalidParameter` for a date before 1970 or beyond year 10000.
    public func timeStep(at date: Date) throws(AccessError) -> UInt64 {
        let seconds = date.timeIntervalSince1970
        guard seconds >= 0, seconds < 253_402_300_800 else {
            throw AccessError(.invalidParameter, "TOTP time: expected a date between 1970 and 9999")
        }
        return UInt64(seconds) / UInt64(periodSeconds)
    }

    /// The code for time step `step`.
    public func code(forStep step: UInt64) -> String {
        HOTP.code(secret: secret, counter: step, digits: digits, algorithm: algorithm)
    }

    /// The code shown at `date`.
    public func code(at date: Date) throws(AccessError) -> String {
        code(forStep: try timeStep(at: date))
    }

    /// Checks `code` (spaces ignored) against the steps within `window` of the one at `now` and
    /// returns the matched step, which the caller stores as the new `lastAcceptedStep`. `window`
    /// is capped at 10 steps.
    ///
    /// Every candidate is computed and compared in constant time whatever matches; the newest
    /// matching step wins.
    ///
    /// - Throws: ``AccessError`` `.unauthenticated`, "TOTP code is not valid" when nothing
    ///   matches (or the input is not `digits` digits), or "TOTP code was already used" when it
    ///   matches only a step at or before `lastAcceptedStep`. Never quotes the code.
    public func verify(_ code: String, at now: Date, lastAcceptedStep: UInt64?, window: UInt64 = 1) throws(AccessError) -> UInt64 {
        let invalid = AccessError(.unauthenticated, "TOTP code is not valid")
        let entered = Array(code.utf8.filter { $0 != UInt8(ascii: " ") })
        guard entered.count == digits, entered.allSatisfy({ (0x30...0x39).contains($0) }) else { throw invalid }
        let current = try timeStep(at: now)
        let window = Swift.min(window, 10)
        let first = current >= window ? current - window : 0
        var fresh: UInt64?
        var replayed = false
        for step in first...(current + window) {
            let matches = SecretBytes.constantTimeEquals(Array(self.code(forStep: step).utf8), entered)
            let used = lastAcceptedStep.map { step <= $0 } ?? false
            if matches && used { replayed = true }
            if matches && !used { fresh = step }
        }
        if let fresh { return fresh }
        if replayed { throw AccessError(.unauthenticated, "TOTP code was already used; wait for the next code") }
        throw invalid
    }

    /// The `otpauth://totp/ISSUER:ACCOUNT?secret=…&issuer=…&algorithm=…&digits=…&period=…` URI
    /// that authenticator apps read from a QR code (Google Authenticator's Key Uri Format): the
    /// label and issuer percent-encoded, the secret in unpadded base32.
    ///
    /// - Throws: ``AccessError`` `.invalidParameter` for an empty issuer or account, or an issuer
    ///   containing `:` (it would split the label).
    public func provisioningURI(issuer: String, account: String) throws(AccessError) -> String {
        guard !issuer.isEmpty, !issuer.contains(":") else {
            throw AccessError(.invalidParameter, "TOTP issuer: expected a non-empty name without ':'")
        }
        guard !account.isEmpty else { throw AccessError(.invalidParameter, "TOTP account: expected a non-empty name") }
        let label = Self.percentEncoded(issuer) + ":" + Self.percentEncoded(account)
        return "otpauth://totp/\(label)?secret=\(Base32.encode(secret, padding: false))&issuer=\(Self.percentEncoded(issuer))"
            + "&algorithm=\(algorithm.rawValue)&digits=\(digits)&period=\(periodSeconds)"
    }

    /// Shows the parameters, never the secret.
    public var description: String { "TOTP(\(algorithm.rawValue), \(digits) digits, \(periodSeconds) s)" }
    /// Shows the parameters, never the secret.
    public var debugDescription: String { description }

    private enum CodingKeys: String, CodingKey { case secret, algorithm, digits, periodSeconds }

    /// Decodes and re-checks a stored credential (secret as unpadded base32).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let secret = try Base32.decodeUserInput(container.decode(String.self, forKey: .secret))
        try self.init(secret: secret, algorithm: container.decode(OTPAlgorithm.self, forKey: .algorithm),
                      digits: container.decode(Int.self, forKey: .digits),
                      periodSeconds: container.decode(Int.self, forKey: .periodSeconds))
    }

    /// Encodes the credential, the secret as unpadded base32.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Base32.encode(secret, padding: false), forKey: .secret)
        try container.encode(algorithm, forKey: .algorithm)
        try container.encode(digits, forKey: .digits)
        try container.encode(periodSeconds, forKey: .periodSeconds)
    }

    /// RFC 3986 percent-encoding of everything but unreserved characters.
    private static func percentEncoded(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += "%" + SecretBytes.hex([byte]).uppercased()
            }
        }
        return out
    }
}
