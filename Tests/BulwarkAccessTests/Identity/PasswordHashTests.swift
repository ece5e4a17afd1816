@testable import BulwarkAccess
import Testing

/// RFC 9106 §5.3: Argon2id, version 0x13, m = 32 KiB, t = 3, p = 4, password 32 × 0x01,
/// salt 16 × 0x02, secret 8 × 0x03, associated data 12 × 0x04, 32-byte tag.
@Test func argon2idMatchesRFC9106TestVector() throws {
    var password = [UInt8](repeating: 0x01, count: 32)
    let tag = try PasswordHasher.argon2id(password: &password, salt: [UInt8](repeating: 0x02, count: 16),
                                          secret: [UInt8](repeating: 0x03, count: 8),
                                          associatedData: [UInt8](repeating: 0x04, count: 12),
                                          memoryKiB: 32, iterations: 3, parallelism: 4, tagLength: 32)
    #expect(SecretBytes.hex(tag) == "0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659")
    #expect(password.allSatisfy { $0 == 0 }, "the password buffer is wiped")
}

/// Peer: Debian's `argon2` command (package argon2 0~20171227-0.3+deb12u1), run as
///
///     printf '%s' 'correct horse battery staple' | argon2 'bulwark-salt-16B' -id -t 2 -m 13 -p 1 -l 32 -e
///     printf '%s' 'pässwörd' | argon2 'somesaltsomesalt' -id -t 1 -m 14 -p 2 -l 32 -e
///
/// (`-m 13` is 2¹³ KiB; the second password is NFC UTF-8.)
@Test func argon2idPHCStringMatchesDebianArgon2Command() throws {
    let cli = "$argon2id$v=19$m=8192,t=2,p=1$YnVsd2Fyay1zYWx0LTE2Qg$IHPpwGYwBjnflfcWBahnXT3m5mhpxvVvsV64ugnUwvY"
    let parameters = try Argon2idParameters(memoryKiB: 8192, iterations: 2, parallelism: 1)
    let ours = try PasswordHasher.hash("correct horse battery staple", salt: Array("bulwark-salt-16B".utf8), parameters: parameters)
    #expect(ours.phcString == cli)
    let parsed = try PasswordHash(phc: cli)
    #expect(parsed == ours)
    #expect(try PasswordHasher.verify("correct horse battery staple", against: parsed))
    #expect(try !PasswordHasher.verify("correct horse battery stapler", against: parsed))

    let accented = try PasswordHash(phc: "$argon2id$v=19$m=16384,t=1,p=2$c29tZXNhbHRzb21lc2FsdA$yR6+Bwg8pTjGQckRxhwRmYwyQgPRs7wwej/dfajkq5I")
    #expect(try PasswordHasher.verify("p\u{E4}ssw\u{F6}rd", against: accented))
    // The same password typed with combining accents (NFD) normalises to the same bytes.
    #expect(try PasswordHasher.verify("pa\u{308}sswo\u{308}rd", against: accented))
}

@Test func passwordHashRoundTripsWithRandomSaltAndNeedsRehash() throws {
    let parameters = try Argon2idParameters(memoryKiB: 8192, iterations: 1, parallelism: 1)
    let first = try PasswordHasher.hash("hunter2hunter2", parameters: parameters)
    let second = try PasswordHasher.hash("hunter2hunter2", parameters: parameters)
    #expect(first.salt.count == 16 && first.tag.count == 32)
    #expect(first.salt != second.salt, "each hash draws a fresh salt")
    #expect(try PasswordHasher.verify("hunter2hunter2", against: try PasswordHash(phc: first.phcString)))
    #expect(try !PasswordHasher.verify("hunter2hunter3", against: first))
    #expect(try !PasswordHasher.verify("", against: first))
    #expect(PasswordHasher.needsRehash(first))
    #expect(!PasswordHasher.needsRehash(first, policy: parameters))
    #expect(PasswordHasher.needsRehash(first, policy: try Argon2idParameters(memoryKiB: 8192, iterations: 2, parallelism: 1)))
    #expect(Argon2idParameters.rfc9106SecondRecommended.memoryKiB == 65536)
    #expect(Argon2idParameters.rfc9106SecondRecommended.iterations == 3)
    #expect(Argon2idParameters.rfc9106SecondRecommended.parallelism == 4)
}

@Test func argon2idParametersRefuseValuesBelowFloors() {
    let cases: [(UInt32, UInt32, UInt32, Int, Int, String)] = [
        (4096, 3, 1, 16, 32, "memory"), (65536, 0, 4, 16, 32, "iterations"), (65536, 3, 0, 16, 32, "parallelism"),
        (65536, 3, 4, 8, 32, "salt"), (65536, 3, 4, 16, 8, "tag"), (1 << 30, 3, 4, 16, 32, "memory"),
    ]
    for (memory, iterations, lanes, salt, tag, word) in cases {
        #expect {
            try Argon2idParameters(memoryKiB: memory, iterations: iterations, parallelism: lanes, saltLength: salt, tagLength: tag)
        } throws: { error in
            let error = error as? AccessError
            return error?.code == .invalidParameter && error?.message.contains(word) == true && error?.message.contains("\n") == false
        }
    }
}

@Test func phcParserRefusesHostileAndMalformedStrings() {
    let salt = "YnVsd2Fyay1zYWx0LTE2Qg"
    let tag = "IHPpwGYwBjnflfcWBahnXT3m5mhpxvVvsV64ugnUwvY"
    let hostile = [
        "$argon2id$v=19$m=4294967295,t=2,p=1$\(salt)$\(tag)",          // 4 TiB of memory
        "$argon2id$v=19$m=8192,t=4294967295,p=1$\(salt)$\(tag)",       // hangs
        "$argon2id$v=19$m=8192,t=2,p=255$\(salt)$\(tag)",              // too many lanes
        "$argon2id$v=19$m=8,t=2,p=4$\(salt)$\(tag)",                   // m < 8p
        "$argon2id$v=19$m=99999999999,t=2,p=1$\(salt)$\(tag)",         // eleven digits
        "$argon2id$v=19$m=08192,t=2,p=1$\(salt)$\(tag)",               // leading zero
        "$argon2id$v=19$m=8192,t=2,p=1$\(salt)$" + String(repeating: "A", count: 400),
        "$argon2id$v=19$m=8192,t=2,p=1$\(salt)$\(tag)=",               // padding
        "$argon2id$v=19$m=8192,t=2,p=1$\(salt)$\(tag.dropLast())B",    // stray bits
        "$argon2id$v=19$m=8192,t=2,p=1$$\(tag)",                       // empty salt
        "$argon2id$v=19$m=8192,t=2,p=1$\(salt)$AAAA",                  // 3-byte tag
        "$argon2i$v=19$m=8192,t=2,p=1$\(salt)$\(tag)",
        "$argon2id$v=16$m=8192,t=2,p=1$\(salt)$\(tag)",
        "$argon2id$m=8192,t=2,p=1$\(salt)$\(tag)",
        "$argon2id$v=19$t=2,m=8192,p=1$\(salt)$\(tag)",
        "$argon2id$v=19$m=8192,t=2,p=1,keyid=x$\(salt)$\(tag)",
        "$argon2id$v=19$m=8192,t=2,p=1$\(salt)$\(tag)$extra",
        "$argon2id$v=19$m=8192,t=2,p=1$\(salt)$\(tag)\n",
        "$argon2id$v=19$m=+8192,t=2,p=1$\(salt)$\(tag)",
        "",
    ]
    for text in hostile {
        #expect(throws: AccessError.self, "\(text.prefix(60))") { try PasswordHash(phc: text) }
        do { _ = try PasswordHash(phc: text) } catch {
            #expect(error.code == .malformed)
            #expect(!error.message.contains(tag), "the message does not quote the hash")
        }
    }
    // Tighter caps refuse what the defaults accept.
    var limits = PHCLimits.default
    limits.maxMemoryKiB = 4096
    #expect(throws: AccessError.self) { try PasswordHash(phc: "$argon2id$v=19$m=8192,t=2,p=1$\(salt)$\(tag)", limits: limits) }
}

@Test func passwordsAreNormalisedAndBounded() throws {
    #expect(try PasswordHasher.normalized("\u{FB01}le") == Array("file".utf8), "NFKC folds the ﬁ ligature")
    #expect(try PasswordHasher.normalized("e\u{301}") == [0xC3, 0xA9])
    let long = String(repeating: "a", count: PasswordHasher.maximumPasswordBytes + 1)
    #expect(try PasswordHasher.normalized(String(long.dropLast())).count == 1024)
    #expect { try PasswordHasher.normalized(long) } throws: { error in
        let message = (error as? AccessError)?.message ?? ""
        return message.contains("1024") && !message.contains("aaaa")
    }
    #expect(throws: AccessError.self) { try PasswordHasher.normalized("") }
    #expect(throws: AccessError.self) { try PasswordHasher.hash("", parameters: .rfc9106SecondRecommended) }
}
