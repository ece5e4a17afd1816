import Foundation
import Testing
@testable import BulwarkSupplyChain

/// Every kind of tampering is caught, and the error names the file.
@Suite struct ModelTamperingTests {
    /// Signs a scratch copy of the fixture model, applies `tamper`, and returns the differences
    /// verification reports (failing the test if verification passes or fails otherwise).
    func differences(method: HashingMethod = .files, tamper: (String) throws -> Void) async throws -> [ManifestDifference] {
        let base = try SigningFixtures.scratchCopy()
        defer { SigningFixtures.cleanup(base) }
        let model = base + "/model"
        let signature = try await ModelSigner.sign(modelAt: model, identity: .key(try SigningFixtures.privateKey()), options: HashingOptions(method: method))
        try signature.write(to: base + "/model.sig")
        let key = ModelVerificationKey.publicKey(try SigningFixtures.publicKey())
        _ = try await ModelVerifier.verify(modelAt: model, signatureFile: base + "/model.sig", key: key)
        try tamper(model)
        do {
            _ = try await ModelVerifier.verify(modelAt: model, signatureFile: base + "/model.sig", key: key)
            Issue.record("verification passed after tampering")
            return []
        } catch {
            #expect(error.code == .modelMismatch)
            #expect(error.message.contains("does not match its signature"))
            return error.differences
        }
    }

    func flipFirstByte(_ path: String) throws {
        var bytes = try SigningFixtures.read(path)
        bytes[0] ^= 0x01
        try SigningFixtures.write(bytes, to: path)
    }

    @Test func byteFlipIsModified() async throws {
        let found = try await differences { try flipFirstByte($0 + "/weights/layer0.bin") }
        #expect(found.count == 1)
        guard case .modified(let path, _, _)? = found.first else { Issue.record("expected modified, got \(found)"); return }
        #expect(path == "weights/layer0.bin")
        #expect(found[0].description.contains("'weights/layer0.bin'"))
    }

    @Test func byteFlipInShardNamesTheShard() async throws {
        // layer0.bin is 200 bytes: with 16-byte shards, byte 40 lies in shard 32..<48.
        let found = try await differences(method: .shards(size: 16)) { model in
            var bytes = try SigningFixtures.read(model + "/weights/layer0.bin")
            bytes[40] ^= 0x80
            try SigningFixtures.write(bytes, to: model + "/weights/layer0.bin")
        }
        #expect(found.count == 1)
        guard case .shardMismatch(let path, let range, _, _)? = found.first else { Issue.record("expected a shard mismatch, got \(found)"); return }
        #expect(path == "weights/layer0.bin")
        #expect(range == 32..<48)
    }

    @Test(arguments: [HashingMethod.files, .shards(size: 16)])
    func truncationIsCaught(method: HashingMethod) async throws {
        let found = try await differences(method: method) { model in
            let bytes = try SigningFixtures.read(model + "/weights/layer0.bin")
            try SigningFixtures.write(Array(bytes.dropLast(5)), to: model + "/weights/layer0.bin")
        }
        #expect(found.map(\.path) == ["weights/layer0.bin"])
        if case .shards = method {
            #expect(found.first == .resized(path: "weights/layer0.bin", expectedBytes: 200, foundBytes: 195))
        }
    }

    @Test func addedFileIsReported() async throws {
        let found = try await differences { try SigningFixtures.write([1, 2, 3], to: $0 + "/weights/extra.bin") }
        #expect(found == [.added(path: "weights/extra.bin")])
    }

    @Test func removedFileIsReported() async throws {
        let found = try await differences { try FileManager.default.removeItem(atPath: $0 + "/config.json") }
        #expect(found == [.removed(path: "config.json")])
    }

    @Test(arguments: [HashingMethod.files, .shards(size: 16)])
    func renamedFileIsReported(method: HashingMethod) async throws {
        let found = try await differences(method: method) {
            try FileManager.default.moveItem(atPath: $0 + "/weights/layer1.bin", toPath: $0 + "/weights/layer9.bin")
        }
        #expect(found == [.renamed(from: "weights/layer1.bin", to: "weights/layer9.bin")])
    }

    @Test func severalChangesAreAllListed() async throws {
        let found = try await differences { model in
            try flipFirstByte(model + "/config.json")
            try FileManager.default.removeItem(atPath: model + "/empty.txt")
            try SigningFixtures.write([0], to: model + "/new.bin")
        }
        #expect(Set(found.map(\.path)) == ["config.json", "empty.txt", "new.bin"])
    }

    @Test func signatureOfAnotherModelIsRejected() async throws {
        // A genuine signature, but of a different model (the single-file fixture).
        let base = try SigningFixtures.scratchCopy()
        defer { SigningFixtures.cleanup(base) }
        let other = try await ModelSigner.sign(modelAt: base + "/single.bin", identity: .key(try SigningFixtures.privateKey()))
        try other.write(to: base + "/swapped.sig")
        do {
            _ = try await ModelVerifier.verify(modelAt: base + "/model", signatureFile: base + "/swapped.sig", key: .publicKey(try SigningFixtures.publicKey()))
            Issue.record("another model's signature verified")
        } catch let error as SigningError {
            #expect(error.code == .modelMismatch)
            #expect(error.differences.contains(.removed(path: ".")))
            #expect(error.differences.contains(.added(path: "config.json")))
        }
    }

    @Test func gitPathsAreIgnoredByDefault() async throws {
        let base = try SigningFixtures.scratchCopy()
        defer { SigningFixtures.cleanup(base) }
        let model = base + "/model"
        let before = try await ModelHasher.manifest(of: model, options: HashingOptions())
        #expect(!before.resources.contains { $0.name == ".gitattributes" })
        try FileManager.default.createDirectory(atPath: model + "/.git/objects", withIntermediateDirectories: true)
        try SigningFixtures.write([1], to: model + "/.git/objects/x")
        try SigningFixtures.write([1], to: model + "/.gitignore")
        let after = try await ModelHasher.manifest(of: model, options: HashingOptions())
        #expect(after == before)
        #expect(after.serialization.ignorePaths == [".git", ".gitattributes", ".github", ".gitignore"])
        let withGit = try await ModelHasher.manifest(of: model, options: HashingOptions(ignoreGitPaths: false))
        #expect(Set(withGit.resources.map(\.name)).isSuperset(of: [".git/objects/x", ".gitignore", ".gitattributes"]))
        let ignoring = try await ModelHasher.manifest(of: model, options: HashingOptions(ignorePaths: ["weights"]))
        #expect(!ignoring.resources.contains { $0.name.hasPrefix("weights/") })
        #expect(ignoring.resources.contains { $0.name == "weights.json" })
    }

    @Test func symlinksAreRefusedUnlessAllowed() async throws {
        let base = try SigningFixtures.scratchCopy()
        defer { SigningFixtures.cleanup(base) }
        let model = base + "/model"
        try FileManager.default.createSymbolicLink(atPath: model + "/link.bin", withDestinationPath: "weights/layer0.bin")
        do {
            _ = try await ModelHasher.manifest(of: model, options: HashingOptions())
            Issue.record("a symbolic link was hashed without --allow-symlinks")
        } catch {
            #expect(error.code == .unsupportedPath)
            #expect(error.message.contains("link.bin"))
        }
        let manifest = try await ModelHasher.manifest(of: model, options: HashingOptions(allowSymlinks: true))
        let link = try #require(manifest.resources.first { $0.name == "link.bin" })
        let target = try #require(manifest.resources.first { $0.name == "weights/layer0.bin" })
        #expect(link.digest == target.digest)
        #expect(manifest.serialization.allowSymlinks)
    }

    @Test func emptyFilesHaveNoShards() async throws {
        let files = try await ModelHasher.manifest(of: try SigningFixtures.path("model"), options: HashingOptions())
        let shards = try await ModelHasher.manifest(of: try SigningFixtures.path("model"), options: HashingOptions(method: .shards(size: 16)))
        #expect(files.resources.contains { $0.name == "empty.txt" })
        #expect(!shards.resources.contains { $0.name.hasPrefix("empty.txt") })
    }
}
