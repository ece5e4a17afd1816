import ArgumentParser
import BulwarkData
import BulwarkEvasion
import BulwarkModels
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

        Example:
          bulwark evaluate --model cnn.safetensors --data x.npy --labels y.npy \\
            --attack fgsm,pgd --eps 0.05,0.1 --limit 500 --out eval --json
        """
    )

    @Option(help: "Model file: .safetensors written by bulwark train, or an ONNX model.")
    var model: String

    @Option(help: "Architecture when the safetensors file does not record it.")
    var arch: String?

    @Option(help: "Inputs (.npy, N×1×28×28 or N×784 for the zoo models), in the clip range.")
    var data: String

    @Option(help: "Integer labels (.npy, N).")
    var labels: String

    @Option(help: "Comma-separated attacks.")
    var attack: String = "fgsm,pgd"

    @Option(help: "Comma-separated ε values.")
    var eps: String = "0.05,0.1"

    @Option(help: "Perturbation norm: linf|l2.")
    var norm: String = "linf"

    @Option(help: "Iterations per example (iterative attacks).")
    var steps: Int = 10

    @Option(help: "Absolute step size (FGSM, BIM, PGD, APGD); default: each attack's schedule.")
    var stepSize: Float?

    @Option(help: "Random restarts (PGD, APGD).")
    var restarts: Int = 0

    @Option(help: "Query budget per example (square, hsj).")
    var queries: Int?

    @Option(help: "Evaluate only the first N examples.")
    var limit: Int?

    @Option(help: "Examples per batch.")
    var batchSize: Int = 128

    @Option(help: "Seed of every random choice.")
    var seed: UInt64 = 0

    @Option(help: "Output directory.")
    var out: String

    @Flag(help: "Print one JSON object on stdout.")
    var json = false

    @Flag(help: "No progress line.")
    var quiet = false

    func validate() throws {
        guard PerturbationNorm(rawValue: norm) != nil else {
            throw ValidationError("unknown --norm '\(norm)' (linf or l2)")
        }
        _ = try parsedAttacks()
        _ = try parsedEpsilons()
        guard steps > 0 else { throw ValidationError("--steps must be positive, got \(steps)") }
        if let stepSize, !(stepSize > 0 && stepSize.isFinite) { throw ValidationError("--step-size must be positive, got \(stepSize)") }
        guard restarts >= 0 else { throw ValidationError("--restarts must be ≥ 0, got \(restarts)") }
        guard batchSize > 0 else { throw ValidationError("--batch-size must be positive, got \(batchSize)") }
        if let queries, queries <= 0 { throw ValidationError("--queries must be positive, got \(queries)") }
        if let limit, limit <= 0 { throw ValidationError("--limit must be positive, got \(limit)") }
        if let arch, ZooArchitecture(rawValue: arch) == nil { throw ValidationError("unknown architecture '\(arch)'") }
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
        configureNumerics()
        let kinds = try parsedAttacks()
        let epsilons = try parsedEpsilons()
        let norm = PerturbationNorm(rawValue: self.norm) ?? .linf
        if norm == .linf, let kind = kinds.first(where: { $0 == .cw }) {
            throw CLIError("attack '\(kind.rawValue)' is defined for --norm l2 only")
        }
        let classifier = try loadClassifier(path: model, architecture: arch.flatMap(ZooArchitecture.init(rawValue:)))
        var x = try loadInputs(path: data, for: classifier)
        guard FileManager.default.fileExists(atPath: labels) else { throw CLIError("labels file not found: \(labels)") }
        var y = try NPY.read(path: labels).toLabels()
        guard y.count == x.shape[0] else {
            throw CLIError("\(labels): \(y.count) labels for \(x.shape[0]) inputs in \(data)")
        }
        if let bad = y.first(where: { $0 < 0 || $0 >= classifier.classCount }) {
            throw CLIError("\(labels): label \(bad) outside 0..<\(classifier.classCount)")
        }
        if let limit, limit < y.count {
            x = x.rows(0..<limit)
            y = Array(y[0..<limit])
        }
        guard !y.isEmpty else { throw CLIError("\(data): no examples to evaluate") }
        if let outside = x.scalars.first(where: { $0 < 0 || $0 > 1 }) {
            throw CLIError("\(data): input value \(outside) outside the clip range [0, 1]")
        }
        let outURL = URL(fileURLWithPath: out)
        try FileManager.default.createDirectory(at: outURL, withIntermediateDirectories: true)

        let specs = kinds.map { AttackSpec($0, norm: norm, maxIterations: steps, restarts: restarts, maxQueries: queries, stepSize: stepSize) }
        let plan = Evaluation(specs: specs, epsilons: epsilons, batchSize: batchSize, seed: seed)
        let line = ProgressLine(enabled: !quiet)
        let result: EvaluationResult
        do {
            result = try plan.run(model: classifier, inputs: x, labels: y) { p in
                line.update("\(p.attack) ε=\(p.epsilon) batch \(p.batch)/\(p.batches) · \(p.completed)/\(p.total) · ETA \(formatDuration(p.secondsRemaining))")
            }
        } catch {
            line.finish()
            throw CLIError(error.description)
        }
        line.finish("evaluated \(y.count) examples in \(formatDuration(result.seconds))")

        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let resultURL = outURL.appendingPathComponent("evaluation.json")
        let temporary = outURL.appendingPathComponent(".evaluation.json.tmp")
        try encoder.encode(result).write(to: temporary)
        _ = try? FileManager.default.removeItem(at: resultURL)
        try FileManager.default.moveItem(at: temporary, to: resultURL)
        let reportFiles = try EvaluationReportFiles.write(result, model: classifier, modelPath: model, dataPath: data, labelsPath: labels,
                                                          inputs: x, labels: y, to: outURL)

        let rows: [[String: Any]] = result.attacks.map { cell in
            let seconds = cell.outcomes.reduce(0) { $0 + $1.seconds }
            return ["attack": cell.spec.kind.rawValue, "eps": Double(cell.epsilon), "norm": cell.spec.norm.rawValue,
                    "robust_accuracy": cell.metrics.robustAccuracy, "success_rate": cell.metrics.attackSuccessRate,
                    "mean_l2": cell.metrics.meanL2, "mean_linf": cell.metrics.meanLinf,
                    "mean_queries": cell.metrics.meanQueries, "seconds": seconds]
        }
        if json {
            let curve: [[String: Any]] = result.curve.map {
                ["norm": $0.norm.rawValue, "eps": Double($0.epsilon), "robust_accuracy": $0.robustAccuracy]
            }
            try printJSON(["clean_accuracy": result.cleanAccuracy, "examples": result.examples, "seed": Int(seed),
                           "results": rows, "ensemble": curve, "out": resultURL.path, "report": reportFiles.map(\.path)])
        } else {
            print("examples: \(result.examples)   clean accuracy: \(String(format: "%.4f", result.cleanAccuracy))   seed: \(seed)")
            print("attack     norm  eps      robust acc  success  mean L2   mean L∞   seconds")
            for cell in result.attacks {
                let m = cell.metrics
                let seconds = cell.outcomes.reduce(0) { $0 + $1.seconds }
                let name = cell.spec.kind.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)
                let normName = cell.spec.norm.rawValue.padding(toLength: 5, withPad: " ", startingAt: 0)
                print(name + " " + normName + " " + String(format: "%-8.4g %10.4f %8.4f %9.4f %9.4f %8.2f",
                             Double(cell.epsilon), m.robustAccuracy, m.attackSuccessRate, m.meanL2, m.meanLinf, seconds))
            }
            for point in result.curve {
                print("ensemble (worst case over the attacks) \(point.norm.rawValue) " + String(format: "ε=%.4g: %.4f", Double(point.epsilon), point.robustAccuracy))
            }
            print("wrote \(resultURL.path), " + reportFiles.map(\.path).joined(separator: ", "))
        }
    }
}
