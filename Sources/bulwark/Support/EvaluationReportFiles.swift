import ArgumentParser
import BulwarkEvasion
import BulwarkModels
import BulwarkReport
import BulwarkTensor
import Foundation

/// Writes the report of `bulwark evaluate` (`index.html`, `report.json`, `report.sarif`) next
/// to `evaluation.json`.
enum EvaluationReportFiles {
    /// The command line as typed, shell-quoted: it reproduces the evaluation (every choice is seeded).
    static var commandLine: String {
        CommandLine.arguments.enumerated().map { $0 == 0 ? "bulwark" : shellQuoted($1) }.joined(separator: " ")
    }

    /// Rows of the report's image grid; the evaluation keeps the adversarial examples it needs
    /// (``AdversarialGallery/examplesToKeep(count:)``).
    static let galleryRows = 8

    /// Builds and writes the report; returns the files written.
    static func write(_ checked: CheckedEvaluationResult, model: any DifferentiableClassifier, modelPath: String, dataPath: String,
                      labelsPath: String, inputs: Tensor, labels: [Int], to directory: URL) throws -> [URL] {
        let result = checked.evaluation
        let command = commandLine
        let runs = [EvaluationRun(name: "evaluate", result: result, reproduce: command, artifact: modelPath)]
        var grids: [ImageGrid] = []
        var note: String?
        if AdversarialGallery.imageSize(model.inputShape) == nil {
            note = "Inputs of shape \(model.inputShape) are not grayscale images; no image grid is drawn."
        } else if let cell = AdversarialGallery.pick(result) {
            if let g = AdversarialGallery.make(cell: cell, inputs: inputs, labels: labels, inputShape: model.inputShape,
                                               clipMin: result.clipMin, clipMax: result.clipMax, count: galleryRows) {
                grids.append(g)
            } else {
                note = "No example among the first \(AdversarialGallery.examplesToKeep(count: galleryRows)) is classified correctly; no image grid is drawn."
            }
        }
        var section = EvasionFindings.section(runs, imageGrids: grids)
        if let note { section.text = (section.text ?? "") + " " + note }
        var parameters: [String: String] = [
            "model": modelPath, "data": dataPath, "labels": labelsPath, "examples": String(result.examples),
            "epsilons": result.epsilons.map { String($0) }.joined(separator: ", "), "batch_size": String(result.batchSize),
            "clip_range": "[\(result.clipMin), \(result.clipMax)]", "seed": String(result.seed),
        ]
        var seen: [AttackSpec] = []
        for cell in result.attacks where !seen.contains(cell.spec) {
            seen.append(cell.spec)
            let s = cell.spec
            parameters["attack.\(s.label)"] = "iterations \(s.maxIterations), restarts \(s.restarts)" + (s.maxQueries.map { ", queries \($0)" } ?? "")
        }
        let modelName = URL(fileURLWithPath: modelPath).lastPathComponent
        let evidence = DefenceEvidence(name: checked.defence.map { "\(modelName) + \($0.transform)" } ?? modelName, checked: checked,
                                       reproduce: command, artifact: modelPath)
        if let d = checked.defence {
            parameters["defense"] = d.transform
            parameters["attacker_gradient"] = d.gradient
        }
        if let c = checked.checklist {
            parameters["checklist"] = "\(c.primaryAttack) at ε = \(c.epsilon) on \(checked.checklistExamples) examples: \(c.label)"
        } else {
            parameters["checklist"] = "skipped"
        }
        let findings = DefenceFindings.applyChecklist(checked, to: EvasionFindings.findings(runs)) + DefenceFindings.findings(evidence)
        var report = Report(title: "Bulwark evasion evaluation: \(modelName)" + (checked.defence.map { " behind \($0.transform)" } ?? ""),
                            toolVersion: Bulwark.configuration.version, command: command, seed: result.seed, parameters: parameters,
                            findings: findings, sections: [section, DefenceFindings.section(evidence)])
        report.environment["bulwark"] = Bulwark.configuration.version
        do { return try ReportWriter.write(report, to: directory) } catch { throw CLIError(String(describing: error)) }
    }
}
