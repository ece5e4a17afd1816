/// TensorFlow SavedModel checks: operators that read or write files, run Python or reach the
/// network (policy module `tf.op`), and checkpoint operators (`tf.checkpoint-op`) outside the
/// saver. The saver is the TF1 `save/` (`save_N/`) name scope of the top-level graph and the TF2
/// `__inference__traced_save_N` / `__inference__traced_restore_N` functions, as long as no other
/// function calls them (a serving function that calls the save function writes files).
extension ArtifactScanner {
    static func isSaverFunction(_ name: String) -> Bool {
        name.hasPrefix("__inference__traced_save_") || name.hasPrefix("__inference__traced_restore_")
    }

    static func isSaverScope(_ nodeName: String) -> Bool {
        guard let slash = nodeName.firstIndex(of: "/") else { return false }
        let scope = nodeName[..<slash]
        if scope == "save" { return true }
        guard scope.hasPrefix("save_") else { return false }
        return scope.dropFirst(5).allSatisfy { $0.isASCII && $0.isNumber } && scope.count > 5
    }

    /// Findings for a parsed SavedModel.
    func savedModelFindings(_ info: SavedModelInfo) -> [ScanFinding] {
        // Saver functions reachable from a non-saver function are exposed (BFS over calls).
        var callees: [String: [String]] = [:]
        for n in info.nodes { if let f = n.function { callees[f, default: []] += n.calls } }
        var exposed = Set<String>()
        var queue = info.functions.filter { !Self.isSaverFunction($0) }.flatMap { callees[$0] ?? [] }
        var visitedNonSaver = Set(info.functions.filter { !Self.isSaverFunction($0) })
        while let next = queue.popLast() {
            if Self.isSaverFunction(next) {
                guard exposed.insert(next).inserted else { continue }
                queue += callees[next] ?? []
            } else if visitedNonSaver.insert(next).inserted {
                queue += callees[next] ?? []
            }
        }
        var findings: [ScanFinding] = []
        var seen = Set<String>()
        for n in info.nodes {
            let place = n.function.map { "function \($0)" } ?? "graph"
            if case .dangerous(let why) = policy.classify(module: "tf.op", name: n.op) {
                guard seen.insert("op \(n.op) \(place)").inserted else { continue }
                findings.append(ScanFinding(severity: .critical, rule: "tensorflow.dangerous-op", detail: "\(n.op) node '\(n.name)' in \(place): \(why)", offset: nil))
            } else if case .dangerous(let why) = policy.classify(module: "tf.checkpoint-op", name: n.op) {
                let inSaver = n.function.map { Self.isSaverFunction($0) && !exposed.contains($0) } ?? Self.isSaverScope(n.name)
                guard !inSaver, seen.insert("ckpt \(n.op) \(place)").inserted else { continue }
                findings.append(ScanFinding(severity: .critical, rule: "tensorflow.checkpoint-op-outside-saver", detail: "\(n.op) node '\(n.name)' in \(place) outside the saver: \(why)", offset: nil))
            }
            if findings.count >= 200 { break }
        }
        for metadata in info.userObjectMetadata.prefix(10_000) where findings.count < 200 {
            findings += Self.kerasConfigFindings(Array(metadata.utf8), entry: "object graph")
        }
        return findings
    }

    /// The data files of a SavedModel folder (`variables/variables.index`,
    /// `variables/variables.data-*`, `fingerprint.pb`) are read as tensors or hashes, never
    /// executed: true when `path` is one of them, next to a `saved_model.pb`.
    static func isSavedModelDataFile(_ path: String, exists: (String) -> Bool) -> Bool {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard let name = parts.last else { return false }
        let dir = parts.dropLast().joined(separator: "/")
        if name == "fingerprint.pb" { return exists((dir.isEmpty ? "." : dir) + "/saved_model.pb") }
        guard parts.count >= 2, parts[parts.count - 2] == "variables",
              name == "variables.index" || name.hasPrefix("variables.data-") else { return false }
        let root = parts.dropLast(2).joined(separator: "/")
        return exists((root.isEmpty ? "." : root) + "/saved_model.pb")
    }
}
