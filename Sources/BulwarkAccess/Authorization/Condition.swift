import Foundation

/// A comparison operator of a condition expression.
enum ComparisonOperator: String, Sendable {
    case equal = "==", notEqual = "!=", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
    case isIn = "in", notIn = "not in", contains = "contains"
}

/// The right side of a comparison: a literal typed when compiled, or another attribute.
enum Operand: Sendable {
    case literal(AttributeValue)
    case attribute(AttributeReference)
}

/// A compiled condition, ready to evaluate without parsing or pattern matching.
struct Condition: Sendable {
    enum Kind: Sendable {
        case compare(AttributeReference, ComparisonOperator, Operand)
        case has(AttributeReference)
        case mfaWithin(seconds: Double)
        case network([IPNetwork])
        /// Minutes after midnight UTC, start inclusive, end exclusive (the window wraps midnight
        /// when start > end); `days` has bit 0 for Monday … bit 6 for Sunday.
        case timeWindow(startMinute: Int, endMinute: Int, days: UInt8)
        case withinTokenScopes
    }

    let kind: Kind
    /// The condition as written, for decision reasons.
    let text: String

    /// Whether the condition holds for `request`; any comparison with a missing attribute is false.
    func holds(for request: AuthorizationRequest, declaredTypes: [AttributeReference: AttributeType]) -> Bool {
        switch kind {
        case let .compare(reference, comparison, operand):
            guard let left = request.value(of: reference, declaredTypes: declaredTypes) else { return false }
            let right: AttributeValue
            switch operand {
            case let .literal(value): right = value
            case let .attribute(other):
                guard let value = request.value(of: other, declaredTypes: declaredTypes) else { return false }
                right = value
            }
            return Self.compare(left, comparison, right)
        case let .has(reference):
            return request.value(of: reference, declaredTypes: declaredTypes) != nil
        case let .mfaWithin(seconds):
            guard let age = request.mfaAgeSeconds else { return false }
            return age <= seconds
        case let .network(networks):
            guard let address = request.context.address else { return false }
            return networks.contains { $0.contains(address) }
        case let .timeWindow(start, end, days):
            let (minute, weekday) = Self.minuteAndWeekdayUTC(request.context.time)
            guard days & (1 << weekday) != 0 else { return false }
            return start < end ? (minute >= start && minute < end) : (minute >= start || minute < end)
        case .withinTokenScopes:
            guard let scopes = request.principal.scopes else { return true }
            return scopes.contains { Action.pattern($0, matches: request.action) }
        }
    }

    static func compare(_ left: AttributeValue, _ comparison: ComparisonOperator, _ right: AttributeValue) -> Bool {
        switch comparison {
        case .equal: return left == right
        case .notEqual: return left != right
        case .isIn:
            guard case let .list(items) = right else { return false }
            return items.contains(left)
        case .notIn:
            guard case let .list(items) = right else { return false }
            return !items.contains(left)
        case .contains:
            guard case let .list(items) = left else { return false }
            return items.contains(right)
        case .less, .lessOrEqual, .greater, .greaterOrEqual:
            let order: (Double, Double)
            switch (left, right) {
            case let (.number(a), .number(b)): order = (a, b)
            case let (.time(a), .time(b)): order = (a.timeIntervalSinceReferenceDate, b.timeIntervalSinceReferenceDate)
            default: return false
            }
            switch comparison {
            case .less: return order.0 < order.1
            case .lessOrEqual: return order.0 <= order.1
            case .greater: return order.0 > order.1
            default: return order.0 >= order.1
            }
        }
    }

    /// Minute of the day (0..<1440) and weekday (0 = Monday) of `time` in UTC.
    static func minuteAndWeekdayUTC(_ time: Date) -> (Int, Int) {
        let seconds = time.timeIntervalSince1970.rounded(.down)
        guard seconds.isFinite, abs(seconds) < 1e15 else { return (0, 0) }
        let whole = Int(seconds)
        let day = whole >= 0 ? whole / 86400 : -((-whole + 86399) / 86400)
        let minute = (whole - day * 86400) / 60
        let weekday = ((day + 3) % 7 + 7) % 7  // 1970-01-01 was a Thursday
        return (minute, weekday)
    }
}
