import BulwarkExtraction
import Foundation
import Testing
@testable import BulwarkReport

/// A Knockoff run of `queries` queries with the given fidelity (nil: no held-out data).
private func run(fidelity: Double?, queries: Int = 2000) -> ExtractionReport {
    ExtractionReport(attack: "knockoff", selection: "random", queryBudget: queries, queriesUsed: queries, transferSetSize: queries, seconds: 3,
                     testExamples: fidelity == nil ? 0 : 1000, fidelity: fidelity, accuracy: fidelity.map { $0 - 0.05 }, victimAccuracy: fidelity == nil ? nil : 0.91)
}

@Test func extractionSeverityFollowsFidelityAndIsTaggedModelTheft() throws {
    for (fidelity, severity) in [(0.95, Severity.high), (0.80, .medium), (0.60, .low), (0.30, .info)] {
        let f = try #require(ExtractionFindings.findings(extraction: run(fidelity: fidelity), reproduce: "bulwark extract …").first)
        #expect(f.severity == severity, "fidelity \(fidelity)")
        #expect(f.atlasID == "AML.T0024.002" && f.owaspID == "ML05:2023" && f.threat == .extraction)
        #expect(f.id == "extraction.knockoff-random")
        #expect(f.metrics.contains { $0.name == "fidelity" && $0.value == fidelity })
    }
}

@Test func unmeasuredFidelityClaimsNothingAndEarlyDetectionLowersSeverityOneLevel() throws {
    let unmeasured = try #require(ExtractionFindings.findings(extraction: run(fidelity: nil), reproduce: "r").first)
    #expect(unmeasured.severity == .info && unmeasured.title.contains("not measured"))
    #expect(!unmeasured.metrics.contains { $0.name == "fidelity" })

    let early = [ExtractionFindings.Detection(detector: "prada", queriesUntilAlert: 150)]
    let caught = try #require(ExtractionFindings.findings(extraction: run(fidelity: 0.95), detections: early, reproduce: "r").first)
    #expect(caught.severity == .medium)
    #expect(caught.detail.contains("PRADA alerted after 150 queries"))
    #expect(caught.metrics.contains { $0.name == "prada_queries_until_alert" && $0.value == 150 })

    // an alert after most of the queries were spent does not lower it; silence is said, not hidden
    let late = [ExtractionFindings.Detection(detector: "prada", queriesUntilAlert: 1500)]
    #expect(try #require(ExtractionFindings.findings(extraction: run(fidelity: 0.95), detections: late, reproduce: "r").first).severity == .high)
    let silent = [ExtractionFindings.Detection(detector: "prada", queriesUntilAlert: nil)]
    let missed = try #require(ExtractionFindings.findings(extraction: run(fidelity: 0.95), detections: silent, reproduce: "r").first)
    #expect(missed.severity == .high && missed.detail.contains("PRADA did not alert"))
}

@Test func extractionSectionHasOneRowPerRunAndACurveChartWhenMeasured() {
    var withCurve = run(fidelity: 0.9)
    withCurve.curve = [ExtractionCurvePoint(queryBudget: 500, queriesUsed: 500, fidelity: 0.7, accuracy: 0.65, seconds: 1),
                       ExtractionCurvePoint(queryBudget: 2000, queriesUsed: 2000, fidelity: 0.9, accuracy: 0.85, seconds: 3)]
    let section = ExtractionFindings.section(runs: [(withCurve, []), (run(fidelity: nil), [ExtractionFindings.Detection(detector: "prada", queriesUntilAlert: 220)])])
    #expect(section.title == "Model extraction")
    #expect(section.tables.first?.rows.count == 2)
    #expect(section.tables.first?.rows.last?.last == "PRADA: alert after 220")
    #expect(section.charts.count == 1 && section.charts.first?.series.first?.points.count == 2)
}
