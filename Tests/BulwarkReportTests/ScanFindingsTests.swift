import BulwarkModels
import BulwarkSupplyChain
import Foundation
import Testing
@testable import BulwarkReport

/// Scan verdicts as findings, and the quoting of reproduce commands.
@Suite struct ScanFindingsTests {
    @Test func scanVerdictsBecomeFindings() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let good = dir.appendingPathComponent("m.safetensors")
        try ModelFile.save(ZooArchitecture.mlp.makeModel(seed: 1), architecture: .mlp, to: good.path)
        let bad = dir.appendingPathComponent("m.pkl")
        try Data([0x80, 2] + Array("cposix\nsystem\n(S'echo pwned'\ntR.".utf8)).write(to: bad)
        let scanner = ArtifactScanner()
        let files = [scanner.scanFile(path: good.path), scanner.scanFile(path: bad.path)]
        #expect(files.map(\.verdict) == [.clean, .malicious])
        let findings = ScanFindings.findings(files, reproduce: "bulwark scan")
        #expect(findings.map(\.severity) == [.info, .critical])
        #expect(findings.map(\.atlasID) == [ATLAS.supplyChainModel, ATLAS.unsafeMLArtifacts])
        #expect(findings.allSatisfy { $0.owaspID == OWASPML.supplyChain && $0.threat == .supplyChain })
        #expect(findings[1].detail.contains("posix"))
        #expect(ScanVerdict.clean.allowsLoading && !ScanVerdict.unsupported.allowsLoading && !ScanVerdict.suspicious.allowsLoading)
    }


    @Test func shellQuotingQuotesOnlyWhatNeedsIt() {
        #expect(shellQuoted("it's") == "'it'\\''s'")
        #expect(shellQuoted("plain-word_1.0") == "plain-word_1.0")
        #expect(shellQuoted("") == "''")
    }

    func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bulwark-scanfindings-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }
}
