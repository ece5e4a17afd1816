import ArgumentParser
import BulwarkAssessment
import BulwarkData
import BulwarkEvasion
import BulwarkModels
import BulwarkReport
import BulwarkTensor
import Foundation

/// `bulwark evaluate`: robust accuracy of a model under evasion attacks at several ε.
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Attack a model with evasion attacks at several ε and report robust accuracy.",
        discussion: """
        Attacks: \(AttackSpec.Kind.allCases.map(\.rawValue).joined(separator: ", ")). \
        Robust accuracy counts examples that are correct when clean and survive the attack; \
        it is the accuracy under the attacks that were run, not a guarantee. \
        Writes DIR/evaluation.json (every per-example outcome, parameters and seed) and the report: \
        DIR/index.html (self-contained: accuracy-vs-ε chart, a table per attack, original / adversarial / \
        difference images for image inputs), DIR/report.json and DIR/report.sarif, each finding tagged \
        with its MITRE ATLAS and OWASP ML Top 10 ids.

        After the attacks, the gradient-masking checklist runs on the first --checklist-limit \
        examples at the largest ε (iterative ≥ single-step, white-box ≥ black-box and transfer, \
        accuracy ~0 at a large ε, success grows with ε, healthy gradients, restarts and a \
        gradient-free attack find nothing new). When a check fails, every robustness figure is \
        marked UNRELIABLE (terminal, --json "reliable": false with "failed_checks", and the report). \
        --no-checklist skips it (figures are then "not checked"). With --defense TRANSFORM \
        (\(TransformSpec.help)) the model is evaluated behind that input transform, attacked \
        adaptively (BPDA, plus EOT for random transforms; --gradient plain shows the naive attacker), \
        and the same attacks run on the undefended model for comparison; --baseline FILE does the \
        same for a model hardened by training.

        --shard K/N runs only shard K's contiguous block of the examples (the checklist runs in \
        shard 1, on the first examples of the whole data) and writes OUT/evaluation.part-K-of-N.json \
        instead of the report; 'bulwark report merge' combines shards 1…N into the report one run \
        writes (every example's random choices are keyed by its index in the whole data set).

        Examples:
          bulwark evaluate --model cnn.safetensors --data x.npy --labels y.npy \\
            --attack fgsm,pgd --eps 0.05,0.1 --limit 500 --out eval --json
          bulwark evaluate --model cnn.safetensors --defense jpeg:75 --gradient plain --data x.npy --labels y.npy \\
            --attack pgd --eps 0.1 --limit 100 --out eval-jpeg
        """
    )

    @OptionGroup var input: ModelOptions
    @OptionGroup var examples: LabelledDataOptions
    @OptionGroup var sharding: ShardOptions

    @Option(help: "Comma-separated attacks.")
    var attack: String = "fgsm,pgd"

    @Option(parsing: .unconditional, help: "Comma-separated ε values.")
    var eps: String = "0.05,0.1"

    @Option(help: "Perturbation norm.")
    var norm: PerturbationNorm = .linf

    @Option(parsing: .unconditional, help: "Iterations per example (iterative attacks).")
    var steps: Int = 10

    @Option(parsing: .unconditional, help: "Absolute step size (FGSM, BIM, PGD, APGD); default: each attack's schedule.")
    var stepSize: Float?

    @Option(parsing: .unconditional, help: "Random restarts (PGD, APGD).")
    var restarts: Int = 0

    @Option(parsing: .unconditional, help: "Query budget per example (square, hsj).")
    var queries: Int?

    @Option(parsing: .unconditional, help: "Examples per batch.")
    var batchSize: Int = 128

    @Option(parsing: .unconditional, help: "Seed of every random choice.")
    var seed: UInt64 = 0

    @Option(help: "Output directory.")
    var out: String

    @Option(name: [.customLong("defense"), .customLong("transform")],
            help: "Evaluate the model behind an input-transform defence, e.g. jpeg:75 or bit-depth:1.")
    var defense: String?

    @Option(help: "Attacker gradient on a --defense model: adaptive (BPDA/EOT) or plain (naive).")
    var gradient: EvaluatedGradient = .adaptive

    @Option(name: .customLong("eot-samples"), parsing: .unconditional, help: "EOT samples for random transforms (default: the transform's recommendation).")
    var eotSamples: Int?

    @Option(help: "The model before a training defence: evaluated with the same attacks for a before/after comparison.")
    var baseline: String?

    @Flag(name: .customLong("no-checklist"), help: "Skip the gradient-masking checklist (robustness figures are then not checked).")
    var noChecklist = false

    @Option(name: .customLong("checklist-limit"), parsing: .unconditional, help: "Examples the checklist runs on (the first ones).")
    var checklistLimit: Int = 100

    @Option(name: .customLong("checklist-restarts"), parsing: .unconditional, help: "Restarts of the checklist's restarted PGD.")
    var checklistRestarts: Int = 1

    @Option(name: .customLong("checklist-queries"), parsing: .unconditional, help: "Square Attack queries per example in the checklist (0 skips the black-box checks).")
    var checklistQueries: Int = 200

    @Flag(help: "Print one JSON object on stdout.")
    var json = false

    @Flag(help: "No progress line.")
    var quiet = false

    func validate() throws {
        _ = try parsedAttacks()
        _ = try parsedEpsilons()
        try Bounds.check(steps, in: 1...Bounds.steps, "--steps")
        if let stepSize, !(stepSize > 0 && stepSize.isFinite) { throw ValidationError("--step-size must be positive, got \(stepSize)") }
        try Bounds.check(restarts, in: 0...Bounds.restarts, "--restarts")
        try Bounds.check(batchSize, in: 1...Bounds.batchSize, "--batch-size")
        if let queries { try Bounds.check(queries, in: 1...Bounds.queries, "--queries") }
        if let defense { do { _ = try TransformSpec.parse(defense) } catch { throw ValidationError("--defense: \(error.description)") } }
        if let eotSamples, eotSamples < 1 { throw ValidationError("--eot-samples must be ≥ 1") }
        guard checklistLimit > 0 else { throw ValidationError("--checklist-limit must be positive, got \(checklistLimit)") }
        try Bounds.check(checklistRestarts, in: 0...Bounds.restarts, "--checklist-restarts")
        try Bounds.check(checklistQueries, in: 0...Bounds.queries, "--checklist-queries")
    }

    func parsedAttacks() throws -> [AttackSpec.Kind] {
        let names = attack.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard !names.isEmpty else { throw ValidationError("--attack is empty") }
        return try names.map { name in
            guard let kind = AttackSpec.Kind(rawValue: name) else {
                throw ValidationError("unknown attack '\(name)' (supported: \(AttackSpec.Kind.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            return kind
        }
    }

    func parsedEpsilons() throws -> [Float] {
        let parts = eps.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard !parts.isEmpty else { throw ValidationError("--eps is empty") }
        return try parts.map { text in
            guard let value = Float(text), value.isFinite, value > 0 else {
                throw ValidationError("--eps: '\(text)' is not a positive number")
            }
            return value
        }
    }

    func run() throws {
        let shard = try sharding.parsed()
        let outputs = shard.map { ["", "/" + ReportPart.fileName(kind: .evaluation, shard: $0.description)] }
            ?? ["", "/index.html", "/report.json", "/report.sarif"]
        try refuseOverwrite(out, names: outputs, inputs: [input.model, examples.data, examples.labels, baseline])
        configureNumerics()
        let specs = try parsedAttacks().map {
            AttackSpec($0, norm: norm, maxIterations: steps, restarts: restarts, maxQueries: queries, stepSize: stepSize)
        }
        let job = EvaluateJob(
            inputs: try examples.runInputs(input), attacks: specs, epsilons: try parsedEpsilons(), batchSize: batchSize, seed: seed,
            defence: try defense.map { try TransformSpec.parse($0) }, eotSamples: eotSamples, gradient: gradient, baselinePath: baseline,
            checklist: noChecklist ? nil : ChecklistSettings(examples: checklistLimit, restarts: checklistRestarts, squareQueries: checklistQueries),
            outputDirectory: out, command: quotedCommandLine(), arguments: Array(CommandLine.arguments.dropFirst()),
            toolVersion: Bulwark.configuration.version)
        let line = ProgressLine(enabled: !quiet)
        if let shard {
            let (part, written) = try line.around {
                try job.run(shard: shard, stage: { line.update($0, force: true) }) { line.update("shard \(shard) · " + Self.progressText($0)) }
            }
            line.finish("shard \(shard): evaluated examples \(written.block.lowerBound)..<\(written.block.upperBound) in \(formatDuration(part.result.evaluation.seconds))")
            return try ShardOptions.render(written, json: json)
        }
        let evaluated = try line.around { try job.run(stage: { line.update($0, force: true) }) { line.update(Self.progressText($0)) } }
        let (outcome, result) = (evaluated.checked, evaluated.checked.evaluation)
        line.finish("evaluated \(evaluated.examples) examples in \(formatDuration(result.seconds))"
                    + (outcome.checklist == nil ? "" : "; checklist on \(outcome.checklistExamples) in \(formatDuration(outcome.checklistSeconds))"))
        if json { return try printJSON(evaluated.summary) }
        let reliable = outcome.reliable
        let verdictWord = reliable.map { $0 ? "reliable" : "UNRELIABLE" } ?? "not checked"
        if let d = outcome.defence { print("defence: \(d.transform), attacked with the \(d.gradient) gradient") }
        print("examples: \(result.examples)   clean accuracy: \(String(format: "%.4f", result.cleanAccuracy))   seed: \(seed)")
        if reliable == false {
            print("!! robustness figures below are UNRELIABLE — failed checks: " + outcome.failedChecks.map(\.rawValue).joined(separator: ", "))
        }
        print("attack     norm  eps      robust acc  success  mean L2   mean L∞   seconds  verdict")
        for cell in result.attacks {
            let m = cell.metrics
            let seconds = cell.outcomes.reduce(0) { $0 + $1.seconds }
            let name = cell.spec.kind.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)
            let normName = cell.spec.norm.rawValue.padding(toLength: 5, withPad: " ", startingAt: 0)
            print(name + " " + normName + " " + String(format: "%-8.4g %10.4f %8.4f %9.4f %9.4f %8.2f  ",
                         Double(cell.epsilon), m.robustAccuracy, m.attackSuccessRate, m.meanL2, m.meanLinf, seconds) + verdictWord)
        }
        for point in result.curve {
            print("ensemble (worst case over the attacks) \(point.norm.rawValue) " + String(format: "ε=%.4g: %.4f", Double(point.epsilon), point.robustAccuracy)
                  + (reliable == true ? "" : " (\(verdictWord))"))
        }
        if let u = outcome.undefended {
            print("undefended model: clean accuracy \(String(format: "%.4f", u.cleanAccuracy)); " + u.attacks.map {
                "\($0.spec.kind.rawValue) ε=\(String(format: "%.4g", Double($0.epsilon))): \(String(format: "%.4f", $0.metrics.robustAccuracy))"
            }.joined(separator: ", "))
        }
        if let c = outcome.checklist {
            print("gradient-masking checklist (\(outcome.checklistExamples) examples, \(formatDuration(outcome.checklistSeconds))):")
            for v in c.verdicts { print("  [\(v.status.rawValue)] \(v.check.rawValue): \(v.detail)") }
            print(outcome.summary ?? c.summary)
        } else {
            print("gradient-masking checklist skipped (--no-checklist): the robustness figures are not checked")
        }
        print("wrote \(evaluated.resultURL.path), " + evaluated.reportFiles.map(\.path).joined(separator: ", "))
    }

    /// One batch's progress, on one line.
    static func progressText(_ p: EvaluationProgress) -> String {
        "\(p.attack) ε=\(p.epsilon) batch \(p.batch)/\(p.batches) · \(p.completed)/\(p.total) · ETA \(formatDuration(p.secondsRemaining))"
    }
}
