import Foundation
import Yams

/// Strict access to a composed YAML tree: keys must be known, scalars must be present, and
/// every error is one line naming the source, the line and the rule or case it is in.
struct YAMLReader {
    let source: String

    /// A `.malformed` error: "source:line: context: message".
    func failure(_ node: Node?, _ context: String?, _ message: String) -> AccessError {
        var prefix = source
        if let line = node?.mark?.line { prefix += ":\(line)" }
        if let context { prefix += ": \(context)" }
        return AccessError(.malformed, "\(prefix): \(message)")
    }

    /// Composes `text` into a tree; an empty document is an error.
    func root(_ text: String, expected: String) throws(AccessError) -> Node {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch {
            let detail = String(describing: error).split(separator: "\n").first.map(String.init) ?? "unreadable"
            throw AccessError(.malformed, "\(source): not valid YAML: \(detail)")
        }
        guard let node else { throw AccessError(.malformed, "\(source): the file is empty; expected \(expected)") }
        return node
    }

    /// The key/value pairs of a mapping in document order, refusing keys outside `allowed`.
    func mapping(_ node: Node, allowed: [String], _ context: String?, what: String) throws(AccessError) -> [(key: String, node: Node, value: Node)] {
        guard let pairs = node.mapping else { throw failure(node, context, "\(what) must be a mapping") }
        var result: [(key: String, node: Node, value: Node)] = []
        for (keyNode, value) in pairs {
            guard let key = keyNode.scalar?.string else { throw failure(keyNode, context, "\(what) has a key that is not text") }
            if !allowed.isEmpty, !allowed.contains(key) {
                throw failure(keyNode, context, "unknown key '\(key)' in \(what) (expected \(allowed.joined(separator: ", ")))")
            }
            result.append((key, keyNode, value))
        }
        return result
    }

    /// The text of a scalar; a missing (null) value, a list or a mapping is an error.
    func string(_ node: Node, _ context: String?, what: String) throws(AccessError) -> String {
        guard let scalar = node.scalar, node.null == nil || scalar.style != .plain else {
            throw failure(node, context, "\(what) must be a single value")
        }
        return scalar.string
    }

    /// The texts of a sequence of scalars.
    func strings(_ node: Node, _ context: String?, what: String) throws(AccessError) -> [String] {
        guard let sequence = node.sequence else { throw failure(node, context, "\(what) must be a list") }
        var result: [String] = []
        for item in sequence { result.append(try string(item, context, what: "each entry of \(what)")) }
        return result
    }
}
