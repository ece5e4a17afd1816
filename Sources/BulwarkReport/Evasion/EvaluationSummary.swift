public import BulwarkEvasion

/// The compact, machine-readable summary of a checked evaluation — what `bulwark evaluate --json`
/// prints: clean accuracy, one row per (attack, ε), the worst-case curve, the checklist's verdict
/// and, for a defence, the undefended run. Robust accuracies are the evaluation's own figures;
/// `reliable` is `nil` ("not checked") when the checklist did not run.
public struct EvaluationSummary: Codable, Sendable, Equatable {
    /// One (attack, ε) cell.
    public struct Row: Codable, Sendable, Equatable {
        /// Attack kind (`pgd`).
        public var attack: String
        /// ε.
        public var eps: Double
        /// `linf` or `l2`.
        public var norm: String
        /// Accuracy under the attack, over all examples.
        public var robustAccuracy: Double
        /// Share of correctly classified examples the attack flipped.
        public var successRate: Double
        /// Mean L2 / L∞ perturbation of successful attacks.
        public var meanL2: Double, meanLinf: Double
        /// Mean queries per example.
        public var meanQueries: Double
        /// Wall seconds of the cell.
        public var seconds: Double
        /// The checklist's verdict on the figure (`nil`: not checked).
        public var reliable: Bool?

        /// `reliable`, `unreliable` or `not checked`, the words every rendering uses.
        public var verdict: String { EvaluationSummary.verdict(reliable) }

        enum CodingKeys: String, CodingKey {
            case attack, eps, norm, seconds, reliable, verdict
            case robustAccuracy = "robust_accuracy", successRate = "success_rate", meanL2 = "mean_l2", meanLinf = "mean_linf"
            case meanQueries = "mean_queries"
        }

        /// Decodes a row (the verdict is derived from `reliable`).
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            attack = try c.decode(String.self, forKey: .attack)
            eps = try c.decode(Double.self, forKey: .eps)
            norm = try c.decode(String.self, forKey: .norm)
            robustAccuracy = try c.decode(Double.self, forKey: .robustAccuracy)
            successRate = try c.decode(Double.self, forKey: .successRate)
            meanL2 = try c.decode(Double.self, forKey: .meanL2)
            meanLinf = try c.decode(Double.self, forKey: .meanLinf)
            meanQueries = try c.decode(Double.self, forKey: .meanQueries)
            seconds = try c.decode(Double.self, forKey: .seconds)
            reliable = try c.decodeIfPresent(Bool.self, forKey: .reliable)
        }

        /// Encodes a row; `reliable` is written as `null` when not checked, beside `verdict`.
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(attack, forKey: .attack)
            try c.encode(eps, forKey: .eps)
            try c.encode(norm, forKey: .norm)
            try c.encode(robustAccuracy, forKey: .robustAccuracy)
            try c.encode(successRate, forKey: .successRate)
            try c.encode(meanL2, forKey: .meanL2)
            try c.encode(meanLinf, forKey: .meanLinf)
            try c.encode(meanQueries, forKey: .meanQueries)
            try c.encode(seconds, forKey: .seconds)
            try c.encode(reliable, forKey: .reliable)
            try c.encode(verdict, forKey: .verdict)
        }

        init(attack: String, eps: Double, norm: String, robustAccuracy: Double, successRate: Double, meanL2: Double, meanLinf: Double,
             meanQueries: Double, seconds: Double, reliable: Bool?) {
            self.attack = attack
            self.eps = eps
            self.norm = norm
            self.robustAccuracy = robustAccuracy
            self.successRate = successRate
            self.meanL2 = meanL2
            self.meanLinf = meanLinf
            self.meanQueries = meanQueries
            self.seconds = seconds
            self.reliable = reliable
        }
    }

    /// The word for a checklist verdict: `reliable`, `unreliable`, or `not checked` for `nil`.
    public static func verdict(_ reliable: Bool?) -> String {
        reliable.map { $0 ? "reliable" : "unreliable" } ?? "not checked"
    }

    /// A point of the worst-case curve.
    public struct CurvePoint: Codable, Sendable, Equatable {
        /// `linf` or `l2`.
        public var norm: String
        /// ε.
        public var eps: Double
        /// Worst case over the attacks, per example.
        public var robustAccuracy: Double

        enum CodingKeys: String, CodingKey { case norm, eps, robustAccuracy = "robust_accuracy" }
    }

    /// One check of the gradient-masking checklist.
    public struct Verdict: Codable, Sendable, Equatable {
        /// The check.
        public var check: String
        /// `passed`, `failed` or `not-run`.
        public var status: String
        /// What was measured, when measured.
        public var observed: Double?
        /// The limit it was held to.
        public var limit: Double?
        /// One line.
        public var detail: String
    }

    /// The checklist's run.
    public struct Checklist: Codable, Sendable, Equatable {
        /// The closing line, quoting the table's figure.
        public var summary: String
        /// The checklist's attack (`pgd-linf`) and ε.
        public var attack: String, eps: Double, norm: String
        /// Examples it ran on and seconds it took.
        public var examples: Int, seconds: Double
        /// The checklist's own robust accuracy on its examples, and the worst case it found.
        public var claimedRobustAccuracy: Double, worstCaseRobustAccuracy: Double
        /// Core checks that did not run.
        public var notRunChecks: [String]
        /// Every verdict.
        public var verdicts: [Verdict]

        enum CodingKeys: String, CodingKey {
            case summary, attack, eps, norm, examples, seconds, verdicts
            case claimedRobustAccuracy = "claimed_robust_accuracy", worstCaseRobustAccuracy = "worst_case_robust_accuracy"
            case notRunChecks = "not_run_checks"
        }
    }

    /// The input-transform defence evaluated.
    public struct Defence: Codable, Sendable, Equatable {
        /// Transform (`jpeg-75`), attacker gradient (`bpda`), whether it is random.
        public var transform: String, gradient: String, random: Bool
    }

    /// The undefended model's figures under the same attacks.
    public struct Undefended: Codable, Sendable, Equatable {
        /// Clean accuracy.
        public var cleanAccuracy: Double
        /// Its cells (attack, ε, norm, robust accuracy, success rate).
        public var results: [Row]

        enum CodingKeys: String, CodingKey { case cleanAccuracy = "clean_accuracy", results }
    }

    /// Clean accuracy over the examples.
    public var cleanAccuracy: Double
    /// Examples evaluated.
    public var examples: Int
    /// The run's seed.
    public var seed: UInt64
    /// One row per (attack, ε).
    public var results: [Row]
    /// The worst-case curve.
    public var ensemble: [CurvePoint]
    /// The checklist's verdict on every figure (`nil`: not checked).
    public var reliable: Bool?
    /// Checks that failed.
    public var failedChecks: [String]
    /// The checklist, when it ran.
    public var checklist: Checklist?
    /// The defence, when one was evaluated.
    public var defense: Defence?
    /// The undefended run, when there is one.
    public var undefended: Undefended?
    /// `evaluation.json`'s path, when written.
    public var out: String?
    /// The report files written.
    public var report: [String]

    /// `reliable`, `unreliable` or `not checked`.
    public var verdict: String { Self.verdict(reliable) }

    enum CodingKeys: String, CodingKey {
        case examples, seed, results, ensemble, reliable, verdict, checklist, defense, undefended, out, report
        case cleanAccuracy = "clean_accuracy", failedChecks = "failed_checks"
    }

    /// Decodes a summary (the verdict is derived from `reliable`).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        cleanAccuracy = try c.decode(Double.self, forKey: .cleanAccuracy)
        examples = try c.decode(Int.self, forKey: .examples)
        seed = try c.decode(UInt64.self, forKey: .seed)
        results = try c.decode([Row].self, forKey: .results)
        ensemble = try c.decode([CurvePoint].self, forKey: .ensemble)
        reliable = try c.decodeIfPresent(Bool.self, forKey: .reliable)
        failedChecks = try c.decode([String].self, forKey: .failedChecks)
        checklist = try c.decodeIfPresent(Checklist.self, forKey: .checklist)
        defense = try c.decodeIfPresent(Defence.self, forKey: .defense)
        undefended = try c.decodeIfPresent(Undefended.self, forKey: .undefended)
        out = try c.decodeIfPresent(String.self, forKey: .out)
        report = try c.decode([String].self, forKey: .report)
    }

    /// Encodes the summary; `reliable` is written as `null` when not checked, beside `verdict`.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(cleanAccuracy, forKey: .cleanAccuracy)
        try c.encode(examples, forKey: .examples)
        try c.encode(seed, forKey: .seed)
        try c.encode(results, forKey: .results)
        try c.encode(ensemble, forKey: .ensemble)
        try c.encode(reliable, forKey: .reliable)
        try c.encode(verdict, forKey: .verdict)
        try c.encode(failedChecks, forKey: .failedChecks)
        try c.encodeIfPresent(checklist, forKey: .checklist)
        try c.encodeIfPresent(defense, forKey: .defense)
        try c.encodeIfPresent(undefended, forKey: .undefended)
        try c.encodeIfPresent(out, forKey: .out)
        try c.encode(report, forKey: .report)
    }

    /// The summary of `checked`; `out` and `report` name the files written.
    public init(_ checked: CheckedEvaluationResult, out: String?, report: [String]) {
        let r = checked.evaluation
        let reliable = checked.reliable
        func rows(_ e: EvaluationResult, reliable: Bool?) -> [Row] {
            e.attacks.map { cell in
                let m = cell.metrics
                return Row(attack: cell.spec.kind.rawValue, eps: decimal(cell.epsilon), norm: cell.spec.norm.rawValue,
                           robustAccuracy: m.robustAccuracy, successRate: m.attackSuccessRate, meanL2: m.meanL2, meanLinf: m.meanLinf,
                           meanQueries: m.meanQueries, seconds: cell.outcomes.reduce(0) { $0 + $1.seconds }, reliable: reliable)
            }
        }
        cleanAccuracy = r.cleanAccuracy
        examples = r.examples
        seed = r.seed
        results = rows(r, reliable: reliable)
        ensemble = r.curve.map { CurvePoint(norm: $0.norm.rawValue, eps: decimal($0.epsilon), robustAccuracy: $0.robustAccuracy) }
        self.reliable = reliable
        failedChecks = checked.failedChecks.map(\.rawValue)
        checklist = checked.checklist.map { c in
            Checklist(summary: checked.summary ?? c.summary, attack: c.primaryAttack, eps: decimal(c.epsilon), norm: c.norm.rawValue,
                      examples: checked.checklistExamples, seconds: checked.checklistSeconds,
                      claimedRobustAccuracy: c.claimedRobustAccuracy, worstCaseRobustAccuracy: c.worstCaseRobustAccuracy,
                      notRunChecks: c.notRunChecks.map(\.rawValue),
                      verdicts: c.verdicts.map { Verdict(check: $0.check.rawValue, status: $0.status.rawValue, observed: $0.observed,
                                                         limit: $0.limit, detail: $0.detail) })
        }
        defense = checked.defence.map { Defence(transform: $0.transform, gradient: $0.gradient, random: $0.random) }
        undefended = checked.undefended.map { Undefended(cleanAccuracy: $0.cleanAccuracy, results: rows($0, reliable: nil)) }
        self.out = out
        self.report = report
    }
}

/// A `Float` as the `Double` of its shortest decimal form, so ε = 0.1 is written `0.1` in JSON,
/// not `0.10000000149011612`. Package-internal: every `--json` output uses it for `Float` values.
package func decimal(_ value: Float) -> Double { Double(String(value)) ?? Double(value) }
