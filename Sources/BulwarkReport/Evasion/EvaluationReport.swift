public import BulwarkEvasion
public import BulwarkTensor
import Foundation

/// The report of a checked evaluation (`bulwark evaluate`): the evasion findings with the
/// checklist's verdict applied, the defence's findings, the evasion section with the image grid
/// drawn from the evaluation's kept examples, and the parameters that reproduce it.
public enum EvaluationReport {
    /// Rows of the image grid; an evaluation keeps ``AdversarialGallery/examplesToKeep(count:)``
    /// of them for it.
    public static let galleryRows = 8

    /// Builds the report.
    /// - Parameters:
    ///   - checked: the evaluation and its checklist.
    ///   - inputShape: the model's per-example shape (an image grid is drawn for 1×H×W or H×W).
    ///   - inputs: the evaluated inputs, `labels` their labels (the grid's originals).
    ///   - modelPath: the model file; `dataPath` and `labelsPath` the data files.
    ///   - command: the command line that reproduces the evaluation.
    public static func make(_ checked: CheckedEvaluationResult, inputShape: [Int], inputs: Tensor, labels: [Int],
                            modelPath: String, dataPath: String, labelsPath: String, command: String, toolVersion: String) -> Report {
        let result = checked.evaluation
        let runs = [EvaluationRun(name: "evaluate", result: result, reproduce: command, artifact: modelPath)]
        var grids: [ImageGrid] = []
        var note: String?
        if AdversarialGallery.imageSize(inputShape) == nil {
            note = "Inputs of shape \(inputShape) are not grayscale images; no image grid is drawn."
        } else if let cell = AdversarialGallery.pick(result) {
            if let g = AdversarialGallery.make(cell: cell, inputs: inputs, labels: labels, inputShape: inputShape,
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
                            toolVersion: toolVersion, command: command, seed: result.seed, parameters: parameters,
                            findings: findings, sections: [section, DefenceFindings.section(evidence)])
        report.environment["bulwark"] = toolVersion
        return report
    }
}

extension DefenceFindings {
    /// A defences report (`bulwark certify`, `bulwark defend detect`): the findings and the
    /// defences section of `evidence`.
    public static func report(_ evidence: DefenceEvidence, title: String, seed: UInt64, parameters: [String: String],
                              toolVersion: String) -> Report {
        var report = Report(title: title, toolVersion: toolVersion, command: evidence.reproduce, seed: seed,
                            parameters: parameters, findings: findings(evidence), sections: [section(evidence)])
        report.environment["bulwark"] = toolVersion
        return report
    }
}
