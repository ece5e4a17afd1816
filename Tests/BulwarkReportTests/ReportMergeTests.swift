import BulwarkData
import BulwarkEvasion
import BulwarkModels
import BulwarkTensor
import Foundation
import Testing
@testable import BulwarkReport

/// Shard parts → `MergedReport` → the report one run gives.
@Suite struct ReportMergeTests {
    /// Finding id / metric name → value, wall times left out.
    static func figures(_ r: Report) -> [String: Double] {
        var out: [String: Double] = [:]
        for f in r.findings { for m in f.metrics where !m.name.contains("second") { out[f.id + "/" + m.name] = m.value } }
        return out
    }

    /// A part as the CLI writes and `report merge` reads it.
    static func roundTrip(_ part: ReportPart) throws -> ReportPart {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("part-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: url) }
        try ReportWriter.writeJSON(part, to: url)
        return try ReportPart.read(url)
    }

    static let context = RunContext(model: "m.safetensors", data: "x.npy", labels: "y.npy",
                                    arguments: ["evaluate", "--shard", "2/3", "--seed", "5", "--shard=1/3", "--out", "o d"], inputShape: [1, 6, 6])

    @Test func threeEvaluationShardsGiveTheReportOfOneRun() throws {
        let (model, x, y) = try EvasionReportTests.fixture()
        var plan = Evaluation(specs: [AttackSpec(.fgsm), AttackSpec(.pgd, maxIterations: 10, restarts: 1)], epsilons: [0.02, 0.3], batchSize: 16, seed: 5)
        plan.keptExamples = AdversarialGallery.examplesToKeep(count: EvaluationReport.galleryRows)
        let checked = CheckedEvaluation(evaluation: plan, checklist: ChecklistSettings(examples: 10, squareQueries: 10))
        let whole = try checked.run(model: model, inputs: x, labels: y)
        let command = Self.context.unshardedCommand
        #expect(command == "bulwark evaluate --seed 5 --out 'o d'")
        let single = EvaluationReport.make(whole, inputShape: model.inputShape, inputs: x, labels: y, modelPath: "m.safetensors",
                                           dataPath: "x.npy", labelsPath: "y.npy", command: command, toolVersion: "t")
        let parts = try (1...3).map { k in
            try Self.roundTrip(ReportPart(try checked.run(shard: Shard(index: k, count: 3), toolVersion: "t", model: model, inputs: x, labels: y),
                                          context: Self.context))
        }
        let merged = try MergedReport.merge(parts.reversed())
        #expect(merged.kind == .evaluation && merged.shards == 3)
        #expect(Self.figures(merged.report) == Self.figures(single) && !Self.figures(single).isEmpty)
        #expect(merged.report.findings.map(\.title) == single.findings.map(\.title))
        #expect(merged.report.parameters == single.parameters && merged.report.command == single.command)
        let grids = merged.report.sections.flatMap(\.imageGrids), expected = single.sections.flatMap(\.imageGrids)
        #expect(grids.count == 1 && grids.count == expected.count)
        #expect(grids.map { $0.rows.map(\.images) } == expected.map { $0.rows.map(\.images) })
    }

    @Test func certificationShardsGiveTheReportOfOneRun() throws {
        let (model, x, y) = try EvasionReportTests.fixture()
        let smoothing = try RandomizedSmoothing(base: model, sigma: 0.2, n0: 10, n: 60, alpha: 0.05)
        let whole = try smoothing.certify(inputs: x, labels: y, radii: [0, 0.1], seed: 4)
        let single = CertificationReport.make(whole, modelPath: "m.safetensors", dataPath: "x.npy", labelsPath: "y.npy",
                                              command: Self.context.unshardedCommand, toolVersion: "t")
        let parts = try (1...2).map { k in
            try Self.roundTrip(ReportPart(try smoothing.certify(shard: Shard(index: k, count: 2), toolVersion: "t", inputs: x, labels: y,
                                                                radii: [0, 0.1], seed: 4), context: Self.context))
        }
        let merged = try MergedReport.merge(parts)
        #expect(merged.certification?.examples == whole.examples && merged.certification?.curve == whole.curve)
        #expect(Self.figures(merged.report) == Self.figures(single) && merged.report.parameters == single.parameters)
    }

    @Test func partsOfDifferentKindsOrFormatsAreRefused() throws {
        let (model, x, y) = try EvasionReportTests.fixture()
        let smoothing = try RandomizedSmoothing(base: model, sigma: 0.2, n0: 5, n: 20, alpha: 0.05)
        let cert = ReportPart(try smoothing.certify(shard: Shard(index: 1, count: 2), toolVersion: "t", inputs: x, labels: y, radii: [0], seed: 1),
                              context: Self.context)
        let plan = CheckedEvaluation(evaluation: Evaluation(specs: [AttackSpec(.fgsm)], epsilons: [0.1], seed: 1), checklist: nil)
        let eval = ReportPart(try plan.run(shard: Shard(index: 2, count: 2), toolVersion: "t", model: model, inputs: x, labels: y), context: Self.context)
        do { _ = try MergedReport.merge([cert, eval]); Issue.record("merged different kinds") } catch {
            #expect(error.message == "merge: parts of different kinds: part 1 is 'certification', part 2 is 'evaluation'")
        }
        do { _ = try MergedReport.merge([cert]); Issue.record("merged an incomplete run") } catch {
            #expect(error.message == "merge: missing shard 2/2")
        }
        var wrong = cert
        wrong.format = "bulwark-report-part/9"
        #expect(throws: ReportError.self) { try Self.roundTrip(wrong) }
    }
}
