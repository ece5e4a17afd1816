import ArgumentParser
import BulwarkData
import BulwarkModels
import BulwarkPoisoning
import BulwarkTensor
import Foundation

/// `bulwark poison evaluate`: clean accuracy, attack success and victim misclassification of a
/// model trained on poisoned data, and their change against one trained on clean data.
struct PoisonEvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Measure a poisoned model on a clean test set: clean accuracy, attack success rate, victim misclassification, deltas vs a clean model.",
        discussion: """
        Attack success rate: the test inputs whose label is not --target-class, stamped with the \
        trigger (--trigger trigger.npy and --trigger-mask, as `bulwark poison` wrote them; the mask \
        defaults to trigger_mask.npy beside the pattern), that the model classifies as the target. \
        Victim rate: the share of --victims (rows of --data) classified as the target (clean-label, \
        feature-collision, gradient-matching). With --clean-model each figure is also measured on \
        the model trained on clean data and the deltas are poisoned − clean.

        Example:
          bulwark poison evaluate --model poisoned.safetensors --clean-model clean.safetensors \\
            --data test_x.npy --labels test_y.npy --trigger poisoned/trigger.npy --target-class 0
        """
    )

    @OptionGroup var input: ModelOptions
    @Option(name: .customLong("clean-model"), help: "The same architecture trained on clean data, to compare with.") var cleanModel: String?
    @OptionGroup(title: "Clean test set") var examples: LabelledDataOptions
    @Option(help: "The trigger pattern (trigger.npy written by `bulwark poison`).") var trigger: String?
    @Option(name: .customLong("trigger-mask"), help: "The trigger mask (default: trigger_mask.npy beside --trigger).") var triggerMask: String?
    @Option(name: .customLong("target-class"), parsing: .unconditional, help: "The class the attacker wants.") var targetClass: Int
    @Option(help: "Comma-separated rows of --data that are the attack's victims.") var victims: String?
    @Flag(help: "Print one JSON object on stdout.") var json = false

    func validate() throws {
        guard targetClass >= 0 else { throw ValidationError("--target-class must be ≥ 0, got \(targetClass)") }
        if triggerMask != nil, trigger == nil { throw ValidationError("--trigger-mask goes with --trigger") }
        if trigger == nil, victims == nil { throw ValidationError("give --trigger trigger.npy (attack success) or --victims ROWS (victim misclassification), or both") }
        _ = try victimRows()
    }

    func victimRows() throws -> [Int]? {
        guard let victims else { return nil }
        let parts = victims.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let rows = parts.compactMap { Int($0) }
        guard !parts.isEmpty, rows.count == parts.count, rows.allSatisfy({ $0 >= 0 }) else {
            throw ValidationError("--victims must be comma-separated row indices (e.g. 3,17), got '\(victims)'")
        }
        return rows
    }

    /// What `--json` prints.
    struct Output: Encodable {
        var model: String, cleanModel: String?, data: String, trigger: String?, evaluation: PoisoningEvaluation, seconds: Double

        enum CodingKeys: String, CodingKey {
            case model, cleanModel = "clean_model", data, trigger, evaluation, seconds
        }
    }

    func run() throws {
        configureNumerics()
        let started = Date()
        let poisoned = try input.load()
        let clean = try cleanModel.map { try ModelLoader.classifier(path: $0, architecture: input.arch) }
        let test = try examples.load(for: poisoned, modelPath: input.model)
        let stamp = try trigger.map { path throws -> Trigger in
            let maskPath = triggerMask ?? ((path as NSString).deletingLastPathComponent as NSString).appendingPathComponent("trigger_mask.npy")
            let pattern = try NPY.read(path: path).toTensor(), mask = try NPY.read(path: maskPath).toTensor()
            do { return try Trigger(mask: mask, pattern: pattern) } catch let error as PoisoningError { throw CLIError("\(path), \(maskPath): \(error.message)") }
        }
        var victimInputs: Tensor?
        if let rows = try victimRows() {
            if let bad = rows.first(where: { $0 >= test.labels.count }) {
                throw CLIError("--victims \(bad) is out of range: \(examples.data) has \(test.labels.count) rows")
            }
            victimInputs = test.inputs.gatherRows(rows)
        }
        let evaluation = try PoisoningEvaluation(poisoned: poisoned, clean: clean, testInputs: test.inputs, testLabels: test.labels,
                                                 targetClass: targetClass, trigger: stamp, victims: victimInputs)
        let seconds = Date().timeIntervalSince(started)
        if json {
            try printJSON(Output(model: input.model, cleanModel: cleanModel, data: examples.data, trigger: trigger, evaluation: evaluation, seconds: seconds))
            return
        }
        func pct(_ x: Double?) -> String { x.map { String(format: "%.2f %%", 100 * $0) } ?? "-" }
        func signed(_ x: Double?) -> String { x.map { String(format: "%+.2f points", 100 * $0) } ?? "-" }
        let p = evaluation.poisoned, c = evaluation.clean
        print("Target class \(targetClass), \(p.cleanCount) test examples (\(formatDuration(seconds)))")
        print("  clean accuracy:   \(pct(p.cleanAccuracy))" + (c.map { "  (clean model \(pct($0.cleanAccuracy)), \(signed(evaluation.cleanAccuracyDelta)))" } ?? ""))
        if let asr = p.attackSuccessRate {
            print("  attack success:   \(pct(asr)) of \(p.triggeredCount ?? 0) triggered non-target inputs"
                  + (c.map { "  (clean model \(pct($0.attackSuccessRate)), \(signed(evaluation.attackSuccessDelta)))" } ?? ""))
        }
        if let v = p.victimTargetRate {
            print("  victims → target: \(pct(v)) of \(p.victimCount ?? 0)"
                  + (c.map { "  (clean model \(pct($0.victimTargetRate)), \(signed(evaluation.victimTargetDelta)))" } ?? ""))
        }
    }
}
