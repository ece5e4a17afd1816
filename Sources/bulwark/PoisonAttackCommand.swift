import ArgumentParser
import BulwarkData
import BulwarkModels
import BulwarkPoisoning
import BulwarkTensor
import Foundation

/// `bulwark poison [attack]`: writes a poisoned copy of a training set and the ground truth of the poison.
struct PoisonAttackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attack",
        abstract: "Poison a training set (label flipping, backdoors, clean-label attacks) for red-teaming.",
        discussion: """
        Writes DIR/x.npy (float32 inputs), DIR/y.npy (int64 labels), DIR/poison_indices.npy (the \
        poisoned rows: the ground truth detectors are scored against) and, for trigger attacks, \
        DIR/trigger.npy and DIR/trigger_mask.npy (C×H×W pattern p and mask m; stamped = (1−m)·x + m·p).

        --rate is the fraction of the pool each attack draws from: all examples (random label-flip), \
        the --source-class (targeted label-flip), the non-target examples (badnets, blend), the \
        target-class examples (clean-label, feature-collision, gradient-matching). Every choice is \
        drawn from --seed. clean-label, feature-collision and gradient-matching need --model (trained \
        on clean data); the last two need --victims (row indices into --victim-data, or into --data).

        Examples:
          bulwark poison --attack badnets --data x.npy --labels y.npy --target-class 0 --rate 0.1 \\
            --patch-size 3 --patch-position bottom-right --seed 1 --out poisoned
          bulwark poison --attack blend --data x.npy --labels y.npy --target-class 0 --rate 0.1 --alpha 0.1 --pattern noise --out blended
          bulwark poison --attack gradient-matching --model cnn.safetensors --data x.npy --labels y.npy \\
            --victim-data xt.npy --victims 17 --target-class 4 --rate 0.05 --eps 0.0627 --steps 40 --out brewed --json
        """
    )

    @Option(help: "The attack: \(PoisoningAttackKind.allCases.map(\.rawValue).joined(separator: ", ")).") var attack: PoisoningAttackKind
    @OptionGroup(title: "Training set to poison") var source: DataSourceOptions
    @Option(name: .customLong("target-class"), parsing: .unconditional, help: "The class the attacker wants (targeted label-flip: the new label).") var targetClass: Int?
    @Option(name: .customLong("source-class"), parsing: .unconditional, help: "label-flip: flip this class to --target-class (omit for random flipping).") var sourceClass: Int?
    @Option(parsing: .unconditional, help: "Fraction of the attack's pool to poison, in [0, 1].") var rate: Double
    @Option(name: .customLong("patch-size"), parsing: .unconditional, help: "Side of the square patch in pixels (badnets, clean-label).") var patchSize: Int = 3
    @Option(name: .customLong("patch-position"), help: "bottom-right, bottom-left, top-right, top-left, or x,y.") var patchPosition: PatchPosition = .bottomRight
    @Option(help: "Trigger pattern: white, checkerboard, noise, or a .npy file (default: white for patches, noise for blend).") var pattern: PatternArgument?
    @Option(parsing: .unconditional, help: "blend: weight of the pattern in (0, 1].") var alpha: Float = 0.1
    @Option(parsing: .unconditional, help: "L∞ budget on inputs in [0, 1] (clean-label, gradient-matching default 16/255; feature-collision: none unless given).") var eps: Float?
    @Option(parsing: .unconditional, help: "Optimisation steps (clean-label, feature-collision, gradient-matching).") var steps: Int = 40
    @Option(parsing: .unconditional, help: "gradient-matching: random restarts, best kept.") var restarts: Int = 1
    @Option(parsing: .unconditional, help: "feature-collision: weight β of ‖x − base‖² (default: 0.25·(feature dim / input dim)²).") var beta: Float?
    @Option(help: "A model trained on clean data (.safetensors or ONNX): needed by clean-label, feature-collision, gradient-matching.") var model: String?
    @Option(help: "Architecture when the safetensors file does not record it.") var arch: ZooArchitecture?
    @Option(help: "Comma-separated row indices of the victims (feature-collision, gradient-matching).") var victims: String?
    @Option(name: .customLong("victim-data"), help: "Inputs the --victims indices refer to (.npy; default: --data). Use test images: a victim left in the training set with its true label works against the attack.") var victimData: String?
    @Option(parsing: .unconditional, help: "Seed of every random choice.") var seed: UInt64 = 0
    @Option(help: "Directory to write x.npy, y.npy, poison_indices.npy and the trigger into.") var out: String
    @Flag(help: "Print one JSON object (the run's summary).") var json = false

    func validate() throws {
        guard source.isGiven else { throw ValidationError("give the training set: --data X.npy --labels Y.npy, --image-folder DIR, or --csv FILE --label-column NAME") }
        try source.requireLabels()
        guard rate >= 0, rate <= 1, rate.isFinite else { throw ValidationError("--rate must be in [0, 1], got \(rate)") }
        if attack != .labelFlip || sourceClass != nil, targetClass == nil { throw ValidationError("--attack \(attack.rawValue) needs --target-class") }
        if sourceClass != nil, attack != .labelFlip { throw ValidationError("--source-class goes with --attack label-flip") }
        if attack.needsModel, model == nil { throw ValidationError("--attack \(attack.rawValue) needs --model (a model trained on clean data)") }
        if attack.needsVictims, victims == nil { throw ValidationError("--attack \(attack.rawValue) needs --victims (row indices)") }
        if victimData != nil, victims == nil { throw ValidationError("--victim-data goes with --victims") }
        try Bounds.check(steps, in: 1...Bounds.steps, "--steps")
        try Bounds.check(restarts, in: 1...100, "--restarts")
        if let eps { guard eps > 0, eps <= 1 else { throw ValidationError("--eps must be in (0, 1], got \(eps)") } }
        guard alpha > 0, alpha <= 1 else { throw ValidationError("--alpha must be in (0, 1], got \(alpha)") }
        if attack.usesTrigger, attack != .blend { try Bounds.check(patchSize, in: 1...4096, "--patch-size") }
        _ = try victimIndices()
    }

    func victimIndices() throws -> [Int]? {
        guard let victims else { return nil }
        let parts = victims.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let indices = parts.compactMap { Int($0) }
        guard !parts.isEmpty, indices.count == parts.count, indices.allSatisfy({ $0 >= 0 }) else {
            throw ValidationError("--victims must be comma-separated row indices (e.g. 3,17), got '\(victims)'")
        }
        return indices
    }

    func run() throws {
        let outputs = ["x.npy", "y.npy", "poison_indices.npy", "trigger.npy", "trigger_mask.npy"].map { out + "/" + $0 }
        for path in outputs { try refuseOverwrite(path, inputs: source.paths + [model, victimData], role: "--out") }
        let classifier = try model.map { try ModelLoader.classifier(path: $0, architecture: arch) }
        let examples: LabeledDataset
        if let classifier, let model {
            examples = try source.load(for: classifier, modelPath: model, limit: nil)
        } else {
            guard let dataset = try source.dataset() else { throw CLIError("give the training set with --data") }
            examples = try dataset.load().examples
        }
        let classCount = classifier?.classCount ?? examples.classCount
        let victimInputs = try loadVictims(like: examples.inputs)
        let recipe = PoisoningRecipe(attack: attack, targetClass: targetClass ?? 0, rate: rate, seed: seed,
                                     trigger: try trigger(for: examples.inputs), sourceClass: sourceClass, epsilon: eps, steps: steps,
                                     restarts: restarts, beta: beta, victims: victimInputs)
        let result: PoisoningRun
        do { result = try recipe.run(inputs: examples.inputs, labels: examples.labels, classCount: classCount, model: classifier) } catch {
            throw CLIError(error.message)
        }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        try NPY.write(NDArray(result.data.inputs), path: outputs[0])
        try NPY.write(NDArray(labels: result.data.labels), path: outputs[1])
        try NPY.write(NDArray(labels: result.data.poisonIndices), path: outputs[2])
        if let trigger = result.data.trigger, examples.inputs.rank == 4 {
            let (c, h, w) = (examples.inputs.shape[1], examples.inputs.shape[2], examples.inputs.shape[3])
            do {
                try NPY.write(NDArray(try trigger.pattern(channels: c, height: h, width: w)), path: outputs[3])
                try NPY.write(NDArray(try trigger.mask(channels: c, height: h, width: w)), path: outputs[4])
            } catch let error as PoisoningError { throw CLIError(error.message) }
        } else {
            // a trigger left by an earlier run in DIR would not belong to this poison
            for path in outputs[3...] where FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
        }
        let s = result.summary
        if json { try printJSON(s); return }
        print("\(s.attack): poisoned \(s.poisonedCount) of \(s.examples) examples (\(s.labelsChanged) labels changed, max L∞ \(String(format: "%.4f", s.maxLinf))) in \(formatDuration(s.seconds))")
        if let o = s.objective { print("objective (\(o.name)): \(String(format: "%.6g", o.before)) → \(String(format: "%.6g", o.after))") }
        if let f = s.featureSpace { print("feature space: \(f)") }
        print("wrote \(out)/x.npy, y.npy, poison_indices.npy" + (result.data.trigger != nil ? ", trigger.npy, trigger_mask.npy" : ""))
    }

    /// The trigger the flags describe (nil for attacks without one).
    func trigger(for inputs: Tensor) throws -> Trigger? {
        guard attack.usesTrigger else { return nil }
        guard inputs.rank == 4 else {
            throw CLIError("--attack \(attack.rawValue) stamps images N×C×H×W; \(source.data ?? "the data") has shape \(inputs.shape) (give --model to reshape N×784 to its input)")
        }
        let chosen: TriggerPattern
        switch pattern ?? (attack == .blend ? .noise : .white) {
        case .white: chosen = .white
        case .checkerboard: chosen = .checkerboard
        case .noise: chosen = .noise(seed: seed)
        case .file(let path): chosen = .custom(try NPY.read(path: path).toTensor())
        }
        do {
            if attack == .blend {
                return try Trigger.blend(chosen, alpha: alpha, channels: inputs.shape[1], height: inputs.shape[2], width: inputs.shape[3])
            }
            return try Trigger.patch(chosen, size: patchSize, position: patchPosition, channels: inputs.shape[1])
        } catch { throw CLIError((pattern.flatMap { if case .file(let p) = $0 { p + ": " } else { nil } } ?? "") + error.message) }
    }

    /// The victims' inputs: rows of `--victim-data` (read like the training inputs) or of the training set.
    func loadVictims(like inputs: Tensor) throws -> Tensor? {
        guard let indices = try victimIndices() else { return nil }
        var pool = inputs
        if let victimData {
            pool = try ArrayFiles.inputs(path: victimData, exampleShape: Array(inputs.shape.dropFirst()))
            try ArrayFiles.checkRange(pool, 0...1, path: victimData)
        }
        let rows = pool.shape.first ?? 0
        if let bad = indices.first(where: { $0 >= rows }) {
            throw CLIError("--victims \(bad) is out of range: \(victimData ?? source.data ?? "the data") has \(rows) rows")
        }
        return pool.gatherRows(indices)
    }
}
