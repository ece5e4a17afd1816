import BulwarkAccess
import BulwarkRegistry
import BulwarkStore
import BulwarkSupplyChain
import Foundation
import Testing

/// The bodies both engines must pass; `SQLiteRegistryTests` and `PostgresRegistryTests` run each.
enum RegistryContract {
    static func modelsAreCreatedOnceWithCheckedNames(_ engine: Engine) async throws {
        try await withRegistry(engine) { f in
            let cats = try await f.registry.createModel(name: "cats", team: "vision", riskTier: .high, dataClassification: .confidential, by: People.alice)
            #expect(cats.createdBy == "alice" && cats.riskTier == .high)
            #expect(try await f.registry.model(named: "cats") == cats)
            await expectRegistryError(.conflict) {
                try await f.registry.createModel(name: "cats", team: "other", riskTier: .low, dataClassification: .public, by: People.bob)
            }
            for bad in ["", "Cats", "-cats", "cats/1", "cats dogs", String(repeating: "a", count: 129)] {
                await expectRegistryError(.invalidParameter) {
                    try await f.registry.createModel(name: bad, team: "vision", riskTier: .low, dataClassification: .public, by: People.alice)
                }
            }
            await expectRegistryError(.notFound) { try await f.registry.model(named: "dogs") }
            #expect(try await f.registry.models().map(\.name) == ["cats"])
        }
    }

    static func failedUploadsLeaveNoVersionAndNoFile(_ engine: Engine) async throws {
        try await withRegistry(engine) { f in
            try await f.ensureModel()
            let bytes = Artifacts.safetensors()
            // over the limit: refused mid-stream, temporary file deleted
            await expectRegistryError(.invalidUpload) {
                try await f.registry.upload(chunked(bytes, size: 5), model: "cats", filename: "m.safetensors", by: People.alice, maxBytes: Int64(bytes.count - 1))
            }
            // the connection drops mid-stream
            await expectRegistryError(.invalidUpload) {
                try await f.registry.upload(BrokenStream(bytes: Array(bytes.prefix(10))), model: "cats", filename: "m.safetensors", by: People.alice)
            }
            // the bytes are not what the client declared
            await expectRegistryError(.invalidUpload) {
                try await f.registry.upload(chunked(bytes, size: 5), model: "cats", filename: "m.safetensors", by: People.alice,
                                            expectedSHA256: String(repeating: "0", count: 64))
            }
            // a parent that does not exist is refused after the bytes arrived: no row
            await expectRegistryError(.invalidParameter) {
                try await f.registry.upload(chunked(bytes, size: 5), model: "cats", filename: "m.safetensors", by: People.alice, lineage: Lineage(parentVersion: 9))
            }
            await expectRegistryError(.notFound) {
                try await f.registry.upload(chunked(bytes, size: 5), model: "dogs", filename: "m.safetensors", by: People.alice)
            }
            #expect(try await f.registry.versions(model: "cats").isEmpty)
            #expect(f.files(in: "tmp").isEmpty)
            // exactly the limit is accepted, with the declared digest (any case, sha256: prefix)
            let digest = hexDigest(bytes)
            let v1 = try await f.registry.upload(chunked(bytes, size: 3), model: "cats", filename: "m.safetensors", by: People.alice,
                                                 maxBytes: Int64(bytes.count), expectedSHA256: "sha256:" + digest.uppercased())
            #expect(v1.number == 1 && v1.state == .draft && v1.sha256 == digest && v1.size == Int64(bytes.count) && v1.uploaderTeam == "vision")
            // every row has its blob; the history records the upload
            for version in try await f.registry.versions(model: "cats") {
                #expect(FileManager.default.fileExists(atPath: f.blobDirectory + "/sha256/" + version.sha256))
            }
            #expect(f.files(in: "tmp").isEmpty)
            #expect(try await f.registry.history(model: "cats").map(\.to) == [.draft])
            // the chunk-push API numbers the next version 2
            let pending = try f.registry.beginUpload()
            try pending.append(bytes[0..<4])
            try pending.append(bytes[4...])
            let v2 = try await f.registry.commit(pending, model: "cats", filename: "m2.safetensors", by: People.dave)
            #expect(v2.number == 2 && v2.sha256 == digest)
        }
    }

    static func sweepRemovesWhatACrashLeaves(_ engine: Engine) async throws {
        try await withRegistry(engine) { f in
            try await f.ensureModel()
            let kept = try await f.upload(Artifacts.safetensors())
            // what kill -9 leaves: a half-written temporary file, and a blob renamed into place
            // whose row was never committed
            try Data([1, 2, 3]).write(to: URL(fileURLWithPath: f.blobDirectory + "/tmp/upload-crashed.part"))
            let orphan = String(repeating: "ab", count: 32)
            try Data([4, 5, 6]).write(to: URL(fileURLWithPath: f.blobDirectory + "/sha256/" + orphan))
            // recent files are left alone (another node may be committing them)
            let early = try await f.registry.sweep(olderThan: 3600 * 24 * 365 * 100)
            #expect(early.temporaries == 0 && early.orphans == 0)
            let swept = try await f.registry.sweep(olderThan: -3600 * 24 * 365 * 100)
            #expect(swept.temporaries == 1 && swept.orphans == 1)
            #expect(f.files(in: "tmp").isEmpty)
            #expect(f.files(in: "sha256") == [kept.sha256])
            _ = try await f.registry.download(model: "cats", version: kept.number)
        }
    }

    static func gatesPassOnlyCleanSignedArtifacts(_ engine: Engine) async throws {
        try await withRegistry(engine) { f in
            try await f.ensureModel()
            let aliceKey = try await f.registeredKey(for: .user("alice"))
            // clean, signed by the uploader's key, with a valid attestation → staging
            let good = try await f.upload(Artifacts.safetensors(), signedBy: aliceKey, attestedBy: aliceKey)
            let report = try await f.registry.submit(model: "cats", version: good.number, by: People.alice)
            #expect(report.passed && report.scan.verdict == "clean" && report.signature.publisher == "user:alice")
            #expect(report.attestation?.passed == true && report.attestation?.reportTitle == "Evasion robustness")
            #expect(report.attestation?.findingsBySeverity == ["high": 1])
            let staged = try await f.registry.version(model: "cats", number: good.number)
            #expect(staged.state == .staging && staged.gateReport == report)
            await expectRegistryError(.refused) { try await f.registry.submit(model: "cats", version: good.number, by: People.alice) }

            // a malicious pickle, even signed and even with an admin's override, never passes
            let evil = try await f.upload(Artifacts.maliciousPickle, filename: "model.pkl", signedBy: aliceKey)
            await expectRegistryError(.gateFailed) {
                try await f.registry.submit(model: "cats", version: evil.number, by: People.alice, override: GateOverride(admin: People.carol, reason: "trust me"))
            }
            let refused = try await f.registry.version(model: "cats", number: evil.number)
            #expect(refused.state == .draft && refused.gateReport?.scan.verdict == "malicious" && refused.gateReport?.scan.passed == false)
            #expect(refused.gateReport?.signature.passed == true && refused.override == nil)

            // unsigned → the signature gate fails
            let unsigned = try await f.upload(Artifacts.safetensors(seed: 5))
            let error = await expectRegistryError(.gateFailed) { try await f.registry.submit(model: "cats", version: unsigned.number, by: People.alice) }
            #expect(error?.message.contains("signature") == true)

            // signed by a key nobody registered
            let stranger = ModelSigningPrivateKey.generateP256()
            let strange = try await f.upload(Artifacts.safetensors(seed: 7), signedBy: stranger)
            await expectRegistryError(.gateFailed) { try await f.registry.submit(model: "cats", version: strange.number, by: People.alice) }
            #expect(try await f.registry.version(model: "cats", number: strange.number).gateReport?.signature.passed == false)

            // a valid signature of other bytes does not cover this artifact
            let otherPath = try f.file("other.safetensors", Artifacts.safetensors(seed: 9))
            let otherSignature = try await ModelSigner.sign(modelAt: otherPath, identity: .key(aliceKey)).bundle
            let swapped = try await f.registry.upload(chunked(Artifacts.safetensors(seed: 11), size: 64), model: "cats", filename: "m.safetensors",
                                                      by: People.alice, signatureBundle: otherSignature)
            await expectRegistryError(.gateFailed) { try await f.registry.submit(model: "cats", version: swapped.number, by: People.alice) }

            // an attestation of other bytes fails its gate even though the signature passes
            let attestedOther = try await AssessmentAttestation.sign(modelAt: otherPath, report: Artifacts.report, identity: .key(aliceKey)).bundle
            let bytes = Artifacts.safetensors(seed: 13)
            let signedPath = try f.file("signed.safetensors", bytes)
            let sig = try await ModelSigner.sign(modelAt: signedPath, identity: .key(aliceKey)).bundle
            let badAttestation = try await f.registry.upload(chunked(bytes, size: 64), model: "cats", filename: "m.safetensors", by: People.alice,
                                                             signatureBundle: sig, attestation: attestedOther)
            await expectRegistryError(.gateFailed) { try await f.registry.submit(model: "cats", version: badAttestation.number, by: People.alice) }
            let failed = try await f.registry.version(model: "cats", number: badAttestation.number)
            #expect(failed.gateReport?.signature.passed == true && failed.gateReport?.attestation?.passed == false)

            // a team key vouches for a team member's upload
            let teamKey = try await f.registeredKey(for: .team("vision"))
            let teamVersion = try await f.upload(Artifacts.safetensors(seed: 21), by: People.dave, signedBy: teamKey)
            let teamReport = try await f.registry.submit(model: "cats", version: teamVersion.number, by: People.dave)
            #expect(teamReport.signature.publisher == "team:vision")
            // only an admin registers keys, once
            await expectRegistryError(.refused) {
                try await f.registry.registerPublisherKey(Array(stranger.publicKey.pemRepresentation.utf8), for: .user("alice"), by: People.alice)
            }
            await expectRegistryError(.conflict) {
                try await f.registry.registerPublisherKey(Array(aliceKey.publicKey.pemRepresentation.utf8), for: .user("alice"), by: People.carol)
            }
        }
    }

    static func unsupportedScansNeedAFreshAdminOverrideWithAReason(_ engine: Engine) async throws {
        try await withRegistry(engine) { f in
            try await f.ensureModel()
            let key = try await f.registeredKey(for: .user("alice"))
            let version = try await f.upload(Artifacts.unknownFormat, filename: "weights.bin", signedBy: key)
            await expectRegistryError(.gateFailed) { try await f.registry.submit(model: "cats", version: version.number, by: People.alice) }
            #expect(try await f.registry.version(model: "cats", number: version.number).gateReport?.scan.verdict == "unsupported")
            // not an admin; an admin with stale MFA; an admin without MFA; a blank reason
            var staleAdmin = People.carol
            staleAdmin.mfaVerifiedAt = testNow.addingTimeInterval(-301)
            var noMFA = People.carol
            noMFA.mfaVerifiedAt = nil
            for override in [GateOverride(admin: People.bob, reason: "needed"), GateOverride(admin: staleAdmin, reason: "needed"),
                             GateOverride(admin: noMFA, reason: "needed"), GateOverride(admin: People.carol, reason: "  \n")] {
                await expectRegistryError(.refused) {
                    try await f.registry.submit(model: "cats", version: version.number, by: People.alice, override: override)
                }
            }
            #expect(try await f.registry.version(model: "cats", number: version.number).state == .draft)
            let report = try await f.registry.submit(model: "cats", version: version.number, by: People.alice,
                                                     override: GateOverride(admin: People.carol, reason: "vendor format, reviewed by hand"))
            #expect(report.passed && report.scan.overridden && report.scan.verdict == "unsupported")
            let passed = try await f.registry.version(model: "cats", number: version.number)
            #expect(passed.state == .staging)
            #expect(passed.override?.by == "carol" && passed.override?.reason == "vendor format, reviewed by hand" && passed.override?.at == testNow)
            #expect(try await f.registry.history(model: "cats").last?.reason?.contains("overridden by carol") == true)
        }
    }

    static func productionNeedsASecondPersonWithFreshMFA(_ engine: Engine) async throws {
        try await withRegistry(engine) { f in
            try await f.ensureModel()
            let key = try await f.registeredKey(for: .user("alice"))
            let draft = try await f.upload(Artifacts.safetensors(seed: 3), signedBy: key)
            await expectRegistryError(.refused) { try await f.registry.approve(model: "cats", version: draft.number, by: People.bob) }
            try await f.registry.submit(model: "cats", version: draft.number, by: People.alice)
            let v1 = draft.number
            // the uploader holds the approver role, yet cannot approve her own version
            await expectRegistryError(.refused) { try await f.registry.approve(model: "cats", version: v1, by: People.alice) }
            var staleBob = People.bob
            staleBob.mfaVerifiedAt = testNow.addingTimeInterval(-15 * 60 - 1)
            await expectRegistryError(.refused) { try await f.registry.approve(model: "cats", version: v1, by: staleBob) }
            await expectRegistryError(.refused) { try await f.registry.approve(model: "cats", version: v1, by: People.dave) }
            // no approval yet → no promotion, even by an approver
            await expectRegistryError(.refused) { try await f.registry.promoteToProduction(model: "cats", version: v1, by: People.bob) }
            try await f.registry.approve(model: "cats", version: v1, by: People.bob)
            await expectRegistryError(.conflict) { try await f.registry.approve(model: "cats", version: v1, by: People.bob) }
            // a publisher without the approver role cannot promote
            await expectRegistryError(.refused) { try await f.registry.promoteToProduction(model: "cats", version: v1, by: People.dave) }
            let promoted = try await f.registry.promoteToProduction(model: "cats", version: v1, by: People.alice, reason: "release 1")
            #expect(promoted.state == .production)

            // a second version supersedes it; the first goes back to staging
            let v2 = try await f.stagingVersion(seed: 4, key: key).number
            try await f.registry.approve(model: "cats", version: v2, by: People.carol)
            try await f.registry.promoteToProduction(model: "cats", version: v2, by: People.bob)
            #expect(try await f.registry.productionVersion(model: "cats")?.number == v2)
            #expect(try await f.registry.version(model: "cats", number: v1).state == .staging)
            // its old approval belonged to its earlier staging period
            await expectRegistryError(.refused) { try await f.registry.promoteToProduction(model: "cats", version: v1, by: People.bob) }
            let history = try await f.registry.history(model: "cats")
            #expect(history.contains { $0.version == v1 && $0.from == .production && $0.to == .staging && $0.reason == "superseded by version \(v2)" })
            #expect(history.filter { $0.to == .production }.map(\.version) == [v1, v2])
            #expect(try await f.registry.approvals(model: "cats", number: v1).map(\.approver) == ["bob"])
        }
    }

    static func aPersonsOwnServiceAccountIsNotASecondPerson(_ engine: Engine) async throws {
        try await withRegistry(engine) { f in
            try await f.ensureModel()
            // bob's CI pipeline uploads; bob, an approver with fresh MFA, may not approve it
            let pipeline = Principal(id: "svc_ci", kind: .service, roles: ["publisher"], team: "vision", accountableUser: "bob")
            let key = try await f.registeredKey(for: .user("svc_ci"))
            let version = try await f.upload(Artifacts.safetensors(seed: 5), by: pipeline, signedBy: key)
            try await f.registry.submit(model: "cats", version: version.number, by: pipeline)
            await expectRegistryError(.refused) { try await f.registry.approve(model: "cats", version: version.number, by: People.bob) }
            await expectRegistryError(.refused) { try await f.registry.promoteToProduction(model: "cats", version: version.number, by: People.bob) }
            // alice is a second person
            try await f.registry.approve(model: "cats", version: version.number, by: People.alice)
            #expect(try await f.registry.promoteToProduction(model: "cats", version: version.number, by: People.bob).state == .production)

            // alice uploads; a service account she owns (approver role, MFA) may not approve for her
            let aliceKey = try await f.registeredKey(for: .user("alice"))
            let second = try await f.stagingVersion(seed: 6, key: aliceKey)
            let aliceBot = Principal(id: "svc_alice", kind: .service, roles: ["approver"], mfaVerifiedAt: testNow, accountableUser: "alice")
            await expectRegistryError(.refused) { try await f.registry.approve(model: "cats", version: second.number, by: aliceBot) }
            #expect(try await f.registry.approvals(model: "cats", number: second.number).isEmpty)
        }
    }

    static func concurrentPromotionsFromTwoNodesLetExactlyOneWin(_ engine: Engine) async throws {
        try await withRegistry(engine) { f in
            try await f.ensureModel()
            let key = try await f.registeredKey(for: .user("alice"))
            let v1 = try await f.stagingVersion(seed: 1, key: key).number
            try await f.registry.approve(model: "cats", version: v1, by: People.bob)
            let (node2, db2) = try await f.secondNode()
            let nodes = [f.registry, node2, f.registry, node2]
            let outcomes = await withTaskGroup(of: Bool.self) { group in
                for node in nodes {
                    group.addTask {
                        do {
                            _ = try await node.promoteToProduction(model: "cats", version: v1, by: People.bob)
                            return true
                        } catch let error as RegistryError {
                            return error.code == .refused ? false : true  // any other failure counts against "exactly one"
                        } catch {
                            return true
                        }
                    }
                }
                var results: [Bool] = []
                for await result in group { results.append(result) }
                return results
            }
            await db2.close()
            #expect(outcomes.filter { $0 }.count == 1)
            let history = try await f.registry.history(model: "cats")
            #expect(history.filter { $0.to == .production }.count == 1)
            #expect(try await f.registry.versions(model: "cats").filter { $0.state == .production }.count == 1)
        }
    }

    static func revokedVersionsAndTamperedBlobsAreNeverServed(_ engine: Engine) async throws {
        try await withRegistry(engine) { f in
            try await f.ensureModel()
            let key = try await f.registeredKey(for: .user("alice"))
            let bytes = Artifacts.safetensors(seed: 2)
            let v1 = try await f.stagingVersion(seed: 2, key: key)
            let download = try await f.registry.download(model: "cats", version: v1.number)
            #expect(download.sha256 == hexDigest(bytes) && download.size == Int64(bytes.count))
            #expect(try Data(contentsOf: URL(fileURLWithPath: download.path)) == Data(bytes))
            #expect(download.reprDigestHeader == "sha-256=:" + Data(sha256Bytes(bytes)).base64EncodedString() + ":")

            await expectRegistryError(.invalidParameter) { try await f.registry.revoke(model: "cats", version: v1.number, by: People.carol, reason: " ") }
            let revoked = try await f.registry.revoke(model: "cats", version: v1.number, by: People.carol, reason: "leaks training data")
            #expect(revoked.state == .revoked && revoked.revocationReason == "leaks training data")
            await expectRegistryError(.refused) { try await f.registry.download(model: "cats", version: v1.number) }
            await expectRegistryError(.refused) { try await f.registry.approve(model: "cats", version: v1.number, by: People.bob) }
            await expectRegistryError(.refused) { try await f.registry.revoke(model: "cats", version: v1.number, by: People.carol, reason: "again") }
            #expect(try await f.registry.history(model: "cats").last?.to == .revoked)

            // a blob changed on disk behind the registry's back is detected, same size or not
            let v2 = try await f.stagingVersion(seed: 6, key: key)
            var tampered = Artifacts.safetensors(seed: 6)
            tampered[tampered.count - 1] ^= 0x01
            try Data(tampered).write(to: URL(fileURLWithPath: f.blobDirectory + "/sha256/" + v2.sha256))
            let error = await expectRegistryError(.storage) { try await f.registry.download(model: "cats", version: v2.number) }
            #expect(error?.message.contains("tampered") == true)
            let v3 = try await f.upload(Artifacts.safetensors(seed: 8), signedBy: key)
            try FileManager.default.removeItem(atPath: f.blobDirectory + "/sha256/" + v3.sha256)
            await expectRegistryError(.storage) { try await f.registry.submit(model: "cats", version: v3.number, by: People.alice) }
            #expect(try await f.registry.version(model: "cats", number: v3.number).state == .draft)
        }
    }

    static func lineageAndTheMLBOMDescribeEachVersion(_ engine: Engine) async throws {
        try await withRegistry(engine) { f in
            try await f.ensureModel()
            let key = try await f.registeredKey(for: .user("alice"))
            let dataset = "sha256:" + String(repeating: "c", count: 64)
            let v1 = try await f.upload(Artifacts.safetensors(seed: 1), signedBy: key,
                                        lineage: Lineage(datasetManifestDigest: dataset, trainingCommand: "bulwark train --seed 1"))
            try await f.registry.submit(model: "cats", version: v1.number, by: People.alice)
            let v2 = try await f.upload(Artifacts.safetensors(seed: 2), lineage: Lineage(trainingCommand: "bulwark train --resume", parentVersion: v1.number))
            #expect(v2.lineage.parentVersion == v1.number)
            #expect(try await f.registry.ancestry(model: "cats", version: v2.number).map(\.number) == [v2.number, v1.number])
            await expectRegistryError(.invalidParameter) {
                try await f.upload(Artifacts.safetensors(seed: 3), lineage: Lineage(datasetManifestDigest: "md5:abc"))
            }

            let bom = try await f.registry.bom(model: "cats", version: v1.number)
            #expect(try await f.registry.bom(model: "cats", version: v1.number) == bom)  // reproducible
            let json = try #require(try JSONSerialization.jsonObject(with: Data(bom)) as? [String: Any])
            #expect(json["bomFormat"] as? String == "CycloneDX" && json["specVersion"] as? String == "1.6")
            let component = try #require((json["metadata"] as? [String: Any])?["component"] as? [String: Any])
            #expect(component["type"] as? String == "machine-learning-model")
            #expect(component["name"] as? String == "cats" && component["version"] as? String == "1")
            let hashes = try #require(component["hashes"] as? [[String: Any]])
            #expect(hashes.first?["content"] as? String == v1.sha256)
            let properties = Dictionary((component["properties"] as? [[String: String]] ?? []).compactMap { p in p["name"].map { ($0, p["value"] ?? "") } },
                                        uniquingKeysWith: { a, _ in a })
            #expect(properties["bulwark:registry:dataset-manifest-digest"] == dataset)
            #expect(properties["bulwark:registry:training-command"] == "bulwark train --seed 1")
            #expect(properties["bulwark:registry:scan-verdict"] == "clean")
            #expect(properties["bulwark:registry:signature-publisher"] == "user:alice")
            #expect(component["pedigree"] == nil)

            let child = try #require(try JSONSerialization.jsonObject(with: Data(try await f.registry.bom(model: "cats", version: v2.number))) as? [String: Any])
            let childComponent = try #require((child["metadata"] as? [String: Any])?["component"] as? [String: Any])
            let ancestors = try #require((childComponent["pedigree"] as? [String: Any])?["ancestors"] as? [[String: Any]])
            #expect(ancestors.count == 1 && ancestors.first?["version"] as? String == "1")
            #expect((ancestors.first?["hashes"] as? [[String: Any]])?.first?["content"] as? String == v1.sha256)
        }
    }
}

/// Lowercase hex SHA-256 of `bytes`, computed by the supply-chain module (not by the registry).
func hexDigest(_ bytes: [UInt8]) -> String {
    ArtifactScanner().admit(bytes: bytes, path: "digest").sha256
}

/// The raw SHA-256 of `bytes`.
func sha256Bytes(_ bytes: [UInt8]) -> [UInt8] {
    let hex = Array(hexDigest(bytes).utf8)
    func nibble(_ c: UInt8) -> UInt8 { c <= UInt8(ascii: "9") ? c - UInt8(ascii: "0") : c - UInt8(ascii: "a") + 10 }
    return stride(from: 0, to: hex.count, by: 2).map { nibble(hex[$0]) << 4 | nibble(hex[$0 + 1]) }
}
