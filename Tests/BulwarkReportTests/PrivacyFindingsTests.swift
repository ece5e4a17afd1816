import BulwarkModels
import BulwarkPrivacy
import BulwarkTensor
import Foundation
import Testing
@testable import BulwarkReport

/// A privacy audit → findings, sections and the three renderings, on a real (tiny) audit.
@Suite struct PrivacyFindingsTests {
    /// A small MLP overfitted on 24 random 1×4×4 "images" with random labels (members), audited
    /// against 24 it never saw (non-members), with a claimed ε it cannot honour.
    static func audit(claimedEpsilon: Double?) throws -> (PrivacyAuditResult, Sequential) {
        var rng = SeededGenerator(seed: 11)
        let n = 48
        let x = Tensor(shape: [n, 1, 4, 4], scalars: (0..<(n * 16)).map { _ in Float.random(in: 0...1, using: &rng) })
        let y = (0..<n).map { _ in Int.random(in: 0..<3, using: &rng) }
        var model = try Sequential(inputShape: [1, 4, 4], layers: [Flatten(), Dense(16, 32, rng: &rng), ReLU(), Dense(32, 3, rng: &rng)])
        var adam = Adam(learningRate: 0.01)
        train(&model, inputs: x.rows(0..<24), labels: Array(y[0..<24]), optimizer: &adam,
              configuration: TrainingConfiguration(epochs: 200, batchSize: 24, seed: 1))
        let audit = PrivacyAudit(attacks: [.loss, .confidence], seed: 3, inversionClasses: [0, 1], inversionSteps: 20,
                                 claimedEpsilon: claimedEpsilon)
        let r = try audit.run(model, members: (x.rows(0..<24), Array(y[0..<24])), nonMembers: (x.rows(24..<48), Array(y[24..<48])))
        return (r, model)
    }

    @Test func membershipFindingsCarryTheAuditsFiguresAndTaxonomy() throws {
        let (r, model) = try Self.audit(claimedEpsilon: nil)
        let report = PrivacyFindings.report(r, model: "m.safetensors", command: "bulwark privacy audit --seed 3",
                                            inputShape: model.inputShape, toolVersion: "9.9.9")
        let loss = try #require(report.findings.first { $0.id == "privacy.mia.loss" })
        let measured = try #require(r.attacks.first { $0.attack == .loss })
        #expect(loss.metrics.first { $0.name == "auc" }?.value == measured.metrics.auc)
        #expect(loss.metrics.first { $0.name == "epsilon_lower_bound" }?.value == measured.empiricalEpsilon.epsilonLowerBound)
        #expect(loss.atlasID == ATLAS.membershipInference && loss.owaspID == OWASPML.membershipInference && loss.threat == .privacy)
        #expect(loss.severity == PrivacyFindings.severity(measured.metrics))
        #expect(loss.detail.contains("claims no differential privacy"))
        #expect(report.findings.contains { $0.id == "privacy.model-inversion" })
        #expect(report.toolVersion == "9.9.9" && report.environment["bulwark"] == "9.9.9")
        #expect(report.sections.map(\.title).contains("Membership inference"))
        // An overfitted model leaks: the loss attack separates members from non-members.
        #expect(measured.metrics.auc > 0.7, "AUC \(measured.metrics.auc)")
    }

    @Test func aBoundAboveTheClaimIsCritical() throws {
        let (r, model) = try Self.audit(claimedEpsilon: 1e-6)
        let report = PrivacyFindings.report(r, model: "m.safetensors", command: "c", inputShape: model.inputShape, toolVersion: "1")
        let broken = r.attacks.filter { $0.empiricalEpsilon.epsilonLowerBound > 1e-6 }
        #expect(!broken.isEmpty)
        for a in broken {
            let f = try #require(report.findings.first { $0.id == "privacy.mia.\(a.attack.rawValue)" })
            #expect(f.severity == .critical && f.detail.contains("the DP claim is false"))
        }
    }

    @Test func rendersAsHTMLJSONAndSARIF() throws {
        let (r, model) = try Self.audit(claimedEpsilon: 0.5)
        let report = PrivacyFindings.report(r, model: "m.safetensors", command: "c", inputShape: model.inputShape, toolVersion: "1")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bulwark-privacy-report-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let files = try ReportWriter.write(report, to: dir)
        #expect(files.map(\.lastPathComponent).sorted() == ["index.html", "report.json", "report.sarif"])
        let html = try String(contentsOf: dir.appendingPathComponent("index.html"), encoding: .utf8)
        #expect(html.contains("ROC curve") && html.contains(ATLAS.membershipInference))
    }
}
