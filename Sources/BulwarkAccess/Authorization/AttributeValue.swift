public import Foundation

/// The value of a principal, resource or context attribute that a policy condition reads.
///
/// Five kinds, as in the policy file's `attributes:` declarations: `string`, `number`, `bool`,
/// `list` and `time`. Durations (such as `principal.mfaAge`) are numbers of seconds.
///
/// ```swift
/// let resource = Resource(type: "model", id: "fraud", attributes: ["sizeBytes": .number(4096)])
/// ```
public enum AttributeValue: Sendable, Hashable {
    /// Text, compared by exact (code-point) equality.
    case string(String)
    /// A finite number (durations are seconds).
    case number(Double)
    /// A Boolean.
    case bool(Bool)
    /// A list of values; `in`, `not in` and `contains` test membership.
    case list([AttributeValue])
    /// An instant, compared in time order.
    case time(Date)
}

/// The type an attribute has in a policy's schema: what literals it is compared with and which
/// operators apply.
public enum AttributeType: String, Sendable, Hashable, CaseIterable {
    /// Text (`==`, `!=`, `in`, `not in`).
    case string
    /// A number (all comparisons).
    case number
    /// A Boolean (`==`, `!=`).
    case bool
    /// A list (`contains`, or the right side of `in`).
    case list
    /// An instant, written in RFC 3339 (`2026-12-06T10:00:00Z`).
    case time
    /// A length of time, written `30s`, `15m`, `2h`, `1d` or combined (`1h30m`); stored in seconds.
    case duration
    /// An IP address: only the `network:` condition reads it.
    case address

    /// Whether `value` is of this type (durations are numbers; addresses are never attribute values).
    func admits(_ value: AttributeValue) -> Bool {
        switch (self, value) {
        case (.string, .string), (.number, .number), (.duration, .number), (.bool, .bool), (.list, .list), (.time, .time): true
        default: false
        }
    }
}

/// Parses a duration such as `90s`, `15m`, `2h`, `1d` or `1h30m` into seconds; nil if malformed.
package func parseDurationSeconds(_ text: String) -> Double? {
    var total = 0.0
    var digits = ""
    var sawUnit = false
    for character in text {
        if character.isASCII, character.isNumber {
            digits.append(character)
            continue
        }
        let unit: Double
        switch character {
        case "s": unit = 1
        case "m": unit = 60
        case "h": unit = 3600
        case "d": unit = 86400
        default: return nil
        }
        guard !digits.isEmpty, digits.count <= 9, let amount = Double(digits) else { return nil }
        total += amount * unit
        digits = ""
        sawUnit = true
    }
    return digits.isEmpty && sawUnit ? total : nil
}

/// Parses an RFC 3339 instant (`2026-12-06T10:00:00Z`, an offset or fractional seconds allowed).
func parseTime(_ text: String) -> Date? {
    let plain = ISO8601DateFormatter()
    plain.formatOptions = [.withInternetDateTime]
    if let date = plain.date(from: text) { return date }
    let fractional = ISO8601DateFormatter()
    fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return fractional.date(from: text)
}
