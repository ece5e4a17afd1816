import CArgon2
import Foundation

/// Argon2id password hashing (RFC 9106) through the system libargon2.
///
/// **Password handling.** A password is normalised to Unicode NFKC before hashing, as NIST
/// SP 800-63B §5.1.1.2 recommends, so the same password typed on two keyboards (a precomposed
/// "é" or "e" + combining accent, a full-width digit) hashes alike; it is then hashed as UTF-8
/// bytes, never truncated (bcrypt's silent 72-byte cut is the pitfall avoided). Empty passwords
/// and passwords longer than ``maximumPasswordBytes`` after normalisation are refused: the cap
/// keeps request bodies and hashing cost bounded and no human-typed password needs more. The
/// normalised copy given to libargon2 is wiped by it (`ARGON2_FLAG_CLEAR_PASSWORD`).
///
/// Verification recomputes the tag with the stored parameters and salt and compares in constant
/// time. ``needsRehash(_:policy:)`` says when a stored hash was made with other parameters, so a
/// login can upgrade it while the plain password is at hand.
///
/// ```swift
/// let stored = try PasswordHasher.hash("correct horse battery staple")   // RFC 9106 defaults
/// let ok = try PasswordHasher.verify("correct horse battery staple", against: stored)
/// let text = stored.phcString   // "$argon2id$v=19$m=65536,t=3,p=4$…$…"
/// ```
public enum PasswordHasher {
    /// The longest password accepted, in UTF-8 bytes after NFKC normalisation: 1 KiB.
    public static let maximumPasswordBytes = 1024

    /// Hashes `password` with a fresh random salt.
    ///
    /// Cost: `parameters.memoryKiB` KiB of memory and about `iterations` passes over it (some
    /// 100 ms for the default on one core of a server).
    ///
    /// - Throws: ``AccessError`` `.invalidParameter` for an empty or over-long password, or when
    ///   libargon2 fails (memory cannot be allocated); the message never contains the password.
    public static func hash(_ password: String,
                            parameters: Argon2idParameters = .rfc9106SecondRecommended) throws(AccessError) -> PasswordHash {
        try hash(password, salt: SecretBytes.random(count: parameters.saltLength), parameters: parameters)
    }

    /// Hashes `password` with a given salt; for known-answer tests and cross-checks only.
    package static func hash(_ password: String, salt: [UInt8], parameters: Argon2idParameters) throws(AccessError) -> PasswordHash {
        var bytes = try normalized(password)
        let tag = try argon2id(password: &bytes, salt: salt, memoryKiB: parameters.memoryKiB,
                               iterations: parameters.iterations, parallelism: parameters.parallelism,
                               tagLength: parameters.tagLength)
        return PasswordHash(memoryKiB: parameters.memoryKiB, iterations: parameters.iterations,
                            parallelism: parameters.parallelism, salt: salt, tag: tag)
    }

    /// Whether `password` hashes to `hash`'s tag, compared in constant time. A password that
    /// normalisation refuses (empty, over-long) is simply `false`.
    ///
    /// - Throws: ``AccessError`` `.invalidParameter` only when libargon2 itself fails.
    public static func verify(_ password: String, against hash: PasswordHash) throws(AccessError) -> Bool {
        guard var bytes = try? normalized(password) else { return false }
        let candidate = try argon2id(password: &bytes, salt: hash.salt, memoryKiB: hash.parameters.memoryKiB,
                                     iterations: hash.parameters.iterations, parallelism: hash.parameters.parallelism,
                                     tagLength: hash.tag.count)
        return SecretBytes.constantTimeEquals(candidate, hash.tag)
    }

    /// Whether `hash` was made with parameters other than `policy` (memory, passes, lanes, salt
    /// or tag length), so it should be replaced by a new hash at the next successful login.
    public static func needsRehash(_ hash: PasswordHash, policy: Argon2idParameters = .rfc9106SecondRecommended) -> Bool {
        hash.parameters != policy
    }

    /// `password` as the bytes that are hashed: NFKC, UTF-8, 1 to ``maximumPasswordBytes`` bytes.
    ///
    /// - Throws: ``AccessError`` `.invalidParameter` saying which bound failed (not the password).
    public static func normalized(_ password: String) throws(AccessError) -> [UInt8] {
        guard password.utf8.count <= 4 * maximumPasswordBytes else {
            throw AccessError(.invalidParameter, "password: longer than \(maximumPasswordBytes) bytes")
        }
        let bytes = Array(password.precomposedStringWithCompatibilityMapping.utf8)
        guard !bytes.isEmpty else { throw AccessError(.invalidParameter, "password: empty") }
        guard bytes.count <= maximumPasswordBytes else {
            throw AccessError(.invalidParameter, "password: longer than \(maximumPasswordBytes) bytes")
        }
        return bytes
    }

    /// Raw Argon2id (version 0x13) through `argon2_ctx`, with optional secret key and associated
    /// data (RFC 9106 §3.1's K and X). `password` is wiped by libargon2 when it returns.
    ///
    /// Checks only what libargon2 would refuse; callers apply ``Argon2idParameters`` floors or
    /// ``PHCLimits`` caps first.
    package static func argon2id(password: inout [UInt8], salt: [UInt8], secret: [UInt8] = [], associatedData: [UInt8] = [],
                                 memoryKiB: UInt32, iterations: UInt32, parallelism: UInt32,
                                 tagLength: Int) throws(AccessError) -> [UInt8] {
        guard tagLength >= 4, tagLength <= 1024, salt.count >= 8, salt.count <= 1024, secret.count <= 1024,
              associatedData.count <= 1024, password.count <= 1 << 20 else {
            throw AccessError(.invalidParameter, "argon2id: tag, salt, secret or associated data length out of range")
        }
        var tag = [UInt8](repeating: 0, count: tagLength)
        var salt = salt
        var secret = secret
        var associatedData = associatedData
        let status: Int32 = tag.withUnsafeMutableBufferPointer { tagBuffer in
            password.withUnsafeMutableBufferPointer { passwordBuffer in
                salt.withUnsafeMutableBufferPointer { saltBuffer in
                    secret.withUnsafeMutableBufferPointer { secretBuffer in
                        associatedData.withUnsafeMutableBufferPointer { adBuffer in
                            var context = argon2_context(
                                out: tagBuffer.baseAddress, outlen: UInt32(tagBuffer.count),
                                pwd: passwordBuffer.baseAddress, pwdlen: UInt32(passwordBuffer.count),
                                salt: saltBuffer.baseAddress, saltlen: UInt32(saltBuffer.count),
                                secret: secretBuffer.baseAddress, secretlen: UInt32(secretBuffer.count),
                                ad: adBuffer.baseAddress, adlen: UInt32(adBuffer.count),
                                t_cost: iterations, m_cost: memoryKiB, lanes: parallelism, threads: parallelism,
                                version: UInt32(ARGON2_VERSION_13.rawValue),
                                allocate_cbk: nil, free_cbk: nil,
                                flags: 1  // ARGON2_FLAG_CLEAR_PASSWORD: libargon2 wipes the password buffer
                            )
                            return argon2_ctx(&context, Argon2_id)
                        }
                    }
                }
            }
        }
        // libargon2 clears the password only on some paths; wipe our copy in every case.
        for index in password.indices { password[index] = 0 }
        guard status == ARGON2_OK.rawValue else {
            let reason = argon2_error_message(status).map { String(cString: $0) } ?? "error \(status)"
            throw AccessError(.invalidParameter, "argon2id: libargon2 failed (\(reason))")
        }
        return tag
    }
}
