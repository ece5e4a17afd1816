import Foundation

/// Compiles one comparison written as text, `ATTRIBUTE OP OPERAND`, into a ``Condition``.
///
/// The grammar is deliberately small: one comparison, no boolean operators, no nesting (list
/// several conditions, or several rules, instead). Tokens: attribute names, bare words,
/// double-quoted strings (`\"` and `\\` escapes), the operators `== != < <= > >=` and the
/// words `in`, `not in`, `contains`, and `[`, `,`, `]` for list literals. A bare word that starts
/// with `principal.`, `resource.` or `context.` is an attribute; any other is a literal read as
/// the left attribute's type.
struct ConditionExpression {
    enum Token: Equatable {
        case word(String)
        case quoted(String)
        case symbol(String)
    }

    let text: String
    let schema: [String: (AttributeReference, AttributeType)]

    /// A compiled condition, or a one-line description of what is wrong.
    func compile() -> Result<Condition, ConditionError> {
        let tokens: [Token]
        switch tokenize() {
        case let .success(list): tokens = list
        case let .failure(problem): return .failure(problem)
        }
        guard case let .word(leftName) = tokens.first, isAttributeName(leftName) else {
            return .failure(ConditionError("'\(text)': the left side must be an attribute (principal.…, resource.… or context.…)"))
        }
        guard let (left, leftType) = schema[leftName] else { return .failure(ConditionError("unknown attribute '\(leftName)'")) }
        if leftType == .address {
            return .failure(ConditionError("'\(leftName)' is compared only by the `network:` condition"))
        }
        var position = 1
        let comparison: ComparisonOperator
        switch tokens.count > 1 ? tokens[1] : nil {
        case let .symbol(symbol)? where ComparisonOperator(rawValue: symbol) != nil:
            comparison = ComparisonOperator(rawValue: symbol) ?? .equal
            position = 2
        case .word("in")?: comparison = .isIn; position = 2
        case .word("contains")?: comparison = .contains; position = 2
        case .word("not")? where tokens.count > 2 && tokens[2] == .word("in"): comparison = .notIn; position = 3
        default:
            return .failure(ConditionError("'\(text)': expected an operator (==, !=, <, <=, >, >=, in, not in, contains) after '\(leftName)'"))
        }
        let rest = Array(tokens[position...])
        switch operand(rest, left: leftName, leftType: leftType, comparison: comparison) {
        case let .success(right): return .success(Condition(kind: .compare(left, comparison, right), text: text))
        case let .failure(problem): return .failure(problem)
        }
    }

    private func isAttributeName(_ word: String) -> Bool {
        AttributeReference.entities.contains { word.hasPrefix($0 + ".") }
    }

    private func operand(_ tokens: [Token], left: String, leftType: AttributeType,
                         comparison: ComparisonOperator) -> Result<Operand, ConditionError> {
        guard !tokens.isEmpty else { return .failure(ConditionError("'\(text)': nothing after the operator")) }
        let wantsList = comparison == .isIn || comparison == .notIn
        switch comparison {
        case .less, .lessOrEqual, .greater, .greaterOrEqual:
            guard [.number, .duration, .time].contains(leftType) else {
                return .failure(ConditionError("'\(text)': '\(comparison.rawValue)' needs a number, duration or time, and '\(left)' is a \(leftType.rawValue)"))
            }
        case .equal, .notEqual, .isIn, .notIn:
            if leftType == .list {
                return .failure(ConditionError("'\(text)': '\(left)' is a list; test membership with 'contains'"))
            }
        case .contains:
            guard leftType == .list else {
                return .failure(ConditionError("'\(text)': 'contains' needs a list on the left, and '\(left)' is a \(leftType.rawValue)"))
            }
        }
        // Another attribute on the right.
        if tokens.count == 1, case let .word(word) = tokens[0], isAttributeName(word) {
            guard let (reference, type) = schema[word] else { return .failure(ConditionError("unknown attribute '\(word)'")) }
            let fits: Bool
            switch comparison {
            case .isIn, .notIn: fits = type == .list
            case .contains: fits = type != .list && type != .address
            default: fits = type == leftType
            }
            guard fits else {
                return .failure(ConditionError("'\(text)': '\(left)' (\(leftType.rawValue)) cannot be compared with '\(word)' (\(type.rawValue)) by '\(comparison.rawValue)'"))
            }
            return .success(.attribute(reference))
        }
        if wantsList {
            guard tokens.first == .symbol("["), tokens.last == .symbol("]") else {
                return .failure(ConditionError("'\(text)': '\(comparison.rawValue)' needs a list such as [a, b] or a list attribute"))
            }
            var items: [AttributeValue] = []
            var index = 1
            while index < tokens.count - 1 {
                switch literal(tokens[index], as: leftType, left: left) {
                case let .success(value): items.append(value)
                case let .failure(problem): return .failure(problem)
                }
                index += 1
                if index < tokens.count - 1 {
                    guard tokens[index] == .symbol(",") else { return .failure(ConditionError("'\(text)': list items must be separated by commas")) }
                    index += 1
                    guard index < tokens.count - 1 else { return .failure(ConditionError("'\(text)': the list ends with a comma")) }
                }
            }
            guard !items.isEmpty else { return .failure(ConditionError("'\(text)': the list is empty")) }
            return .success(.literal(.list(items)))
        }
        guard tokens.count == 1 else { return .failure(ConditionError("'\(text)': expected one value after the operator")) }
        let type: AttributeType? = comparison == .contains ? nil : leftType
        switch literal(tokens[0], as: type, left: left) {
        case let .success(value): return .success(.literal(value))
        case let .failure(problem): return .failure(problem)
        }
    }

    /// A literal read as `type`; with no type (the right of `contains`) a quoted token is text,
    /// `true`/`false` a Boolean, a number a number, anything else text.
    private func literal(_ token: Token, as type: AttributeType?, left: String) -> Result<AttributeValue, ConditionError> {
        let word: String
        let quoted: Bool
        switch token {
        case let .word(value): word = value; quoted = false
        case let .quoted(value): word = value; quoted = true
        case let .symbol(symbol): return .failure(ConditionError("'\(text)': unexpected '\(symbol)'"))
        }
        if !quoted, isAttributeName(word) {
            return .failure(ConditionError("'\(text)': attribute '\(word)' cannot appear inside a list literal"))
        }
        guard let type else {
            if quoted { return .success(.string(word)) }
            if word == "true" || word == "false" { return .success(.bool(word == "true")) }
            if let number = Double(word), number.isFinite { return .success(.number(number)) }
            return .success(.string(word))
        }
        switch type {
        case .string:
            if left == "principal.kind", Principal.Kind(rawValue: word) == nil {
                return .failure(ConditionError("'\(text)': '\(word)' is not a principal kind (user, service, anonymous)"))
            }
            return .success(.string(word))
        case .number:
            guard !quoted, let number = Double(word), number.isFinite else {
                return .failure(ConditionError("'\(text)': '\(word)' is not a number"))
            }
            return .success(.number(number))
        case .duration:
            guard !quoted, let seconds = parseDurationSeconds(word) else {
                return .failure(ConditionError("'\(text)': '\(word)' is not a duration (such as 30s, 15m, 2h, 1d)"))
            }
            return .success(.number(seconds))
        case .bool:
            guard !quoted, word == "true" || word == "false" else {
                return .failure(ConditionError("'\(text)': '\(word)' is not true or false"))
            }
            return .success(.bool(word == "true"))
        case .time:
            guard let date = parseTime(word) else {
                return .failure(ConditionError("'\(text)': '\(word)' is not an RFC 3339 time (such as 2026-12-06T10:00:00Z)"))
            }
            return .success(.time(date))
        case .list, .address:
            return .failure(ConditionError("'\(text)': no literal of type \(type.rawValue)"))
        }
    }

    private func tokenize() -> Result<[Token], ConditionError> {
        let characters = Array(text.unicodeScalars)
        var tokens: [Token] = []
        var index = 0
        let operatorStarts: Set<Unicode.Scalar> = ["=", "!", "<", ">"]
        while index < characters.count {
            let character = characters[index]
            if character == " " || character == "\t" {
                index += 1
            } else if character == "[" || character == "]" || character == "," {
                tokens.append(.symbol(String(character)))
                index += 1
            } else if operatorStarts.contains(character) {
                let next = index + 1 < characters.count ? characters[index + 1] : " "
                if next == "=" {
                    tokens.append(.symbol(String(character) + "="))
                    index += 2
                } else if character == "<" || character == ">" {
                    tokens.append(.symbol(String(character)))
                    index += 1
                } else {
                    return .failure(ConditionError("'\(text)': unknown operator '\(character)' (use == or !=)"))
                }
            } else if character == "\"" {
                var value = ""
                index += 1
                var closed = false
                while index < characters.count {
                    let inner = characters[index]
                    if inner == "\\" {
                        guard index + 1 < characters.count, characters[index + 1] == "\"" || characters[index + 1] == "\\" else {
                            return .failure(ConditionError("'\(text)': only \\\" and \\\\ escapes are allowed"))
                        }
                        value.unicodeScalars.append(characters[index + 1])
                        index += 2
                    } else if inner == "\"" {
                        closed = true
                        index += 1
                        break
                    } else {
                        value.unicodeScalars.append(inner)
                        index += 1
                    }
                }
                guard closed else { return .failure(ConditionError("'\(text)': unterminated quoted string")) }
                tokens.append(.quoted(value))
            } else {
                var value = ""
                while index < characters.count {
                    let inner = characters[index]
                    if inner == " " || inner == "\t" || inner == "[" || inner == "]" || inner == "," || inner == "\""
                        || operatorStarts.contains(inner) { break }
                    value.unicodeScalars.append(inner)
                    index += 1
                }
                tokens.append(.word(value))
            }
        }
        return .success(tokens)
    }
}

/// Why a condition did not compile (one line, without the file and rule, which the caller adds).
struct ConditionError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}
