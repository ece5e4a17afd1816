import BulwarkArchive
import Foundation
@testable import BulwarkSupplyChain

/// A JSON Schema draft-07 validator, enough for the CycloneDX 1.6 schemas and the SARIF 2.1.0
/// schema (draft-04; the keywords it uses mean the same in draft-07, `id` is an annotation).
/// Test-only, shared by the ML-BOM and scan tests.
///
/// Supports `$ref` (local `#/definitions/…` pointers and references to sibling schema files),
/// `type`, `enum`, `const`, `properties`, `additionalProperties`, `patternProperties`,
/// `required`, `items` (single and tuple) with `additionalItems`, `minItems`, `maxItems`,
/// `uniqueItems`, `allOf`, `anyOf`, `oneOf`, `not`, `if`/`then`/`else`, `minimum`, `maximum`,
/// `exclusiveMinimum`, `exclusiveMaximum`, `minLength`, `maxLength`, `pattern`, and the formats
/// `date-time`, `iri-reference`, `idn-email`, `uri`, `uri-reference`. Annotations (`title`, `description`, …) are ignored.
struct JSONSchemaValidator {
    /// Schemas by file name.
    let documents: [String: JSONValue]
    let rootFile: String

    /// Loads `root` and every other `*.json` in `directory` (for cross-file references).
    init(directory: String, root: String) throws {
        var documents: [String: JSONValue] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory) where name.hasSuffix(".json") {
            let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: directory + "/" + name)))
            documents[name] = try JSONParser.parse(bytes, maxDepth: 256)
        }
        self.documents = documents
        self.rootFile = root
    }

    /// Every violation of the root schema by `instance`, as `"<pointer>: <reason>"`; empty when valid.
    func errors(_ instance: JSONValue) -> [String] {
        guard let root = documents[rootFile] else { return ["schema \(rootFile) missing"] }
        var errors: [String] = []
        validate(instance, root, file: rootFile, path: "", errors: &errors, depth: 0)
        return errors
    }

    private func resolve(_ ref: String, from file: String) -> (JSONValue, String)? {
        let parts = ref.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)
        let target = parts[0].isEmpty ? file : String(parts[0].split(separator: "/").last ?? "")
        guard var node = documents[target] else { return nil }
        if parts.count == 2 {
            for token in parts[1].split(separator: "/") {
                let key = token.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
                if case .array(let items) = node, let index = Int(key), items.indices.contains(index) {
                    node = items[index]
                } else if let next = node[key] {
                    node = next
                } else {
                    return nil
                }
            }
        }
        return (node, target)
    }

    private func validate(_ instance: JSONValue, _ schema: JSONValue, file: String, path: String, errors: inout [String], depth: Int) {
        guard depth < 200 else { errors.append("\(path): schema recursion too deep"); return }
        switch schema {
        case .bool(let allowed):
            if !allowed { errors.append("\(path): no value allowed") }
            return
        case .object:
            break
        default:
            return
        }
        if let ref = schema["$ref"]?.stringValue {
            // Draft-07: $ref ignores its siblings.
            guard let (target, targetFile) = resolve(ref, from: file) else { errors.append("\(path): unresolvable $ref \(ref)"); return }
            validate(instance, target, file: targetFile, path: path, errors: &errors, depth: depth + 1)
            return
        }
        if let type = schema["type"] {
            let allowed: [String] = type.stringValue.map { [$0] } ?? (type.arrayValue ?? []).compactMap(\.stringValue)
            if !allowed.contains(where: { matchesType(instance, $0) }) {
                errors.append("\(path): expected \(allowed.joined(separator: " or "))")
                return
            }
        }
        if let options = schema["enum"]?.arrayValue, !options.contains(where: { jsonEqual($0, instance) }) {
            errors.append("\(path): not one of the enumerated values")
        }
        if let constant = schema["const"], !jsonEqual(constant, instance) {
            errors.append("\(path): not the constant value")
        }
        for sub in schema["allOf"]?.arrayValue ?? [] {
            validate(instance, sub, file: file, path: path, errors: &errors, depth: depth + 1)
        }
        if let anyOf = schema["anyOf"]?.arrayValue {
            if !anyOf.contains(where: { isValid(instance, $0, file: file, depth: depth) }) {
                errors.append("\(path): matches none of anyOf")
            }
        }
        if let oneOf = schema["oneOf"]?.arrayValue {
            let matches = oneOf.filter { isValid(instance, $0, file: file, depth: depth) }.count
            if matches != 1 { errors.append("\(path): matches \(matches) of oneOf, expected exactly 1") }
        }
        if let not = schema["not"], isValid(instance, not, file: file, depth: depth) {
            errors.append("\(path): matches a 'not' schema")
        }
        if let condition = schema["if"] {
            if isValid(instance, condition, file: file, depth: depth) {
                if let then = schema["then"] { validate(instance, then, file: file, path: path, errors: &errors, depth: depth + 1) }
            } else if let otherwise = schema["else"] {
                validate(instance, otherwise, file: file, path: path, errors: &errors, depth: depth + 1)
            }
        }
        switch instance {
        case .object(let members):
            validateObject(members, schema, file: file, path: path, errors: &errors, depth: depth)
        case .array(let items):
            validateArray(items, schema, file: file, path: path, errors: &errors, depth: depth)
        case .string(let text):
            validateString(text, schema, path: path, errors: &errors)
        case .number(let literal):
            validateNumber(literal, schema, path: path, errors: &errors)
        default:
            break
        }
    }

    private func isValid(_ instance: JSONValue, _ schema: JSONValue, file: String, depth: Int) -> Bool {
        var errors: [String] = []
        validate(instance, schema, file: file, path: "", errors: &errors, depth: depth + 1)
        return errors.isEmpty
    }

    private func validateObject(_ members: [JSONMember], _ schema: JSONValue, file: String, path: String, errors: inout [String], depth: Int) {
        let properties: [JSONMember] = { if case .object(let p)? = schema["properties"] { return p } else { return [] } }()
        let patterns: [JSONMember] = { if case .object(let p)? = schema["patternProperties"] { return p } else { return [] } }()
        for required in schema["required"]?.arrayValue ?? [] {
            if let key = required.stringValue, !members.contains(where: { $0.key == key }) {
                errors.append("\(path): missing required '\(key)'")
            }
        }
        for member in members {
            let memberPath = path + "/" + member.key
            var matched = false
            if let property = properties.first(where: { $0.key == member.key }) {
                matched = true
                validate(member.value, property.value, file: file, path: memberPath, errors: &errors, depth: depth + 1)
            }
            for pattern in patterns where regexMatches(pattern.key, member.key) {
                matched = true
                validate(member.value, pattern.value, file: file, path: memberPath, errors: &errors, depth: depth + 1)
            }
            if !matched, let additional = schema["additionalProperties"] {
                if case .bool(false) = additional {
                    errors.append("\(memberPath): property not allowed")
                } else {
                    validate(member.value, additional, file: file, path: memberPath, errors: &errors, depth: depth + 1)
                }
            }
        }
    }

    private func validateArray(_ items: [JSONValue], _ schema: JSONValue, file: String, path: String, errors: inout [String], depth: Int) {
        if let min = schema["minItems"]?.int64Value, items.count < min { errors.append("\(path): fewer than \(min) items") }
        if let max = schema["maxItems"]?.int64Value, items.count > max { errors.append("\(path): more than \(max) items") }
        if schema["uniqueItems"]?.boolValue == true {
            for i in items.indices {
                for j in items.indices where j > i && jsonEqual(items[i], items[j]) {
                    errors.append("\(path): items \(i) and \(j) are equal")
                }
            }
        }
        switch schema["items"] {
        case .array(let tuple)?:
            for (index, item) in items.enumerated() {
                if index < tuple.count {
                    validate(item, tuple[index], file: file, path: "\(path)/\(index)", errors: &errors, depth: depth + 1)
                } else if let additional = schema["additionalItems"] {
                    if case .bool(false) = additional {
                        errors.append("\(path)/\(index): additional item not allowed")
                    } else {
                        validate(item, additional, file: file, path: "\(path)/\(index)", errors: &errors, depth: depth + 1)
                    }
                }
            }
        case let single?:
            for (index, item) in items.enumerated() {
                validate(item, single, file: file, path: "\(path)/\(index)", errors: &errors, depth: depth + 1)
            }
        case nil:
            break
        }
    }

    private func validateString(_ text: String, _ schema: JSONValue, path: String, errors: inout [String]) {
        let length = text.unicodeScalars.count
        if let min = schema["minLength"]?.int64Value, length < min { errors.append("\(path): shorter than \(min)") }
        if let max = schema["maxLength"]?.int64Value, length > max { errors.append("\(path): longer than \(max)") }
        if let pattern = schema["pattern"]?.stringValue, !regexMatches(pattern, text) {
            errors.append("\(path): does not match \(pattern)")
        }
        switch schema["format"]?.stringValue {
        case "date-time"?:
            if !regexMatches(#"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$"#, text) || ISO8601Check.parse(text) == false {
                errors.append("\(path): not an RFC 3339 date-time")
            }
        case "iri-reference"?:
            if text.unicodeScalars.contains(where: { $0.value <= 0x20 || "<>\"{}|\\^`".unicodeScalars.contains($0) }) {
                errors.append("\(path): not an IRI reference")
            }
        case "uri"?, "uri-reference"?:
            let forbidden = text.unicodeScalars.contains { $0.value <= 0x20 || $0.value >= 0x7f || "<>\"{}|\\^`".unicodeScalars.contains($0) }
            let absolute = regexMatches(#"^[A-Za-z][A-Za-z0-9+.-]*:"#, text)
            if forbidden || (schema["format"]?.stringValue == "uri" && !absolute) { errors.append("\(path): not a \(schema["format"]?.stringValue ?? "uri")") }
        case "idn-email"?:
            let parts = text.split(separator: "@", omittingEmptySubsequences: false)
            if parts.count != 2 || parts[0].isEmpty || parts[1].isEmpty { errors.append("\(path): not an e-mail address") }
        default:
            break
        }
    }

    private func validateNumber(_ literal: String, _ schema: JSONValue, path: String, errors: inout [String]) {
        guard let value = Double(literal) else { return }
        if let min = schema["minimum"].flatMap(numberValue), value < min { errors.append("\(path): below \(min)") }
        if let max = schema["maximum"].flatMap(numberValue), value > max { errors.append("\(path): above \(max)") }
        if let min = schema["exclusiveMinimum"].flatMap(numberValue), value <= min { errors.append("\(path): not above \(min)") }
        if let max = schema["exclusiveMaximum"].flatMap(numberValue), value >= max { errors.append("\(path): not below \(max)") }
    }

    private func numberValue(_ value: JSONValue) -> Double? {
        if case .number(let literal) = value { return Double(literal) }
        return nil
    }

    private func matchesType(_ instance: JSONValue, _ type: String) -> Bool {
        switch (type, instance) {
        case ("object", .object), ("array", .array), ("string", .string), ("boolean", .bool), ("null", .null), ("number", .number): true
        case ("integer", .number(let literal)): Double(literal).map { $0.isFinite && $0 == $0.rounded() } ?? false
        default: false
        }
    }

    private func regexMatches(_ pattern: String, _ text: String) -> Bool {
        guard let regex = try? NSRegularExpression(pattern: pattern) else { return false }
        return regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }
}

/// JSON equality as JSON Schema defines it: objects regardless of member order, numbers by value.
func jsonEqual(_ a: JSONValue, _ b: JSONValue) -> Bool {
    switch (a, b) {
    case (.null, .null): return true
    case (.bool(let x), .bool(let y)): return x == y
    case (.string(let x), .string(let y)): return x == y
    case (.number(let x), .number(let y)): return Double(x) == Double(y)
    case (.array(let x), .array(let y)): return x.count == y.count && zip(x, y).allSatisfy { jsonEqual($0, $1) }
    case (.object(let x), .object(let y)):
        return x.count == y.count && x.allSatisfy { member in y.contains { $0.key == member.key && jsonEqual($0.value, member.value) } }
    default: return false
    }
}

/// Calendar checks the date-time pattern cannot express (month 13, day 32, hour 25…).
enum ISO8601Check {
    static func parse(_ text: String) -> Bool {
        let digits = text.prefix(19).split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
        guard digits.count == 6 else { return false }
        return (1...12).contains(digits[1]) && (1...31).contains(digits[2]) && (0...23).contains(digits[3])
            && (0...59).contains(digits[4]) && (0...60).contains(digits[5])
    }
}
