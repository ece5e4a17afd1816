import Crypto
import Foundation
import Testing
@testable import BulwarkSupplyChain

/// Wrong keys, untrusted certificates and malformed or altered bundles fail with a clear error.
@Suite struct SignatureErrorTests {
    func expectFailure(_ code: SigningError.Code, mentioning text: String? = nil, _ body: () async throws -> Void) async {
        do {
            try await body()
            Issue.record("expected \(code), but it succeeded")
        } catch {
            guard let error = error as? SigningError else { Issue.record("unexpected error \(error)"); return }
            #expect(error.code == code, "\(error.message)")
            if let text { #expect(error.message.contains(text), "\(error.message)") }
            #expect(!error.message.contains("\n"))
        }
    }

    func signedBundle() async throws -> [UInt8] {
        try await ModelSigner.sign(modelAt: try SigningFixtures.path("model"), identity: .key(try SigningFixtures.privateKey())).bundle
    }

    @Test func wrongPublicKeyIsKeyMismatch() async throws {
        let bundle = try SigningFixtures.bytes("ms-key-files.sig")
        let other = try ModelSigningPublicKey(pemFile: try SigningFixtures.path("other.pub.pem"))
        await expectFailure(.keyMismatch, mentioning: "another key") {
            _ = try await ModelVerifier.verifySignature(bundle: bundle, key: .publicKey(other))
        }
    }

    @Test func wrongKeyWithoutHintIsInvalidSignature() async throws {
        // Older bundles carry no key hint; the ECDSA check itself must then fail.
        var text = String(decoding: try await signedBundle(), as: UTF8.self)
        let hint = try SigningFixtures.publicKey().hint
        text = text.replacingOccurrences(of: "{\"hint\":\"\(hint)\"}", with: "{}")
        let other = try ModelSigningPublicKey(pemFile: try SigningFixtures.path("other.pub.pem"))
        await expectFailure(.signatureInvalid) {
            _ = try await ModelVerifier.verifySignature(bundle: Array(text.utf8), key: .publicKey(other))
        }
        // …and with the right key it verifies.
        let signed = try await ModelVerifier.verifySignature(bundle: Array(text.utf8), key: .publicKey(try SigningFixtures.publicKey()))
        #expect(!signed.manifest.items.isEmpty)
    }

    @Test func alteredPayloadIsInvalidSignature() async throws {
        let bundle = try SigstoreBundle.decode(try await signedBundle(), file: "b")
        let pub = try SigningFixtures.publicKey()
        var altered = bundle
        let text = String(decoding: bundle.payload, as: UTF8.self)
        #expect(text.contains("config.json"))
        altered.payload = Array(text.replacingOccurrences(of: "config.json", with: "config.jsoN").utf8)
        await expectFailure(.signatureInvalid, mentioning: "does not verify") {
            _ = try await ModelVerifier.verifySignature(bundle: altered.encode(), key: .publicKey(pub))
        }
        var badSignature = bundle
        badSignature.signatures = [Array(repeating: 0x30, count: 8)]
        await expectFailure(.signatureInvalid) {
            _ = try await ModelVerifier.verifySignature(bundle: badSignature.encode(), key: .publicKey(pub))
        }
    }

    @Test(arguments: [
        ("", "not JSON"),
        ("[]", "not a JSON object"),
        ("{\"mediaType\":\"application/vnd.dev.sigstore.bundle+json;version=0.1\"}", "mediaType"),
        ("{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\",\"verificationMaterial\":{\"publicKey\":{}}}", "dsseEnvelope"),
        ("{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\",\"verificationMaterial\":{\"publicKey\":{}},\"dsseEnvelope\":{\"payload\":\"@@\",\"payloadType\":\"x\",\"signatures\":[]}}", "base64"),
        ("{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\",\"verificationMaterial\":{},\"dsseEnvelope\":{}}", "neither publicKey"),
        ("{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\",\"verificationMaterial\":{\"publicKey\":{}},\"dsseEnvelope\":{\"payload\":\"e30=\",\"payloadType\":\"x\",\"signatures\":[]}}", "no signatures"),
    ])
    func malformedBundlesAreRejected(text: String, expected: String) async throws {
        let pub = try SigningFixtures.publicKey()
        await expectFailure(.malformedSignature, mentioning: expected) {
            _ = try await ModelVerifier.verifySignature(bundle: Array(text.utf8), file: "bad.sig", key: .publicKey(pub))
        }
    }

    @Test func truncatedBundleIsMalformed() async throws {
        let bundle = try await signedBundle()
        let pub = try SigningFixtures.publicKey()
        for cut in [1, bundle.count / 3, bundle.count - 2] {
            await expectFailure(.malformedSignature, mentioning: "'cut.sig'") {
                _ = try await ModelVerifier.verifySignature(bundle: Array(bundle.prefix(cut)), file: "cut.sig", key: .publicKey(pub))
            }
        }
    }

    @Test func statementMustBeConsistent() throws {
        // A resource list that does not hash to the subject digest is refused.
        var text = String(decoding: try SigningFixtures.bytes("ms-key-files.statement.json"), as: UTF8.self)
        text = text.replacingOccurrences(of: "\"name\": \"config.json\"", with: "\"name\": \"config.json\"").replacingOccurrences(of: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", with: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b856")
        #expect(throws: SigningError.self) { _ = try InTotoStatement.decode(Array(text.utf8)) }
        let wrongType = String(decoding: try SigningFixtures.bytes("ms-key-files.statement.json"), as: UTF8.self)
            .replacingOccurrences(of: "https://model_signing/signature/v1.0", with: "https://example.com/other")
        do {
            _ = try InTotoStatement.decode(Array(wrongType.utf8))
            Issue.record("foreign predicate accepted")
        } catch {
            #expect(error.code == .payload)
            #expect(error.message.contains("predicateType"))
        }
    }

    @Test func certificateBundleNeedsTrustedCA() async throws {
        let bundle = try SigningFixtures.bytes("ms-cert-files.sig")
        let other = try ModelSigningCertificate.load(pemFiles: [try SigningFixtures.path("other-ca.pem")])
        let pub = try SigningFixtures.publicKey()
        await expectFailure(.untrustedCertificate, mentioning: "Bulwark Model Signer") {
            _ = try await ModelVerifier.verifySignature(bundle: bundle, key: .certificateAuthorities(other))
        }
        await expectFailure(.keyMismatch, mentioning: "--certificate-chain") {
            _ = try await ModelVerifier.verifySignature(bundle: bundle, key: .publicKey(pub))
        }
        let keyBundle = try SigningFixtures.bytes("ms-key-files.sig")
        await expectFailure(.keyMismatch, mentioning: "--public-key") {
            _ = try await ModelVerifier.verifySignature(bundle: keyBundle, key: .certificateAuthorities(other))
        }
    }

    @Test func bulwarkCertificateSigningRoundTrips() async throws {
        let key = try SigningFixtures.privateKey()
        let chain = try ModelSigningCertificate.load(pemFiles: [try SigningFixtures.path("chain.pem")])
        let identity = try ModelSigningIdentity.certificate(key: key, certificates: chain.reversed())
        let signature = try await ModelSigner.sign(modelAt: try SigningFixtures.path("model"), identity: identity)
        let decoded = try SigstoreBundle.decode(signature.bundle, file: "b")
        // The signing certificate comes first, byte for byte as in the PEM.
        #expect(decoded.material == .certificateChain([chain[0].der, chain[1].der]))
        let roots = try ModelSigningCertificate.load(pemFiles: [try SigningFixtures.path("ca.pem")])
        let signed = try await ModelVerifier.verifySignature(bundle: signature.bundle, key: .certificateAuthorities(roots))
        #expect(signed.signer.contains("Bulwark Model Signer"))
    }

    @Test func certificateWithoutSigningUsageIsRefused() async throws {
        let key = try SigningFixtures.privateKey()
        let certificates = try ModelSigningCertificate.load(pemFiles: [try SigningFixtures.path("leaf-no-signing.pem"), try SigningFixtures.path("intermediate.pem")])
        let signature = try await ModelSigner.sign(modelAt: try SigningFixtures.path("single.bin"), identity: try .certificate(key: key, certificates: certificates))
        let roots = try ModelSigningCertificate.load(pemFiles: [try SigningFixtures.path("ca.pem")])
        await expectFailure(.untrustedCertificate, mentioning: "digitalSignature") {
            _ = try await ModelVerifier.verifySignature(bundle: signature.bundle, key: .certificateAuthorities(roots))
        }
    }

    @Test func certificateMustHoldTheKey() throws {
        let other = ModelSigningPrivateKey.generateP256()
        let chain = try ModelSigningCertificate.load(pemFiles: [try SigningFixtures.path("chain.pem")])
        #expect(throws: SigningError.self) { _ = try ModelSigningIdentity.certificate(key: other, certificates: chain) }
    }

    @Test func requestedHashingMustMatchTheSignature() async throws {
        let pub = try SigningFixtures.publicKey()
        let model = try SigningFixtures.path("model")
        let signature = try SigningFixtures.path("ms-key-shards.sig")
        await expectFailure(.hashingMismatch, mentioning: "shards") {
            _ = try await ModelVerifier.verify(
                modelAt: model, signatureFile: signature,
                key: .publicKey(pub), options: ModelVerificationOptions(method: .files))
        }
    }

    /// The `SigningError` `body` throws, or `nil` if it does not throw one.
    func signingError(_ body: () throws -> Void) -> SigningError? {
        do {
            try body()
            return nil
        } catch {
            return error as? SigningError
        }
    }

    @Test func keyFilesAreChecked() throws {
        #expect(throws: SigningError.self) { _ = try ModelSigningPublicKey(pem: Array("not a key".utf8)) }
        let privatePath = try SigningFixtures.path("key.pem")
        let asPublic = signingError { _ = try ModelSigningPublicKey(pemFile: privatePath) }
        #expect(asPublic?.message.contains("private key") == true)
        let encrypted = "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n"
        let encryptedError = signingError { _ = try ModelSigningPrivateKey(pem: Array(encrypted.utf8), file: "enc.pem") }
        #expect(encryptedError?.message.contains("encrypted") == true)
        let p384 = try ModelSigningPrivateKey(pemFile: try SigningFixtures.path("p384.pem"))
        #expect(p384.publicKey.curveName == "P-384")
        #expect(p384.publicKey == (try ModelSigningPublicKey(pemFile: try SigningFixtures.path("p384.pub.pem"))))
    }
}
