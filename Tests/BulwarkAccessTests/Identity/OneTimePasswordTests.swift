import BulwarkAccess
import Foundation
import Testing

/// RFC 4648 §10 test vectors.
@Test func base32MatchesRFC4648Vectors() throws {
    let vectors = [("", ""), ("f", "MY======"), ("fo", "MZXQ===="), ("foo", "MZXW6==="), ("foob", "MZXW6YQ="),
                   ("fooba", "MZXW6YTB"), ("foobar", "MZXW6YTBOI======")]
    for (plain, encoded) in vectors {
        #expect(Base32.encode(Array(plain.utf8)) == encoded)
        #expect(try Base32.decode(encoded) == Array(plain.utf8))
        #expect(try Base32.decodeUserInput(encoded.lowercased().replacingOccurrences(of: "=", with: "")) == Array(plain.utf8))
    }
    #expect(Base32.encode(Array("foobar".utf8), padding: false) == "MZXW6YTBOI")
    #expect(try Base32.decodeUserInput("mzxw 6ytb-oi") == Array("foobar".utf8))
}

@Test func base32StrictDecoderRefusesNonCanonicalText() {
    for text in ["mzxw6ytboi======", "MZXW6YTBOI", "MZXW6YTBOJ======", "MZXW6YTB========", "MZ=W6YTB", "MZXW6YT1", "M======="] {
        #expect(throws: AccessError.self, "\(text)") { try Base32.decode(text) }
    }
    for text in ["MZXW6YTB1", "M", "MZX", "MZXW6Y"] {
        #expect(throws: AccessError.self, "\(text)") { try Base32.decodeUserInput(text) }
    }
}

/// RFC 4226 Appendix D: secret "12345678901234567890", counters 0...9, 6 digits, HMAC-SHA-1.
@Test func hotpMatchesRFC4226AppendixD() {
    let expected = ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"]
    for (counter, code) in expected.enumerated() {
        #expect(HOTP.code(secret: Array("12345678901234567890".utf8), counter: UInt64(counter)) == code)
    }
}

/// RFC 6238 Appendix B: T0 = 0, X = 30, 8 digits, the ASCII seeds of 20, 32 and 64 bytes.
@Test func totpMatchesRFC6238AppendixB() throws {
    let seed20 = "12345678901234567890"
    let sha1 = try TOTP(secret: Array(seed20.utf8), algorithm: .sha1, digits: 8)
    let sha256 = try TOTP(secret: Array((seed20 + seed20.prefix(12)).utf8), algorithm: .sha256, digits: 8)
    let sha512 = try TOTP(secret: Array((seed20 + seed20 + seed20 + seed20.prefix(4)).utf8), algorithm: .sha512, digits: 8)
    #expect(sha256.secret.count == 32 && sha512.secret.count == 64)
    let table: [(TimeInterval, String, String, String)] = [
        (59, "94287082", "46119246", "90693936"),
        (1_111_111_109, "07081804", "68084774", "25091201"),
        (1_111_111_111, "14050471", "67062674", "99943326"),
        (1_234_567_890, "89005924", "91819424", "93441116"),
        (2_000_000_000, "69279037", "90698825", "38618901"),
        (20_000_000_000, "65353130", "77737706", "47863826"),
    ]
    for (time, expected1, expected256, expected512) in table {
        let date = Date(timeIntervalSince1970: time)
        #expect(try sha1.code(at: date) == expected1)
        #expect(try sha256.code(at: date) == expected256)
        #expect(try sha512.code(at: date) == expected512)
    }
}

@Test func totpVerifiesWithinOneStepAndRefusesReplay() throws {
    let totp = try TOTP(secret: Array("12345678901234567890".utf8))
    #expect(totp.digits == 6 && totp.periodSeconds == 30 && totp.algorithm == .sha1)
    let now = Date(timeIntervalSince1970: 1_111_111_111)   // step 37037037
    let current = try totp.timeStep(at: now)
    #expect(current == 37_037_037)
    #expect(try totp.verify(totp.code(forStep: current), at: now, lastAcceptedStep: nil) == current)
    #expect(try totp.verify(totp.code(forStep: current - 1), at: now, lastAcceptedStep: nil) == current - 1)
    #expect(try totp.verify(totp.code(forStep: current + 1), at: now, lastAcceptedStep: nil) == current + 1)
    let spaced = totp.code(forStep: current).enumerated().map { $0.offset == 3 ? " \($0.element)" : "\($0.element)" }.joined()
    #expect(try totp.verify(spaced, at: now, lastAcceptedStep: nil) == current)

    for step in [current - 2, current + 2] {
        #expect { try totp.verify(totp.code(forStep: step), at: now, lastAcceptedStep: nil) } throws: { error in
            (error as? AccessError)?.message == "TOTP code is not valid"
        }
    }
    // Replay: the code just accepted, and one from an earlier step, are refused as used.
    let code = totp.code(forStep: current)
    for (entered, last) in [(code, current), (totp.code(forStep: current - 1), current)] {
        #expect { try totp.verify(entered, at: now, lastAcceptedStep: last) } throws: { error in
            let error = error as? AccessError
            return error?.code == .unauthenticated && error?.message.contains("already used") == true
                && error?.message.contains(entered) == false
        }
    }
    // A newer step than the last accepted one is still fine.
    #expect(try totp.verify(totp.code(forStep: current + 1), at: now, lastAcceptedStep: current) == current + 1)
    for bad in ["", "12345", "1234567", "12345a", "١٢٣٤٥٦"] {
        #expect(throws: AccessError.self) { try totp.verify(bad, at: now, lastAcceptedStep: nil) }
    }
    #expect(throws: AccessError.self) { try totp.code(at: Date(timeIntervalSince1970: -1)) }

    var enrolment = TOTPEnrollment(credential: totp, enrolledAt: now, confirmedStep: nil)
    enrolment = try enrolment.verifying(code, at: now)
    #expect(enrolment.lastAcceptedStep == current)
    #expect(throws: AccessError.self) { try enrolment.verifying(code, at: now.addingTimeInterval(10)) }
}

@Test func totpProvisioningURIAndSecretHandling() throws {
    let totp = try TOTP(secret: Array("12345678901234567890".utf8))
    let uri = try totp.provisioningURI(issuer: "Bulwark Lab", account: "ada@example.com")
    #expect(uri == "otpauth://totp/Bulwark%20Lab:ada%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
        + "&issuer=Bulwark%20Lab&algorithm=SHA1&digits=6&period=30")
    #expect(throws: AccessError.self) { try totp.provisioningURI(issuer: "a:b", account: "ada") }
    #expect(!"\(totp)".contains("GEZDG") && !String(reflecting: totp).contains("49"))

    let generated = try TOTP.generate()
    #expect(generated.secret.count == 20)
    let decoded = try JSONDecoder().decode(TOTP.self, from: JSONEncoder().encode(generated))
    #expect(decoded == generated)
    #expect(throws: AccessError.self) { try TOTP(secret: [UInt8](repeating: 1, count: 10)) }
    #expect(throws: AccessError.self) { try TOTP(secret: Array("12345678901234567890".utf8), digits: 9) }
    #expect(throws: AccessError.self) { try TOTP(secret: Array("12345678901234567890".utf8), periodSeconds: 0) }
}
