import BulwarkAccess
import BulwarkRegistry
import BulwarkStore
import BulwarkSupplyChain
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Kill -9 during uploads and promotions loses no committed record and leaves no half-visible
/// version (SQLite).
///
/// The test re-runs this test binary as a child that runs only `registryCrashChildWorksUntilKilled`:
/// it uploads, gates, approves and promotes version after version, printing each number after
/// its promotion returns. The parent kills it mid-stream and reopens the registry.
@Suite struct RegistryCrashTests {
    static let childVariable = "BULWARK_REGISTRY_CRASH_CHILD_DIR"

    @Test func killMinus9DuringUploadsAndPromotionsLeavesAConsistentRegistry() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bulwark-registry-crash-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }

        let executable = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        let child = Process()
        child.executableURL = URL(fileURLWithPath: executable)
        child.arguments = ["--testing-library", "swift-testing", "--filter", "registryCrashChildWorksUntilKilled"]
        var environment = ProcessInfo.processInfo.environment
        environment[Self.childVariable] = directory
        child.environment = environment
        let output = Pipe()
        child.standardOutput = output
        child.standardError = FileHandle.nullDevice
        try child.run()

        let wanted = 25
        let acknowledged: Int = await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                var buffer = ""
                var last = 0
                let deadline = Date().addingTimeInterval(90)
                while last < wanted, Date() < deadline {
                    let data = output.fileHandleForReading.availableData
                    if data.isEmpty { break }
                    buffer += String(decoding: data, as: UTF8.self)
                    while let newline = buffer.firstIndex(of: "\n") {
                        let line = buffer[..<newline]
                        buffer.removeSubrange(...newline)
                        if line.hasPrefix("PROMOTED "), let number = Int(line.dropFirst("PROMOTED ".count)) { last = number }
                    }
                }
                kill(child.processIdentifier, SIGKILL)
                continuation.resume(returning: last)
            }
        }
        child.waitUntilExit()
        #expect(child.terminationReason == .uncaughtSignal)
        #expect(acknowledged >= wanted, "the child acknowledged only \(acknowledged) promotions")

        let db = try await openDatabase(.sqlite(path: directory + "/registry.db"))
        let registry = try await ModelRegistry.open(database: db, blobDirectory: directory + "/blobs", clock: { Date() })
        let versions = try await registry.versions(model: "cats")
        let history = try await registry.history(model: "cats")
        // numbers 1...n without gaps; every acknowledged promotion is there
        #expect(versions.map(\.number) == Array(1...max(1, versions.count)))
        #expect(versions.count >= acknowledged)
        for number in 1...acknowledged {
            #expect(history.contains { $0.version == number && $0.to == .production }, "promotion of version \(number) was lost")
        }
        // exactly one production version, and every version's state is its last recorded change
        #expect(versions.filter { $0.state == .production }.count == 1)
        for version in versions {
            #expect(history.last { $0.version == version.number }?.to == version.state, "version \(version.number)")
            // no half-visible version: every row has its blob, intact
            let download = try await registry.download(model: "cats", version: version.number)
            #expect(download.sha256 == version.sha256)
        }
        // what the kill left behind (a temporary file, an unreferenced blob) is swept, nothing else
        _ = try await registry.sweep(olderThan: -3600)
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: directory + "/blobs/tmp")) ?? []).isEmpty)
        let blobs = Set((try? FileManager.default.contentsOfDirectory(atPath: directory + "/blobs/sha256")) ?? [])
        #expect(blobs == Set(versions.map(\.sha256)))
        await db.close()
    }

    /// The worker run in the child process by the test above; skipped in a normal run.
    @Test(.enabled(if: ProcessInfo.processInfo.environment[childVariable] != nil,
                   "runs only as the child process of killMinus9DuringUploadsAndPromotionsLeavesAConsistentRegistry"))
    func registryCrashChildWorksUntilKilled() async throws {
        let directory = try #require(ProcessInfo.processInfo.environment[Self.childVariable])
        let db = try await openDatabase(.sqlite(path: directory + "/registry.db"))
        let registry = try await ModelRegistry.open(database: db, blobDirectory: directory + "/blobs", clock: { Date() })
        let now = Date()
        let alice = Principal(id: "alice", roles: ["publisher"], team: "vision", mfaVerifiedAt: now)
        let bob = Principal(id: "bob", roles: ["approver"], mfaVerifiedAt: now)
        let carol = Principal(id: "carol", roles: ["admin"], mfaVerifiedAt: now)
        try await registry.createModel(name: "cats", team: "vision", riskTier: .low, dataClassification: .internal, by: alice)
        let key = ModelSigningPrivateKey.generateP256()
        try await registry.registerPublisherKey(Array(key.publicKey.pemRepresentation.utf8), for: .user("alice"), by: carol)
        let scratch = directory + "/scratch.safetensors"
        for round in 1...1_000_000 {
            let bytes = Artifacts.safetensors(seed: Float(round))
            try Data(bytes).write(to: URL(fileURLWithPath: scratch))
            let signature = try await ModelSigner.sign(modelAt: scratch, identity: .key(key)).bundle
            let version = try await registry.upload(chunked(bytes, size: 16), model: "cats", filename: "m.safetensors", by: alice, signatureBundle: signature)
            try await registry.submit(model: "cats", version: version.number, by: alice)
            try await registry.approve(model: "cats", version: version.number, by: bob)
            try await registry.promoteToProduction(model: "cats", version: version.number, by: bob)
            FileHandle.standardOutput.write(Data("PROMOTED \(version.number)\n".utf8))
        }
        await db.close()
    }
}
