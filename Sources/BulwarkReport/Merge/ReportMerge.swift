import BulwarkData
public import BulwarkEvasion
public import BulwarkPrivacy
public import Foundation

/// Merges the parts of a sharded run (`bulwark report merge`) into the report one unsharded
/// run writes: the same findings and numbers for the same seed; wall times are summed over the
/// shards and the recorded command is the unsharded one (``RunContext/unshardedCommand``).
public struct MergedReport: Sendable {
    /// The kind of run.
    public var kind: ReportPart.Kind
    /// Shards merged.
    public var shards: Int
    /// The report.
    public var report: Report
    /// The merged evaluation (kind `evaluation`).
    public var evaluation: CheckedEvaluationResult?
    /// The merged certification (kind `certification`).
    public var certification: CertificationResult?
    /// The merged audit (kind `privacy-audit`).
    public var audit: PrivacyAuditResult?

    /// Checks that `parts` are shards 1…N of one run and merges them.
    /// - Throws: ``ReportError`` in one line: parts of different kinds, or (from the threat
    ///   module) what differs between them, or a duplicate or missing shard.
    public static func merge(_ parts: [ReportPart]) throws(ReportError) -> MergedReport {
        guard let first = parts.first else { throw ReportError("merge: no parts given") }
        if let p = parts.firstIndex(where: { $0.kind != first.kind }) {
            throw ReportError("merge: parts of different kinds: part 1 is '\(first.kind.rawValue)', part \(p + 1) is '\(parts[p].kind.rawValue)'")
        }
        // shard 1's context (files, command) describes the run
        let context = { (shardOne: Int?) in shardOne.map { parts[$0].context } ?? first.context }
        let command: String
        switch first.kind {
        case .evaluation:
            let pieces = parts.compactMap(\.evaluation)
            let merged: PartialEvaluation.Merged
            do { merged = try PartialEvaluation.merge(pieces) } catch { throw ReportError(error.message, underlying: error) }
            let c = context(pieces.firstIndex { $0.run.shard.index == 1 })
            command = c.unshardedCommand
            let report = EvaluationReport.make(merged.result, inputShape: merged.inputShape, inputs: merged.keptInputs,
                                               labels: merged.keptLabels, modelPath: c.model, dataPath: c.data, labelsPath: c.labels,
                                               command: command, toolVersion: pieces[0].run.toolVersion)
            return MergedReport(kind: .evaluation, shards: pieces.count, report: report, evaluation: merged.result)
        case .certification:
            let pieces = parts.compactMap(\.certification)
            let result: CertificationResult
            do { result = try PartialCertification.merge(pieces) } catch { throw ReportError(error.message, underlying: error) }
            let c = context(pieces.firstIndex { $0.run.shard.index == 1 })
            command = c.unshardedCommand
            let report = CertificationReport.make(result, modelPath: c.model, dataPath: c.data, labelsPath: c.labels,
                                                  command: command, toolVersion: pieces[0].run.toolVersion)
            return MergedReport(kind: .certification, shards: pieces.count, report: report, certification: result)
        case .privacyAudit:
            let pieces = parts.compactMap(\.audit)
            let result: PrivacyAuditResult
            do { result = try PartialPrivacyAudit.merge(pieces) } catch { throw ReportError(error.message, underlying: error) }
            let c = context(pieces.firstIndex { $0.run.shard.index == 1 })
            command = c.unshardedCommand
            let report = PrivacyFindings.report(result, model: c.model, command: command, inputShape: c.inputShape,
                                                toolVersion: pieces[0].run.toolVersion)
            return MergedReport(kind: .privacyAudit, shards: pieces.count, report: report, audit: result)
        }
    }

    /// Writes what the unsharded command writes into `directory`: `evaluation.json` and
    /// `checked-evaluation.json` or `certification.json` (by kind), then `index.html`,
    /// `report.json` and `report.sarif`.
    /// - Returns: the paths written.
    @discardableResult
    public func write(to directory: URL) throws -> [URL] {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw ReportError(.io, "cannot create report directory \(directory.path): \(error.localizedDescription)", underlying: error)
        }
        var written: [URL] = []
        if let evaluation {
            let url = directory.appendingPathComponent("evaluation.json")
            try ReportWriter.writeJSON(evaluation.evaluation, to: url)
            try ReportWriter.writeJSON(evaluation, to: directory.appendingPathComponent("checked-evaluation.json"))
            written.append(url)
        }
        if let certification {
            return try ReportWriter.write(report, result: certification, resultName: "certification.json", to: directory)
        }
        return written + (try ReportWriter.write(report, to: directory))
    }
}

/// The report of a randomized-smoothing certification (`bulwark certify`).
public enum CertificationReport {
    /// Builds the report of `result` for `modelPath` certified on `dataPath`/`labelsPath`,
    /// reproduced by `command`.
    public static func make(_ result: CertificationResult, modelPath: String, dataPath: String, labelsPath: String,
                            command: String, toolVersion: String) -> Report {
        let name = URL(fileURLWithPath: modelPath).lastPathComponent
        let evidence = DefenceEvidence(name: "\(name), σ = \(result.sigma)", certification: result, reproduce: command, artifact: modelPath)
        return DefenceFindings.report(evidence, title: "Bulwark certification: \(name)", seed: result.seed,
                                      parameters: ["model": modelPath, "data": dataPath, "labels": labelsPath, "sigma": String(result.sigma),
                                                   "n0": String(result.n0), "n": String(result.n), "alpha": String(result.alpha),
                                                   "examples": String(result.examples.count), "seed": String(result.seed)],
                                      toolVersion: toolVersion)
    }
}
