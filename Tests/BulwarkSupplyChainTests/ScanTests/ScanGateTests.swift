import BulwarkArchive
import Crypto
import Foundation
import Testing
@testable import BulwarkSupplyChain

/// The load gate: bytes read once, scanned, hashed, and handed out for loading only when clean.
@Suite struct ScanGateTests {
    static let picklePayload: [UInt8] = [0x80, 2] + Array("cposix\nsystem\n(S'echo pwned'\ntR.".utf8)

    static func hex(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    @Test func scanOverBytesMatchesScanOfTheFile() throws {
        for name in ["benign-dict.joblib", "malicious-joblib_after_array.joblib", "malicious-lambda.h5", "benign-weights_only.h5"] {
            let path = try ScanFixtures.path(name)
            let fromFile = ArtifactScanner().scanFile(path: path)
            let fromBytes = ArtifactScanner().scan(bytes: try ScanFixtures.bytes(name), path: path)
            #expect(fromBytes == fromFile, "\(name)")
        }
    }

    @Test func cleanBytesAreAcceptedWithTheirDigest() throws {
        let path = try ScanFixtures.path("benign-dict.joblib")
        let bytes = try ScanFixtures.bytes("benign-dict.joblib")
        let admission = ArtifactScanner().admit(bytes: bytes, path: path)
        let accepted = try #require(admission.accepted)
        #expect(accepted.bytes == bytes)
        #expect(accepted.sha256 == Self.hex(bytes))
        #expect(admission.sha256 == accepted.sha256)
        #expect(accepted.scan.verdict == .clean)
    }

    @Test func anythingButCleanIsRefused() throws {
        let malicious = ArtifactScanner().admit(bytes: Self.picklePayload, path: "model.pkl")
        #expect(malicious.accepted == nil)
        #expect(malicious.scan.verdict == .malicious)
        #expect(malicious.sha256 == Self.hex(Self.picklePayload))
        // Not analysable (unsupported) is not clean either.
        let unknown = ArtifactScanner().admit(bytes: Array("just some text, not a model".utf8), path: "notes.bin")
        #expect(unknown.scan.verdict != .clean)
        #expect(unknown.accepted == nil)
        let weightsOnly = ArtifactScanner().admit(bytes: try ScanFixtures.bytes("benign-weights_only.h5"), path: "w.h5")
        #expect(weightsOnly.scan.verdict == .unsupported)
        #expect(weightsOnly.accepted == nil)
    }

    @Test func admitReadsTheFileOnceAndRefusesWhatIsNotARegularFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bulwark-gate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("m.pkl")
        try Data(Self.picklePayload).write(to: file)
        let admission = try ArtifactScanner().admit(path: file.path, maxBytes: 1 << 20)
        #expect(admission.scan.verdict == .malicious)
        #expect(admission.scan.path == file.path)
        #expect(throws: ArchiveError.self) { try ArtifactScanner().admit(path: dir.path, maxBytes: 1 << 20) }
        #expect(throws: ArchiveError.self) { try ArtifactScanner().admit(path: file.path, maxBytes: 4) }
        #expect(throws: ArchiveError.self) { try ArtifactScanner().admit(path: dir.appendingPathComponent("missing").path, maxBytes: 1 << 20) }
    }
}
