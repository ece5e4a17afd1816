import ArgumentParser
import BulwarkAccess
import Foundation

/// `bulwark policy`: check an authorization policy file and test it offline.
struct PolicyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Check an authorization policy (roles and attribute rules) and test it offline.",
        subcommands: [PolicyCheckCommand.self, PolicyTestCommand.self]
    )
}

/// `bulwark policy check POLICY`: compile the file and list its roles and rules.
struct PolicyCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Compile a policy file; print its roles, rules and digest (exit 2 with the line at fault when it is invalid).",
        discussion: """
          bulwark policy check examples/policy.yaml
        """
    )
    @Argument(help: "The policy file (YAML).") var policy: String
    @Flag(help: "Print the summary as JSON.") var json = false

    /// What `policy check --json` prints.
    struct Summary: Encodable {
        let policy: String
        let digest: String
        let roles: [String: [String]]
        let rules: [String]
    }

    func run() throws {
        let compiled = try Policy(contentsOf: policy)
        let roles = Dictionary(uniqueKeysWithValues: compiled.roleNames.map { ($0, compiled.grantedActions(of: $0).map(\.name)) })
        if json {
            return try printJSON(Summary(policy: policy, digest: compiled.digest, roles: roles, rules: compiled.ruleIDs))
        }
        print("\(policy): valid, sha256 \(compiled.digest)")
        for role in compiled.roleNames { print("  role \(role): \(roles[role, default: []].joined(separator: ", "))") }
        print("  \(compiled.ruleIDs.count) rules in evaluation order: \(compiled.ruleIDs.joined(separator: ", "))")
    }
}

/// `bulwark policy test POLICY TESTS`: run offline cases against a policy.
struct PolicyTestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Run offline cases (principal, action, resource, context → allow/deny and the deciding rule) against a policy.",
        discussion: """
        Exit status 0 when every case gets its expected decision, 1 when one does not (each \
        failure is one line: expected versus got, with the deciding rule and its reason), 2 when \
        either file is invalid.

          bulwark policy test examples/policy.yaml examples/policy-tests.yaml
        """
    )
    @Argument(help: "The policy file (YAML).") var policy: String
    @Argument(help: "The test cases (YAML: now, cases[name, principal, action, resource, context, expect, rule]).") var tests: String
    @Flag(help: "Print every case's decision as JSON.") var json = false

    /// One case of `policy test --json`.
    struct CaseResult: Encodable {
        let name: String
        let line: Int
        let passed: Bool
        let expected: String
        let allowed: Bool
        let rule: String
        let reason: String
    }

    func run() throws {
        let report = try PolicyTests.run(testFile: tests, policyFile: policy)
        if json {
            try printJSON(report.results.map {
                CaseResult(name: $0.testCase.name, line: $0.testCase.line, passed: $0.passed,
                           expected: $0.testCase.expectAllowed ? "allow" : "deny", allowed: $0.decision.allowed,
                           rule: $0.decision.ruleID, reason: $0.decision.reason)
            })
        } else {
            for result in report.results {
                print(result.passed ? "pass  \(result.testCase.name): \(result.decision)" : "FAIL  \(result.diff ?? "")")
            }
            print(report.summary)
        }
        if !report.allPassed { throw ExitCode(ExitStatus.findings) }
    }
}
