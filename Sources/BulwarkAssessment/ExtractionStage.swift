public import BulwarkExtraction
public import BulwarkReport
import BulwarkData
import BulwarkModels
import BulwarkTensor
import Foundation

/// What the extraction stage of an assessment found and how long it took.
///
/// The stage plays an attacker who holds natural images of the problem domain: Knockoff Nets
/// (random selection) sends the **last** ``poolRows`` Fashion-MNIST test images to the assessed
/// model, trains an `mlp` substitute on its probability vectors, and measures fidelity on the
/// first ``fidelityExamples`` test images (the evaluation images, never queried). PRADA then
/// replays the attack's queries in order.
public struct ExtractionStageResult: Sendable {
    /// The extraction run: queries, fidelity, accuracy, seconds.
    public var report: ExtractionReport
    /// What each query-pattern detector saw of the attack's queries.
    public var detections: [ExtractionFindings.Detection]
    /// Test-set rows the attacker queried.
    public var poolRows: Range<Int>
    /// Held-out test images fidelity was measured on.
    public var fidelityExamples: Int
    /// Wall seconds of the whole stage (attack, training, evaluation, monitoring).
    public var seconds: Double
}

/// The extraction stage of ``Assessment``.
enum ExtractionStage {
    /// Substitute training epochs (the quick preset uses 2).
    static func epochs(quick: Bool) -> Int { quick ? 2 : 5 }

    /// Runs the stage on `model` with the configuration's query budget; `evaluationCount` test
    /// images (the evaluated ones) are the held-out set.
    /// - Throws: ``AssessmentError`` when the test data cannot be read or the attack refuses.
    static func run(model: Sequential, configuration c: AssessmentConfiguration, evaluationCount: Int,
                    progress: (AssessmentProgress) -> Void) throws(AssessmentError) -> ExtractionStageResult {
        let start = Date()
        let test: LabeledDataset
        do { test = try FashionMNIST.load(.test, directory: c.dataDirectory) } catch { throw AssessmentError(error.message, underlying: error) }
        let n = test.count
        let queries = min(c.extractionQueries, n - 1)
        let pool = (n - queries)..<n
        let heldOut = max(1, min(evaluationCount, n - queries))
        let victim = QueryAdapter(model)
        do throws(ExtractionError) {
            let substitute: Sequential
            do { substitute = try ZooArchitecture.mlp.makeModel(exampleShape: model.inputShape, classCount: model.classCount, seed: c.seed &+ 1) } catch {
                throw ExtractionError(.shapeMismatch, "substitute: \(error.message)", underlying: error)
            }
            let job = ExtractJob(attack: .knockoff, selection: .random, queries: queries,
                                 training: SubstituteTraining(epochs: epochs(quick: c.quick), seed: c.seed), recordTranscript: true)
            let outcome = try job.run(victim: victim, pool: test.inputs.rows(pool),
                                      test: (test.inputs.rows(0..<heldOut), Array(test.labels[0..<heldOut])), substitute: substitute) { p in
                var text = "Knockoff Nets: \(p.stage), \(p.queriesUsed)/\(queries) queries"
                if let t = p.training { text += ", epoch \(t.epoch)/\(t.epochs)" }
                progress(AssessmentProgress(stage: .extraction, message: text))
            }
            progress(AssessmentProgress(stage: .extraction, message: "PRADA replaying \(outcome.report.queriesUsed) queries"))
            let monitor = try MonitorJob.monitor(victim: victim, detectors: .prada, benign: nil).monitor
            let seen = try MonitorEvaluation.detection(transcript: outcome.transcript, monitor: monitor)
            let detections = monitor.detectors.map { d in
                ExtractionFindings.Detection(detector: d.name, queriesUntilAlert: seen.alerts.first { $0.detector == d.name }.map { $0.clientQueryIndex + 1 })
            }
            return ExtractionStageResult(report: outcome.report, detections: detections, poolRows: pool, fidelityExamples: heldOut,
                                         seconds: Date().timeIntervalSince(start))
        } catch {
            throw AssessmentError("extraction: \(error.message)", underlying: error)
        }
    }

    /// The findings of a stage's result.
    static func findings(_ r: ExtractionStageResult, reproduce: String, artifact: String) -> [Finding] {
        ExtractionFindings.findings(extraction: r.report, detections: r.detections, reproduce: reproduce, artifact: artifact)
    }

    /// The report section of a stage's result.
    static func section(_ r: ExtractionStageResult) -> Section {
        ExtractionFindings.section(runs: [(r.report, r.detections)], notes: [
            "The attacker queried test images \(r.poolRows.lowerBound)–\(r.poolRows.upperBound - 1) (natural images the model never trained on) "
                + "and trained an mlp substitute; fidelity is measured on the first \(r.fidelityExamples) test images, which it never queried"
                + String(format: " (%.2f s).", r.seconds),
            "Natural-image queries are what PRADA is weakest against: a detector that stays silent here does not show the model is safe from theft.",
        ])
    }
}
