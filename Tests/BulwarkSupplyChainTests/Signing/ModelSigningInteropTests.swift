import BulwarkArchive
import Foundation
import Testing
@testable import BulwarkSupplyChain

/// Bundles made by the `model-signing` Python package (Fixtures/signing/ms-*.sig) verify with
/// Bulwark, and Bulwark's manifests are the ones model-signing signed, digest for digest.
@Suite struct ModelSigningInteropTests {
    @Test(arguments: [
        ("ms-key-files.sig", "key.pub.pem", "model"),
        ("ms-key-shards.sig", "key.pub.pem", "model"),
        ("ms-p384-files.sig", "p384.pub.pem", "model"),
        ("ms-key-single.sig", "key.pub.pem", "single.bin"),
    ])
    func verifiesModelSigningKeyBundles(signature: String, key: String, model: String) async throws {
        let publicKey = try ModelSigningPublicKey(pemFile: try SigningFixtures.path(key))
        let verified = try await ModelVerifier.verify(
            modelAt: try SigningFixtures.path(model), signatureFile: try SigningFixtures.path(signature), key: .publicKey(publicKey))
        #expect(verified.manifest.modelName == model)
        #expect(!verified.manifest.items.isEmpty)
    }

    @Test func verifiesModelSigningCertificateBundle() async throws {
        let authorities = try ModelSigningCertificate.load(pemFiles: [try SigningFixtures.path("ca.pem")])
        let verified = try await ModelVerifier.verify(
            modelAt: try SigningFixtures.path("model"), signatureFile: try SigningFixtures.path("ms-cert-files.sig"),
            key: .certificateAuthorities(authorities))
        #expect(verified.signer == "certificate 'CN=Bulwark Model Signer'")
    }

    /// The manifest Bulwark computes equals the one model-signing signed: same names in the same
    /// canonical order, same algorithm labels, same digests, same subject digest.
    @Test(arguments: [("ms-key-files.statement.json", HashingMethod.files), ("ms-key-shards.statement.json", .shards(size: 16))])
    func manifestMatchesModelSigningStatement(statement: String, method: HashingMethod) async throws {
        let signed = try InTotoStatement.decode(try SigningFixtures.bytes(statement))
        let ours = try await ModelHasher.manifest(of: try SigningFixtures.path("model"), options: HashingOptions(method: method))
        #expect(ours.resources == signed.resources)
        #expect(ours.rootDigest == signed.rootDigest)
        #expect(ours.serialization.method == signed.serialization.method)
        // The statement lists resources in model-signing's order, which must be ours too.
        let json = try JSONParser.parse(try SigningFixtures.bytes(statement))
        let names = try #require(json["predicate"]?["resources"]?.arrayValue).compactMap { $0["name"]?.stringValue }
        #expect(names == ours.resources.map(\.name))
        let subject = try #require(json["subject"]?.arrayValue?.first?["digest"]?["sha256"]?.stringValue)
        #expect(subject == hexString(ours.rootDigest))
    }

    @Test func shardSizeWrittenAsDoubleIsAccepted() throws {
        // Protobuf's Struct turns 16 into 16.0 in model-signing's statements.
        let text = String(decoding: try SigningFixtures.bytes("ms-key-shards.statement.json"), as: UTF8.self)
        #expect(text.contains("\"shard_size\": 16.0"))
        let manifest = try InTotoStatement.decode(Array(text.utf8))
        #expect(manifest.serialization.method == .shards(size: 16))
        #expect(manifest.resources.allSatisfy { $0.algorithm == "sha256-sharded-16" })
    }

    @Test func publicKeyHintMatchesModelSigning() throws {
        let bundle = try SigstoreBundle.decode(try SigningFixtures.bytes("ms-key-files.sig"), file: "ms-key-files.sig")
        let key = try SigningFixtures.publicKey()
        #expect(bundle.material == .publicKey(hint: key.hint))
        // The hint is the SHA-256 of the PEM exactly as written by Python's cryptography.
        #expect(key.pemRepresentation == String(decoding: try SigningFixtures.bytes("key.pub.pem"), as: UTF8.self))
    }

    @Test func bulwarkBundleRoundTrips() async throws {
        let key = try SigningFixtures.privateKey()
        let signature = try await ModelSigner.sign(modelAt: try SigningFixtures.path("model"), identity: .key(key))
        let decoded = try SigstoreBundle.decode(signature.bundle, file: "bulwark.sig")
        #expect(decoded.encode() == signature.bundle)
        #expect(decoded.payloadType == "application/vnd.in-toto+json")
        let signed = try await ModelVerifier.verifySignature(bundle: signature.bundle, key: .publicKey(try SigningFixtures.publicKey()))
        #expect(signed.manifest == signature.manifest)
        // Same manifest as model-signing's for the same model.
        let theirs = try InTotoStatement.decode(try SigningFixtures.bytes("ms-key-files.statement.json"))
        #expect(signed.manifest.rootDigest == theirs.rootDigest)
    }

    @Test func dssePreAuthenticationEncodingKnownAnswer() {
        // The example of the DSSE v1 protocol specification.
        let pae = DSSE.pae(payloadType: "http://example.com/HelloWorld", payload: Array("hello world".utf8))
        #expect(String(decoding: pae, as: UTF8.self) == "DSSEv1 29 http://example.com/HelloWorld 11 hello world")
    }
}
