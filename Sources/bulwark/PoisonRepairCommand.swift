import ArgumentParser
import BulwarkAssessment
import BulwarkData
import BulwarkModels
import BulwarkPoisoning
import BulwarkTensor
import Foundation

/// `bulwark poison repair`: retrain without the examples a detector flagged and report clean
/// accuracy and attack success before and after.
struct PoisonRepairCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "repair",
        abstract: "Retrain a fresh model without the flagged training examples; report clean accuracy and attack success before and after.",
        discussion: """
        The flagged examples come from --flagged (an .npy of row indices) or --from-check (the JSON \
        of `data check --json`: its flagged_indices; or of `data detect --json`: its result's \
        flaggedIndices). The retrained model is a fresh --arch model of the poisoned model's input \
        shape and classes, trained with Adam. Attack success is measured on --test-data stamped \
        with the trigger (trigger.npy and trigger_mask.npy, as `bulwark poison` wrote them).

        Example:
          bulwark poison repair --model poisoned.safetensors --data poisoned/x.npy --labels poisoned/y.npy \\
            --from-check check.json --test-data test_x.npy --test-labels test_y.npy \\
            --trigger poisoned/trigger.npy --target-class 0 --arch cnn --epochs 3 --out repaired.safetensors
        """
    )

    @Option(help: "The poisoned model (trained on --data).") var model: String
    @Option(help: "Architecture of the retrained model (and of --model when its file does not record it).") var arch: ZooArchitecture
    @OptionGroup(title: "Training set the poisoned model was trained on") var examples: LabelledDataOptions
    @Option(help: "Row indices to remove (.npy of integers).") var flagged: String?
    @Option(name: .customLong("from-check"), help: "The JSON of `data check --json` or `data detect --json` to take the flagged rows from.") var fromCheck: String?
    @Option(name: .customLong("test-data"), help: "Clean test inputs (.npy or .npz).") var testData: String
    @Option(name: .customLong("test-labels"), help: "Labels of --test-data (.npy), unless its .npz holds them.") var testLabels: String?
    @Option(help: "The trigger pattern (trigger.npy written by `bulwark poison`).") var trigger: String
    @Option(name: .customLong("trigger-mask"), help: "The trigger mask (default: trigger_mask.npy beside --trigger).") var triggerMask: String?
    @Option(name: .customLong("target-class"), parsing: .unconditional, help: "The class the attacker wants.") var targetClass: Int
    @Option(parsing: .unconditional, help: "Passes over the kept training examples.") var epochs: Int = 3
    @Option(name: .customLong("batch-size"), parsing: .unconditional, help: "Examples per step.") var batchSize: Int = 128
    @Option(name: .customLong("lr"), parsing: .unconditional, help: "Adam's learning rate.") var learningRate: Float = ZooArchitecture.defaultLearningRate
    @Option(parsing: .unconditional, help: "Seed of initialisation and shuffling.") var seed: UInt64 = 0
    @Option(help: "Where to write the retrained model (.safetensors).") var out: String
    @Flag(help: "Print one JSON object on stdout.") var json = false

    func validate() throws {
        guard (flagged == nil) != (fromCheck == nil) else { throw ValidationError("give exactly one of --flagged FLAGGED.npy and --from-check CHECK.json") }
        guard targetClass >= 0 else { throw ValidationError("--target-class must be ≥ 0, got \(targetClass)") }
        try Bounds.check(epochs, in: 1...10_000, "--epochs")
        try Bounds.check(batchSize, in: 1...65_536, "--batch-size")
        guard learningRate > 0, learningRate.isFinite else { throw ValidationError("--lr must be a positive number") }
        guard out.lowercased().hasSuffix(".safetensors") else { throw ValidationError("--out must name a .safetensors file, got '\(out)'") }
        if testLabels == nil, !testData.lowercased().hasSuffix(".npz") {
            throw ValidationError("--test-data \(testData) needs --test-labels Y.npy (only an .npz can hold its own labels)")
        }
    }

    /// The flagged rows from `--flagged` or `--from-check`.
    func flaggedRows() throws -> [Int] {
        if let flagged { return try NPY.read(path: flagged).toLabels() }
        guard let fromCheck else { return [] }
        guard let bytes = FileManager.default.contents(atPath: fromCheck) else { throw CLIError("input file not found: \(fromCheck)") }
        let object = try? JSONSerialization.jsonObject(with: bytes) as? [String: Any]
        if let rows = object?["flagged_indices"] as? [Int] { return rows }
        if let result = object?["result"] as? [String: Any], let rows = result["flaggedIndices"] as? [Int] {
            guard result["unit"] as? String != "class" else { throw CLIError("\(fromCheck): its detector flagged classes, not training examples") }
            return rows
        }
        throw CLIError("\(fromCheck): no flagged_indices (data check --json) or result.flaggedIndices (data detect --json) in it")
    }

    /// What `--json` prints.
    struct Output: Encodable {
        var model: String, out: String, flaggedFrom: String, report: RepairReport

        enum CodingKeys: String, CodingKey { case model, out, flaggedFrom = "flagged_from", report }
    }

    func run() throws {
        configureNumerics()
        try refuseOverwrite(out, inputs: examples.paths + [model, flagged, fromCheck, testData, testLabels, trigger, triggerMask], role: "--out")
        let poisoned = try ModelLoader.classifier(path: model, architecture: arch)
        let train = try examples.load(for: poisoned, modelPath: model)
        let test = try ModelExamples.examples(from: .arrays(data: testData, labels: testLabels), for: poisoned, modelPath: model, limit: nil)
        let maskPath = triggerMask ?? ((trigger as NSString).deletingLastPathComponent as NSString).appendingPathComponent("trigger_mask.npy")
        let stamp: Trigger
        do { stamp = try Trigger(mask: try NPY.read(path: maskPath).toTensor(), pattern: try NPY.read(path: trigger).toTensor()) } catch let error as PoisoningError {
            throw CLIError("\(trigger), \(maskPath): \(error.message)")
        }
        let job = RetrainRepairJob(architecture: arch, configuration: TrainingConfiguration(epochs: epochs, batchSize: batchSize, seed: seed),
                                   learningRate: learningRate)
        let (repaired, report) = try job.run(poisoned: poisoned, inputs: train.inputs, labels: train.labels, flagged: try flaggedRows(),
                                             test: (test.inputs, test.labels), targetClass: targetClass, trigger: stamp)
        try ModelFile.save(repaired, architecture: arch, to: out)
        if json { return try printJSON(Output(model: model, out: out, flaggedFrom: flagged ?? fromCheck ?? "", report: report)) }
        func pct(_ x: Double) -> String { String(format: "%.2f %%", 100 * x) }
        print("Removed \(report.removedExamples) flagged example(s), retrained \(arch.rawValue) on \(report.keptExamples) in \(formatDuration(report.retrainingSeconds))")
        print("  clean accuracy: \(pct(report.before.cleanAccuracy)) → \(pct(report.after.cleanAccuracy))")
        print("  attack success: \(pct(report.before.attackSuccessRate)) → \(pct(report.after.attackSuccessRate)) of \(report.after.triggeredInputs) triggered non-target inputs")
        print("Repaired model: \(out)")
    }
}
