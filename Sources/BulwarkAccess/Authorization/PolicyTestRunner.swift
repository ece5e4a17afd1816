public import Foundation
import Yams

/// One case of a policy test file: a request and the decision expected for it.
public struct PolicyTestCase: Sendable {
    /// The case's `name` (or `#N` when unnamed).
    public let name: String
    /// The line the case starts on in its file.
    public let line: Int
    /// Who asks.
    public let principal: Principal
    /// What they ask to do.
    public let action: Action
    /// What they act on.
    public let resource: Resource
    /// When and from where.
    public let context: AuthorizationContext
    /// Whether the request must be allowed (`expect: allow`) or denied (`expect: deny`).
    public let expectAllowed: Bool
    /// The rule that must decide (`rule:`), if the case names one.
    public let expectedRuleID: String?
}

/// The outcome of one ``PolicyTestCase``.
public struct PolicyTestResult: Sendable {
    /// The case that ran.
    public let testCase: PolicyTestCase
    /// The decision the policy made.
    public let decision: Decision

    /// Whether the decision (and, if named, its rule) is the expected one.
    public var passed: Bool {
        decision.allowed == testCase.expectAllowed && (testCase.expectedRuleID.map { $0 == decision.ruleID } ?? true)
    }

    /// For a failed case one line: expected versus got, and the decision's reason; nil when passed.
    public var diff: String? {
        guard !passed else { return nil }
        let expectedRule = testCase.expectedRuleID.map { " by '\($0)'" } ?? ""
        return "case '\(testCase.name)' (line \(testCase.line)): expected \(testCase.expectAllowed ? "allow" : "deny")\(expectedRule), "
            + "got \(decision.allowed ? "allow" : "deny") by '\(decision.ruleID)' (\(decision.reason))"
    }
}

/// The results of a policy test file, in case order.
public struct PolicyTestReport: Sendable {
    /// One result per case.
    public let results: [PolicyTestResult]

    /// The cases that did not get their expected decision.
    public var failures: [PolicyTestResult] { results.filter { !$0.passed } }
    /// Whether every case passed.
    public var allPassed: Bool { results.allSatisfy(\.passed) }
    /// "N cases, P passed, F failed".
    public var summary: String {
        let failed = failures.count
        return "\(results.count) cases, \(results.count - failed) passed, \(failed) failed"
    }
}

/// Runs offline policy tests (the library behind `bulwark policy test POLICY TESTS`).
///
/// ## Test file format (YAML)
///
/// ```yaml
/// now: 2026-12-06T12:00:00Z          # optional: context.time for cases that give none
/// cases:
///   - name: publisher uploads to their own team
///     principal: {id: alice, roles: [publisher], team: vision, mfaAge: 5m}
///     action: version.upload
///     resource: {type: version, id: cats/2, owningTeam: vision, uploadedBy: alice}
///     context: {address: 10.1.2.3}
///     expect: allow                   # allow | deny
///     rule: publisher-upload-own-team # optional: the rule that must decide
///   - name: nobody reads the audit log
///     principal: anonymous
///     action: audit.read
///     resource: {type: audit}
///     expect: deny
///     rule: default-deny
/// ```
///
/// Principal keys: `id`, `kind` (user, service, anonymous; default user), `roles`, `team`,
/// `mfaVerifiedAt` (a time) or `mfaAge` (a duration before the case's time), `scopes`, and
/// the policy's declared `principal.*` attributes by name. Resource keys: `type`, `id`,
/// `riskTier`, `stage`, `owningTeam`, `dataClassification`, `uploadedBy`, `owner` and declared
/// `resource.*` names. Context keys: `time`, `address` and declared `context.*` names. Unknown
/// keys, actions and rule ids are errors.
///
/// ```swift
/// let report = try PolicyTests.run(testFile: "policy-tests.yaml", policyFile: "policy.yaml")
/// for failure in report.failures { print(failure.diff ?? "") }
/// ```
public enum PolicyTests {
    /// Reads the policy and the test file and runs every case.
    ///
    /// - Throws: ``AccessError`` when either file cannot be read or is malformed (a failing
    ///   case is a result, not an error).
    public static func run(testFile: String, policyFile: String, now: Date = Date()) throws(AccessError) -> PolicyTestReport {
        let policy = try Policy(contentsOf: policyFile)
        let file = try PolicyFile.read(testFile)
        let cases = try parseCases(yaml: file.text, source: testFile, policy: policy, now: now)
        return run(cases, against: policy)
    }

    /// Evaluates every case against `policy`.
    public static func run(_ cases: [PolicyTestCase], against policy: Policy) -> PolicyTestReport {
        PolicyTestReport(results: cases.map { testCase in
            PolicyTestResult(testCase: testCase, decision: policy.evaluate(principal: testCase.principal, action: testCase.action,
                                                                           resource: testCase.resource, context: testCase.context))
        })
    }

    /// Parses a test file's cases, checking attribute names and types against `policy`;
    /// `now` is the time of cases that give neither `context.time` nor a top-level `now`.
    ///
    /// - Throws: ``AccessError`` `.malformed` with one line naming the source, line and case.
    public static func parseCases(yaml: String, source: String = "tests", policy: Policy,
                                  now: Date = Date()) throws(AccessError) -> [PolicyTestCase] {
        let reader = YAMLReader(source: source)
        let root = try reader.root(yaml, expected: "a mapping with 'cases:'")
        let top = try reader.mapping(root, allowed: ["now", "cases"], nil, what: "the test file")
        var defaultTime = now
        if let nowNode = top.first(where: { $0.key == "now" })?.value {
            let text = try reader.string(nowNode, nil, what: "now")
            guard let time = parseTime(text) else { throw reader.failure(nowNode, nil, "now '\(text)' is not an RFC 3339 time") }
            defaultTime = time
        }
        guard let casesNode = top.first(where: { $0.key == "cases" })?.value, let items = casesNode.sequence else {
            throw reader.failure(root, nil, "missing 'cases:' (a list)")
        }
        let parser = CaseParser(reader: reader, policy: policy, defaultTime: defaultTime)
        var cases: [PolicyTestCase] = []
        for (index, item) in items.enumerated() { cases.append(try parser.parse(item, index: index)) }
        return cases
    }
}

/// Reads one test case against a policy's schema.
private struct CaseParser {
    let reader: YAMLReader
    let policy: Policy
    let defaultTime: Date

    func parse(_ node: Node, index: Int) throws(AccessError) -> PolicyTestCase {
        var context = "case #\(index + 1)"
        let fields = try reader.mapping(node, allowed: ["name", "principal", "action", "resource", "context", "expect", "rule"], context,
                                        what: "a case")
        func field(_ name: String) -> Node? { fields.first { $0.key == name }?.value }
        var name = "#\(index + 1)"
        if let nameNode = field("name") {
            name = try reader.string(nameNode, context, what: "name")
            context = "case '\(name)'"
        }
        guard let principalNode = field("principal"), let actionNode = field("action"), let resourceNode = field("resource"),
              let expectNode = field("expect") else {
            throw reader.failure(node, context, "a case needs principal, action, resource and expect")
        }
        let actionName = try reader.string(actionNode, context, what: "action")
        guard policy.actions.contains(Action(actionName)) else { throw reader.failure(actionNode, context, "unknown action '\(actionName)'") }
        let expect = try reader.string(expectNode, context, what: "expect")
        guard expect == "allow" || expect == "deny" else { throw reader.failure(expectNode, context, "expect '\(expect)' must be allow or deny") }
        var ruleID: String?
        if let ruleNode = field("rule") {
            let id = try reader.string(ruleNode, context, what: "rule")
            guard id == Decision.defaultDenyRuleID || policy.rules.contains(where: { $0.id == id }) else {
                throw reader.failure(ruleNode, context, "rule '\(id)' is not in the policy")
            }
            ruleID = id
        }
        let requestContext = try parseContext(field("context"), context)
        return PolicyTestCase(name: name, line: node.mark?.line ?? 0, principal: try parsePrincipal(principalNode, context, time: requestContext.time),
                              action: Action(actionName), resource: try parseResource(resourceNode, context), context: requestContext,
                              expectAllowed: expect == "allow", expectedRuleID: ruleID)
    }

    private func parseContext(_ node: Node?, _ context: String) throws(AccessError) -> AuthorizationContext {
        var result = AuthorizationContext(time: defaultTime)
        guard let node else { return result }
        for entry in try reader.mapping(node, allowed: [], context, what: "context") {
            switch entry.key {
            case "time":
                let text = try reader.string(entry.value, context, what: "time")
                guard let time = parseTime(text) else { throw reader.failure(entry.value, context, "time '\(text)' is not an RFC 3339 time") }
                result.time = time
            case "address":
                let text = try reader.string(entry.value, context, what: "address")
                guard let address = IPAddress(text) else { throw reader.failure(entry.value, context, "'\(text)' is not an IP address") }
                result.address = address
            default:
                result.attributes[entry.key] = try declared("context", entry.key, entry.node, entry.value, context)
            }
        }
        return result
    }

    private func parsePrincipal(_ node: Node, _ context: String, time: Date) throws(AccessError) -> Principal {
        if node.scalar != nil {
            guard try reader.string(node, context, what: "principal") == "anonymous" else {
                throw reader.failure(node, context, "principal must be 'anonymous' or a mapping")
            }
            return .anonymous
        }
        var principal = Principal(id: "")
        for entry in try reader.mapping(node, allowed: [], context, what: "principal") {
            switch entry.key {
            case "id": principal.id = try reader.string(entry.value, context, what: "id")
            case "kind":
                let text = try reader.string(entry.value, context, what: "kind")
                guard let kind = Principal.Kind(rawValue: text) else {
                    throw reader.failure(entry.value, context, "kind '\(text)' must be user, service or anonymous")
                }
                principal.kind = kind
            case "roles": principal.roles = Set(try reader.strings(entry.value, context, what: "roles"))
            case "team": principal.team = try reader.string(entry.value, context, what: "team")
            case "scopes": principal.scopes = try reader.strings(entry.value, context, what: "scopes")
            case "mfaVerifiedAt":
                let text = try reader.string(entry.value, context, what: "mfaVerifiedAt")
                guard let date = parseTime(text) else { throw reader.failure(entry.value, context, "mfaVerifiedAt '\(text)' is not an RFC 3339 time") }
                principal.mfaVerifiedAt = date
            case "mfaAge":
                let text = try reader.string(entry.value, context, what: "mfaAge")
                guard let seconds = parseDurationSeconds(text) else { throw reader.failure(entry.value, context, "mfaAge '\(text)' is not a duration") }
                principal.mfaVerifiedAt = time.addingTimeInterval(-seconds)
            default:
                principal.attributes[entry.key] = try declared("principal", entry.key, entry.node, entry.value, context)
            }
        }
        return principal
    }

    private func parseResource(_ node: Node, _ context: String) throws(AccessError) -> Resource {
        var resource = Resource(type: "")
        var sawType = false
        for entry in try reader.mapping(node, allowed: [], context, what: "resource") {
            if !["type", "id", "riskTier", "stage", "owningTeam", "dataClassification", "uploadedBy", "owner"].contains(entry.key) {
                resource.attributes[entry.key] = try declared("resource", entry.key, entry.node, entry.value, context)
                continue
            }
            let text = try reader.string(entry.value, context, what: entry.key)
            switch entry.key {
            case "type": resource.type = text; sawType = true
            case "id": resource.id = text
            case "riskTier": resource.riskTier = text
            case "stage": resource.stage = text
            case "owningTeam": resource.owningTeam = text
            case "dataClassification": resource.dataClassification = text
            case "uploadedBy": resource.uploadedBy = text
            default: resource.owner = text
            }
        }
        guard sawType else { throw reader.failure(node, context, "resource needs a 'type'") }
        return resource
    }

    /// A value for an attribute the policy declares, read as its declared type.
    private func declared(_ entity: String, _ key: String, _ keyNode: Node, _ node: Node, _ context: String) throws(AccessError) -> AttributeValue {
        guard let (reference, type) = policy.schema["\(entity).\(key)"], policy.declaredTypes[reference] != nil else {
            throw reader.failure(keyNode, context, "unknown \(entity) attribute '\(key)' (declare it under the policy's attributes:)")
        }
        if type == .list {
            guard let items = node.sequence else { throw reader.failure(node, context, "'\(key)' must be a list") }
            var values: [AttributeValue] = []
            for item in items {
                let text = try reader.string(item, context, what: "an item of '\(key)'")
                if item.scalar?.style != .plain { values.append(.string(text)) } else if text == "true" || text == "false" {
                    values.append(.bool(text == "true"))
                } else if let number = Double(text), number.isFinite { values.append(.number(number)) } else { values.append(.string(text)) }
            }
            return .list(values)
        }
        let text = try reader.string(node, context, what: key)
        switch type {
        case .number:
            guard let number = Double(text), number.isFinite else { throw reader.failure(node, context, "'\(key)' must be a number") }
            return .number(number)
        case .bool:
            guard text == "true" || text == "false" else { throw reader.failure(node, context, "'\(key)' must be true or false") }
            return .bool(text == "true")
        case .time:
            guard let time = parseTime(text) else { throw reader.failure(node, context, "'\(key)' must be an RFC 3339 time") }
            return .time(time)
        default:
            return .string(text)
        }
    }
}
