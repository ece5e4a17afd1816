import BulwarkModels
import BulwarkSupplyChain
import BulwarkTensor
import Foundation
import Testing
import BulwarkReport
@testable import BulwarkAssessment

/// The assessment pipeline's refusal to load a model that fails the scan.
@Suite struct AssessmentTests {
    static func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bulwark-assess-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// A cached "model" that is not a model stops the run before anything is loaded, and the
    /// report says so instead of hiding it.
    @Test func unscannableCachedModelStopsTheRun() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var c = AssessmentConfiguration.quickPreset()
        c.modelDirectory = dir.appendingPathComponent("models").path
        c.outputDirectory = dir.appendingPathComponent("report").path
        c.dataDirectory = dir.appendingPathComponent("no-data").path  // never reached
        try FileManager.default.createDirectory(atPath: c.modelDirectory, withIntermediateDirectories: true)
        try Data([0x80, 2] + Array("cposix\nsystem\n(S'echo pwned'\ntR.".utf8)).write(to: URL(fileURLWithPath: c.modelPath))
        let outcome = try Assessment(configuration: c).run()
        #expect(outcome.model.scan.verdict == .malicious)
        #expect(outcome.stopReason?.contains("malicious") == true)
        #expect(outcome.whiteBox == nil)
        #expect(outcome.report.findings.count == 1)
        #expect(outcome.report.findings.first?.severity == .critical)
        #expect(outcome.report.findings.first?.reproduce.hasPrefix("bulwark assess --quick") == true)
        let html = try String(contentsOf: URL(fileURLWithPath: c.outputDirectory + "/index.html"), encoding: .utf8)
        #expect(html.contains("carries a code-execution payload"))
        #expect(html.contains("Evasion (not run)"))
        #expect(FileManager.default.fileExists(atPath: c.outputDirectory + "/report.sarif"))
    }

    @Test func reproduceCommandSpellsOutTheOptions() {
        var c = AssessmentConfiguration()
        c.modelDirectory = "my models"
        #expect(c.reproduceCommand == "bulwark assess --model cnn --epochs 3 --limit 1000 --black-box-limit 100 --seed 0 --model-dir 'my models' --out report")
        #expect(c.modelPath == "my models/cnn-fashion-mnist-e3-s0.safetensors")
    }
}
