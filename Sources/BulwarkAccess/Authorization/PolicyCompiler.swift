import Foundation
import Yams

/// Turns policy YAML into a ``Policy``, refusing anything it does not understand.
struct PolicyCompiler {
    let source: String
    let text: String

    static let topKeys = ["version", "attributes", "actions", "roles", "rules"]
    static let ruleKeys = ["id", "description", "effect", "actions", "roles", "when", "unless"]
    static let conditionKeys = ["has", "mfaWithin", "network", "timeWindow", "withinTokenScopes"]
    static let declarableTypes: [AttributeType] = [.string, .number, .bool, .list, .time]
    static let weekdays = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    /// Roles fit one 64-bit mask beside the `anonymous` bit.
    static let maxRoles = 63

    func compile() throws(AccessError) -> Policy {
        let reader = YAMLReader(source: source)
        let root = try reader.root(text, expected: "a mapping with version, roles and rules")
        let fields = try reader.mapping(root, allowed: Self.topKeys, nil, what: "the policy")
        func field(_ name: String) -> (node: Node, value: Node)? {
            fields.first { $0.key == name }.map { ($0.node, $0.value) }
        }
        guard let version = field("version") else { throw reader.failure(root, nil, "missing 'version: 1'") }
        guard try reader.string(version.value, nil, what: "version") == "1" else {
            throw reader.failure(version.value, nil, "unsupported version (this build reads version 1)")
        }

        // attributes: declared beyond the built-ins
        var schema = AttributeReference.builtIn
        var declaredTypes: [AttributeReference: AttributeType] = [:]
        if let attributes = field("attributes") {
            for entry in try reader.mapping(attributes.value, allowed: [], nil, what: "attributes") {
                let parts = entry.key.split(separator: ".", omittingEmptySubsequences: false)
                guard parts.count == 2, AttributeReference.entities.contains(String(parts[0])), Self.isIdentifier(parts[1]) else {
                    throw reader.failure(entry.node, nil, "attribute '\(entry.key)' must be principal.NAME, resource.NAME or context.NAME")
                }
                guard schema[entry.key] == nil else { throw reader.failure(entry.node, nil, "attribute '\(entry.key)' is built in or declared twice") }
                let typeName = try reader.string(entry.value, nil, what: "the type of '\(entry.key)'")
                guard let type = AttributeType(rawValue: typeName), Self.declarableTypes.contains(type) else {
                    throw reader.failure(entry.value, nil, "attribute '\(entry.key)' has unknown type '\(typeName)' (expected string, number, bool, list, time)")
                }
                let name = String(parts[1])
                let reference: AttributeReference = switch parts[0] {
                case "principal": .principalDeclared(name)
                case "resource": .resourceDeclared(name)
                default: .contextDeclared(name)
                }
                schema[entry.key] = (reference, type)
                declaredTypes[reference] = type
            }
        }

        // actions: declared beyond the catalog
        var actions = Action.catalog
        if let declared = field("actions") {
            for name in try reader.strings(declared.value, nil, what: "actions") {
                guard Action.isWellFormedPattern(name), !name.hasSuffix("*") else {
                    throw reader.failure(declared.value, nil, "declared action '\(name)' must be dotted lowercase words without wildcards")
                }
                guard !actions.contains(Action(name)) else { throw reader.failure(declared.value, nil, "action '\(name)' is already known") }
                actions.append(Action(name))
            }
        }
        let actionNames = actions.map(\.name)

        // roles: each a role grant (an allow rule)
        var rules: [CompiledRule] = []
        var roleNames: [String] = []
        var roleBits: [String: UInt64] = ["anonymous": Policy.anonymousBit]
        guard let roles = field("roles") else { throw reader.failure(root, nil, "missing 'roles:' (a mapping from role to actions)") }
        for entry in try reader.mapping(roles.value, allowed: [], nil, what: "roles") {
            let context = "role '\(entry.key)'"
            guard Self.isRoleName(entry.key) else {
                throw reader.failure(entry.node, context, "a role name is lowercase letters, digits, '-' and '_', starting with a letter")
            }
            guard !roleNames.contains(entry.key) else { throw reader.failure(entry.node, context, "defined twice") }
            if entry.key != "anonymous" {
                guard roleBits.count <= Self.maxRoles else { throw reader.failure(entry.node, context, "more than \(Self.maxRoles) roles") }
                roleBits[entry.key] = UInt64(1) << UInt64(roleBits.count)
            }
            roleNames.append(entry.key)
            let patterns = try reader.strings(entry.value, context, what: "the actions of role '\(entry.key)'")
            let indices = try expand(patterns, actionNames, reader, entry.value, context)
            rules.append(CompiledRule(id: "role:\(entry.key)", allows: true, actionIndices: indices, roleMask: roleBits[entry.key] ?? 0,
                                      when: [], unless: [], label: "role grant '\(entry.key)' (\(source):\(entry.node.mark?.line ?? 0))"))
        }

        // rules
        var seenIDs: Set<String> = []
        if let ruleList = field("rules") {
            guard let items = ruleList.value.sequence else { throw reader.failure(ruleList.value, nil, "rules must be a list") }
            for (index, item) in items.enumerated() {
                let rule = try compileRule(item, index: index, reader: reader, schema: schema, actionNames: actionNames, roleBits: roleBits)
                guard seenIDs.insert(rule.id).inserted else { throw reader.failure(item, "rule '\(rule.id)'", "the id is used twice") }
                rules.append(rule)
            }
        }
        return Policy(source: source, digest: PolicyFile.sha256Hex(Array(text.utf8)), roleNames: roleNames, actions: actions,
                      rules: rules, roleBits: roleBits, declaredTypes: declaredTypes, schema: schema)
    }

    private func compileRule(_ node: Node, index: Int, reader: YAMLReader, schema: [String: (AttributeReference, AttributeType)],
                             actionNames: [String], roleBits: [String: UInt64]) throws(AccessError) -> CompiledRule {
        var context = "rule #\(index + 1)"
        // Keys are checked after the id is read, so that an unknown key's error names the rule.
        let fields = try reader.mapping(node, allowed: [], context, what: "a rule")
        func field(_ name: String) -> Node? { fields.first { $0.key == name }?.value }
        guard let idNode = field("id") else { throw reader.failure(node, context, "missing 'id'") }
        let id = try reader.string(idNode, context, what: "id")
        guard Self.isRuleID(id) else {
            throw reader.failure(idNode, context, "id '\(id)' must be letters, digits, '.', '_' and '-', and not 'default-deny' or 'role:…'")
        }
        context = "rule '\(id)'"
        _ = try reader.mapping(node, allowed: Self.ruleKeys, context, what: "a rule")
        if let description = field("description") { _ = try reader.string(description, context, what: "description") }
        guard let effectNode = field("effect") else { throw reader.failure(node, context, "missing 'effect' (allow or deny)") }
        let effect = try reader.string(effectNode, context, what: "effect")
        guard effect == "allow" || effect == "deny" else { throw reader.failure(effectNode, context, "effect '\(effect)' must be allow or deny") }
        guard let actionsNode = field("actions") else { throw reader.failure(node, context, "missing 'actions'") }
        let patterns = try reader.strings(actionsNode, context, what: "actions")
        guard !patterns.isEmpty else { throw reader.failure(actionsNode, context, "actions is empty") }
        let indices = try expand(patterns, actionNames, reader, actionsNode, context)
        var mask: UInt64 = 0
        if let rolesNode = field("roles") {
            let names = try reader.strings(rolesNode, context, what: "roles")
            guard !names.isEmpty else { throw reader.failure(rolesNode, context, "roles is empty (omit it to match every authenticated principal)") }
            for name in names {
                guard let bit = roleBits[name] else { throw reader.failure(rolesNode, context, "unknown role '\(name)' (define it under roles:)") }
                mask |= bit
            }
        }
        let when = try conditions(field("when"), key: "when", reader: reader, context: context, schema: schema)
        let unless = try conditions(field("unless"), key: "unless", reader: reader, context: context, schema: schema)
        return CompiledRule(id: id, allows: effect == "allow", actionIndices: indices, roleMask: mask, when: when, unless: unless,
                            label: "rule '\(id)' (\(source):\(node.mark?.line ?? 0))")
    }

    private func expand(_ patterns: [String], _ actionNames: [String], _ reader: YAMLReader, _ node: Node,
                        _ context: String) throws(AccessError) -> [Int] {
        var selected = Set<Int>()
        for pattern in patterns {
            guard Action.isWellFormedPattern(pattern) else {
                throw reader.failure(node, context, "action '\(pattern)' is not a name, 'prefix.*' or '*'")
            }
            let matches = actionNames.indices.filter { Action.pattern(pattern, matches: actionNames[$0]) }
            guard !matches.isEmpty else { throw reader.failure(node, context, "action '\(pattern)' matches no known action") }
            selected.formUnion(matches)
        }
        return selected.sorted()
    }

    private func conditions(_ node: Node?, key: String, reader: YAMLReader, context: String,
                            schema: [String: (AttributeReference, AttributeType)]) throws(AccessError) -> [Condition] {
        guard let node else { return [] }
        guard let items = node.sequence else { throw reader.failure(node, context, "'\(key)' must be a list of conditions") }
        guard !items.isEmpty else { throw reader.failure(node, context, "'\(key)' is empty") }
        var result: [Condition] = []
        for item in items {
            if item.scalar != nil {
                let text = try reader.string(item, context, what: "a condition")
                switch ConditionExpression(text: text, schema: schema).compile() {
                case let .success(condition): result.append(condition)
                case let .failure(problem): throw reader.failure(item, context, problem.message)
                }
            } else {
                result.append(try structuredCondition(item, reader: reader, context: context, schema: schema))
            }
        }
        return result
    }

    private func structuredCondition(_ node: Node, reader: YAMLReader, context: String,
                                     schema: [String: (AttributeReference, AttributeType)]) throws(AccessError) -> Condition {
        let fields = try reader.mapping(node, allowed: Self.conditionKeys, context, what: "a condition")
        guard fields.count == 1, let entry = fields.first else {
            throw reader.failure(node, context, "a condition mapping has exactly one of \(Self.conditionKeys.joined(separator: ", "))")
        }
        switch entry.key {
        case "has":
            let name = try reader.string(entry.value, context, what: "has")
            guard let (reference, _) = schema[name] else { throw reader.failure(entry.value, context, "unknown attribute '\(name)'") }
            return Condition(kind: .has(reference), text: "has: \(name)")
        case "mfaWithin":
            let text = try reader.string(entry.value, context, what: "mfaWithin")
            guard let seconds = parseDurationSeconds(text) else {
                throw reader.failure(entry.value, context, "mfaWithin '\(text)' is not a duration (such as 30s, 15m, 2h, 1d)")
            }
            return Condition(kind: .mfaWithin(seconds: seconds), text: "mfaWithin: \(text)")
        case "network":
            let cidrs = try reader.strings(entry.value, context, what: "network")
            guard !cidrs.isEmpty else { throw reader.failure(entry.value, context, "network is empty") }
            var networks: [IPNetwork] = []
            for cidr in cidrs {
                guard let network = IPNetwork(cidr) else {
                    throw reader.failure(entry.value, context, "'\(cidr)' is not a CIDR network (address/prefix, no host bits set)")
                }
                networks.append(network)
            }
            return Condition(kind: .network(networks), text: "network: [\(cidrs.joined(separator: ", "))]")
        case "timeWindow":
            return try timeWindow(entry.value, reader: reader, context: context)
        default:
            let flag = try reader.string(entry.value, context, what: "withinTokenScopes")
            guard flag == "true" else { throw reader.failure(entry.value, context, "withinTokenScopes takes only 'true'") }
            return Condition(kind: .withinTokenScopes, text: "withinTokenScopes: true")
        }
    }

    private func timeWindow(_ node: Node, reader: YAMLReader, context: String) throws(AccessError) -> Condition {
        let fields = try reader.mapping(node, allowed: ["from", "to", "days"], context, what: "timeWindow")
        func field(_ name: String) -> Node? { fields.first { $0.key == name }?.value }
        guard let fromNode = field("from"), let toNode = field("to") else {
            throw reader.failure(node, context, "timeWindow needs 'from' and 'to' (HH:MM, UTC)")
        }
        let fromText = try reader.string(fromNode, context, what: "from")
        let toText = try reader.string(toNode, context, what: "to")
        guard let start = Self.minuteOfDay(fromText), start < 1440 else {
            throw reader.failure(fromNode, context, "timeWindow from '\(fromText)' is not HH:MM (00:00 to 23:59)")
        }
        guard let end = Self.minuteOfDay(toText) else {
            throw reader.failure(toNode, context, "timeWindow to '\(toText)' is not HH:MM (00:00 to 24:00)")
        }
        guard start != end % 1440 else { throw reader.failure(node, context, "timeWindow from and to are equal; the window would be empty") }
        var days: UInt8 = 0x7F
        var daysText = ""
        if let daysNode = field("days") {
            let names = try reader.strings(daysNode, context, what: "days")
            guard !names.isEmpty else { throw reader.failure(daysNode, context, "days is empty") }
            days = 0
            for name in names {
                guard let index = Self.weekdays.firstIndex(of: name) else {
                    throw reader.failure(daysNode, context, "day '\(name)' is not one of \(Self.weekdays.joined(separator: ", "))")
                }
                days |= 1 << UInt8(index)
            }
            daysText = " on \(names.joined(separator: ","))"
        }
        return Condition(kind: .timeWindow(startMinute: start, endMinute: end == 1440 ? 0 : end, days: days),
                         text: "timeWindow: \(fromText)-\(toText) UTC\(daysText)")
    }

    /// Minutes after midnight of `HH:MM` (24:00 allowed as 1440); nil if malformed.
    static func minuteOfDay(_ text: String) -> Int? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 2, parts[1].count == 2,
              parts.allSatisfy({ $0.allSatisfy { $0.isASCII && $0.isNumber } }),
              let hour = Int(parts[0]), let minute = Int(parts[1]), minute < 60 else { return nil }
        if hour == 24 && minute == 0 { return 1440 }
        return hour < 24 ? hour * 60 + minute : nil
    }

    static func isIdentifier(_ text: Substring) -> Bool {
        guard let first = text.first, first.isASCII, first.isLetter else { return false }
        return text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
    }

    static func isRoleName(_ text: String) -> Bool {
        guard let first = text.first, first.isASCII, first.isLowercase else { return false }
        return text.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-" || $0 == "_") }
    }

    static func isRuleID(_ text: String) -> Bool {
        guard !text.isEmpty, text != Decision.defaultDenyRuleID, !text.hasPrefix("role:"), text.count <= 128 else { return false }
        return text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == ".") }
    }
}
