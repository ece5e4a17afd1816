import BulwarkArchive
import Foundation
import Testing
@testable import BulwarkSupplyChain

/// An assessment attestation binds a report to a model: every change to either fails, naming it.
@Suite struct AttestationTests {
    static let report = Array(#"{"title":"Evasion robustness","tool":"bulwark","toolVersion":"0.1.0","command":"bulwark evaluate --model m --seed 7","seed":7,"findings":[{"id":"evasion.pgd","severity":"high","title":"PGD drops accuracy to 5%"},{"id":"evasion.clean","severity":"info","title":"clean accuracy 90%"}]}"#.utf8)

    /// A signed attestation of a scratch copy of the fixture model.
    func attested() async throws -> (base: String, model: String, bundle: [UInt8]) {
        let base = try SigningFixtures.scratchCopy()
        let model = base + "/model"
        let signed = try await AssessmentAttestation.sign(modelAt: model, report: Self.report, identity: .key(try SigningFixtures.privateKey()))
        return (base, model, signed.bundle)
    }

    var key: ModelVerificationKey { get throws { .publicKey(try SigningFixtures.publicKey()) } }

    @Test func aGenuineAttestationVerifiesAndCarriesTheReport() async throws {
        let (base, model, bundle) = try await attested()
        defer { SigningFixtures.cleanup(base) }
        let k = try key
        let v = try await AssessmentAttestation.verify(modelAt: model, attestation: bundle, key: k, report: Self.report)
        #expect(v.findings.map(\.severity) == ["high", "info"])
        #expect(v.command == "bulwark evaluate --model m --seed 7" && v.seed == 7 && v.toolVersion == "0.1.0")
        // The subjects are the model's files with their digests, as the OMS manifest has them.
        let json = try #require(try? JSONParser.parse(try payload(bundle)))
        let subjects = try #require(json["subject"]?.arrayValue)
        #expect(subjects.count == v.manifest.items.count)
        #expect(subjects.compactMap { $0["digest"]?["sha256"]?.stringValue } == v.manifest.items.map(\.descriptor.digestHex))
        #expect(json["predicateType"]?.stringValue == AssessmentAttestation.predicateType)
    }

    func payload(_ bundle: [UInt8]) throws -> [UInt8] { try SigstoreBundle.decode(bundle, file: "a").payload }

    @Test func aChangedModelFailsNamingTheFile() async throws {
        let (base, model, bundle) = try await attested()
        defer { SigningFixtures.cleanup(base) }
        let k = try key
        let weights = model + "/weights.json"
        var bytes = try SigningFixtures.read(weights)
        bytes[0] ^= 1
        try SigningFixtures.write(bytes, to: weights)
        try SigningFixtures.write(Array("new".utf8), to: model + "/added.txt")
        do {
            _ = try await AssessmentAttestation.verify(modelAt: model, attestation: bundle, key: k)
            Issue.record("a changed model verified")
        } catch {
            #expect(error.code == .modelMismatch)
            let described = error.differences.map(\.description).joined(separator: "\n")
            #expect(described.contains("weights.json") && described.contains("added.txt"), "\(described)")
        }
    }

    @Test func aChangedReportFails() async throws {
        let (base, model, bundle) = try await attested()
        defer { SigningFixtures.cleanup(base) }
        let k = try key
        var edited = Self.report
        edited[edited.firstIndex(of: UInt8(ascii: "5"))!] = UInt8(ascii: "9")
        do {
            _ = try await AssessmentAttestation.verify(modelAt: model, attestation: bundle, key: k, report: edited)
            Issue.record("a changed report verified")
        } catch {
            #expect(error.code == .reportMismatch && error.message.contains("report differs"))
        }
    }

    @Test func anEditedPredicateAWrongKeyOrACutBundleFail() async throws {
        let (base, model, bundle) = try await attested()
        defer { SigningFixtures.cleanup(base) }
        let k = try key
        // Re-encode the bundle with one finding's severity lowered inside the signed payload.
        let text = String(decoding: bundle, as: UTF8.self)
        let body = try payload(bundle)
        let forged = String(decoding: body, as: UTF8.self).replacingOccurrences(of: "\"high\"", with: "\"low\"")
        let tampered = text.replacingOccurrences(of: Data(body).base64EncodedString(), with: Data(forged.utf8).base64EncodedString())
        #expect(tampered != text)
        await #expect(throws: SigningError.self) {
            _ = try await AssessmentAttestation.verify(modelAt: model, attestation: Array(tampered.utf8), key: k)
        }
        let other = ModelSigningPrivateKey.generateP256()
        do {
            _ = try await AssessmentAttestation.verify(modelAt: model, attestation: bundle, key: .publicKey(other.publicKey))
            Issue.record("verified under another key")
        } catch { #expect(error.code == .keyMismatch || error.code == .signatureInvalid) }
        await #expect(throws: SigningError.self) {
            _ = try await AssessmentAttestation.verify(modelAt: model, attestation: Array(bundle.prefix(bundle.count / 2)), key: k)
        }
        // A model signature is not an attestation.
        let signer = try SigningFixtures.privateKey()
        let signature = try await ModelSigner.sign(modelAt: model, identity: .key(signer))
        do {
            _ = try await AssessmentAttestation.verify(modelAt: model, attestation: signature.bundle, key: k)
            Issue.record("a model signature passed as an attestation")
        } catch { #expect(error.code == .payload) }
    }

    @Test func aFileThatIsNotAReportIsRefused() async throws {
        let base = try SigningFixtures.scratchCopy()
        defer { SigningFixtures.cleanup(base) }
        let signer = try SigningFixtures.privateKey()
        await #expect(throws: SigningError.self) {
            _ = try await AssessmentAttestation.sign(modelAt: base + "/model", report: Array("{\"a\":1}".utf8), identity: .key(signer))
        }
    }
}
