public import BulwarkArchive

/// Static scanner for model artifacts: detects the format by content and analyses it without
/// loading or executing anything. Reads only the bytes it needs (zip central directory and
/// pickle entries, safetensors header, GGUF header).
///
/// ```swift
/// let scanner = ArtifactScanner(policy: .default)
/// let files = await scanner.scan(paths: ["model.pt"], jobs: 4)
/// ```
public struct ArtifactScanner: Sendable {
    /// The policy used to classify pickle callables.
    public let policy: ScanPolicy
    /// Largest pickle (or zip entry) analysed, in bytes.
    public var maxPickleBytes = 1 << 30

    /// Creates a scanner.
    public init(policy: ScanPolicy = .default) { self.policy = policy }

    /// Scans files and directories (recursively), `jobs` files at a time. Results are in path order.
    public func scan(paths: [String], jobs: Int) async -> [ScannedFile] {
        var files: [String] = []
        for p in paths { collect(p, into: &files) }
        files.sort()
        let width = max(1, jobs)
        var results = [ScannedFile?](repeating: nil, count: files.count)
        await withTaskGroup(of: (Int, ScannedFile).self) { group in
            var next = 0
            while next < files.count && next < width {
                let i = next, f = files[i]
                group.addTask { (i, self.scanFile(path: f)) }
                next += 1
            }
            while let (i, r) = await group.next() {
                results[i] = r
                if next < files.count {
                    let j = next, f = files[j]
                    group.addTask { (j, self.scanFile(path: f)) }
                    next += 1
                }
            }
        }
        return results.compactMap { $0 }
    }

    private func collect(_ path: String, into files: inout [String], depth: Int = 0) {
        if let children = FileSystem.directoryEntries(path) {
            for c in children.sorted() where c != "." && c != ".." && depth < 64 {
                collect(path.hasSuffix("/") ? path + c : path + "/" + c, into: &files, depth: depth + 1)
            }
        } else {
            files.append(path)
        }
    }

    /// Scans one file.
    public func scanFile(path: String) -> ScannedFile {
        if Self.isSavedModelDataFile(path, exists: FileSystem.isRegularFile) {
            // Tensor data and hashes next to a saved_model.pb: read by RestoreV2, never executed.
            return ScannedFile(path: path, format: "tf-savedmodel-data", verdict: .clean, findings: [])
        }
        if path.hasSuffix("/keras_metadata.pb") || path == "keras_metadata.pb" {
            return scanKerasMetadata(path: path)
        }
        let source: FileSource
        do { source = try FileSource(path: path) } catch {
            return ScannedFile(path: path, format: "unknown", verdict: .error, findings: [ScanFinding(severity: .high, rule: "io.unreadable", detail: error.message, offset: nil)])
        }
        do {
            let (format, findings, complete) = try scanSource(source, directory: Self.directory(of: path))
            return Self.result(path: path, format: format, findings: findings, complete: complete)
        } catch {
            return ScannedFile(path: path, format: "unknown", verdict: .error, findings: [ScanFinding(severity: .high, rule: "io.error", detail: error.message, offset: nil)])
        }
    }

    /// `keras_metadata.pb` of a Keras SavedModel: every layer's JSON metadata gets the Keras checks.
    func scanKerasMetadata(path: String) -> ScannedFile {
        do {
            let source = try FileSource(path: path)
            guard source.size <= maxPickleBytes else {
                return Self.result(path: path, format: "keras-metadata", findings: [ScanFinding(severity: .medium, rule: "keras.metadata-too-large", detail: "keras_metadata.pb larger than \(maxPickleBytes) bytes was not analysed", offset: nil)], complete: true)
            }
            let bytes = try source.read(offset: 0, count: source.size)
            let meta: KerasSavedMetadata
            do { meta = try KerasSavedMetadata(bytes: bytes) } catch {
                return Self.result(path: path, format: "keras-metadata", findings: [ScanFinding(severity: .high, rule: "keras.metadata-malformed", detail: error.message, offset: nil)], complete: true)
            }
            var findings: [ScanFinding] = []
            for node in meta.nodes where !node.metadata.isEmpty {
                findings += Self.kerasConfigFindings(Array(node.metadata.utf8), entry: node.path.isEmpty ? "keras_metadata" : node.path)
                if findings.count > 100 { break }
            }
            return Self.result(path: path, format: "keras-metadata", findings: findings, complete: true)
        } catch {
            return ScannedFile(path: path, format: "keras-metadata", verdict: .error, findings: [ScanFinding(severity: .high, rule: "io.error", detail: error.message, offset: nil)])
        }
    }

    static func directory(of path: String) -> String {
        guard let i = path.lastIndex(of: "/") else { return "." }
        return String(path[..<i])
    }

    static func result(path: String, format: String, findings: [ScanFinding], complete: Bool) -> ScannedFile {
        let sorted = findings.sorted { $0.severity > $1.severity }
        let verdict: ScanVerdict
        if sorted.contains(where: { $0.severity == .critical }) { verdict = .malicious }
        else if !sorted.isEmpty { verdict = .suspicious }
        else { verdict = complete ? .clean : .unsupported }
        return ScannedFile(path: path, format: format, verdict: verdict, findings: sorted)
    }

    /// Detects the format of `source` and analyses it: (format, findings, fully analysed).
    func scanSource(_ source: any RandomAccessSource, directory: String) throws(ArchiveError) -> (String, [ScanFinding], Bool) {
        let head = try source.read(offset: 0, count: min(source.size, 512))
        func starts(_ s: [UInt8]) -> Bool { head.count >= s.count && Array(head.prefix(s.count)) == s }
        if head.isEmpty { return ("empty", [], false) }
        if starts([0x50, 0x4b, 0x03, 0x04]) || starts([0x50, 0x4b, 0x05, 0x06]) || ZipArchive.looksLikeZip(source) {
            return try scanZip(source)
        }
        if starts([0x93] + Array("NUMPY".utf8)) {
            let all = try source.read(offset: 0, count: min(source.size, maxPickleBytes))
            let (f, c) = scanNpy(all, offsetBase: 0)
            return ("npy", f, c)
        }
        if starts(Array("GGUF".utf8)) { return ("gguf", Self.ggufFindings(source), true) }
        if starts([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]) { return try scanHDF5(source) }
        if head.count >= 262, Array(head[257..<262]) == Array("ustar".utf8) { return try scanTar(source) }
        if head.count >= 9, head[8] == UInt8(ascii: "{") {
            return ("safetensors", try safetensorsFindings(source), true)
        }
        if Self.looksLikePickle(head) {
            let bytes = try source.read(offset: 0, count: min(source.size, maxPickleBytes))
            var f = pickleFindings(bytes, offsetBase: 0, entry: nil)
            if source.size > maxPickleBytes { f.append(ScanFinding(severity: .medium, rule: "pickle.truncated-analysis", detail: "only the first \(maxPickleBytes) bytes were analysed", offset: nil)) }
            return ("pickle", f, true)
        }
        if head.first == 0x08, source.size <= 2_000_000_000 {
            let bytes = try source.read(offset: 0, count: source.size)
            let savedModel: Result<SavedModelInfo, FormatError>
            do { savedModel = .success(try SavedModelInfo(bytes: bytes)) } catch { savedModel = .failure(error) }
            if case .success(let info) = savedModel { return ("tf-savedmodel", savedModelFindings(info), true) }
            if let info = try? OnnxModelInfo(bytes: bytes) { return ("onnx", Self.onnxFindings(info), true) }
            if case .failure(let e) = savedModel, head.count >= 3, head[1] == 1, head[2] == 0x12 {
                return ("tf-savedmodel", [ScanFinding(severity: .high, rule: "tensorflow.malformed", detail: "SavedModel protobuf cannot be read: \(e.message)", offset: nil)], true)
            }
        }
        return ("unknown", [], false)
    }

    static func looksLikePickle(_ head: [UInt8]) -> Bool {
        guard let first = head.first else { return false }
        if first == 0x80 { return head.count >= 2 && head[1] <= 5 }
        // protocol 0/1 streams start with one of these opcodes
        return Array("(cl]}d)NSVIi".utf8).contains(first) && head.count > 1
    }

    func pickleFindings(_ bytes: [UInt8], offsetBase: Int, entry: String?) -> [ScanFinding] {
        let r = PickleAnalyzer.analyze(bytes)
        var findings: [ScanFinding] = []
        let prefix = entry.map { "\($0): " } ?? ""
        var seenUnknown = Set<String>()
        for c in r.imports {
            let full = "\(c.module).\(c.name)"
            if c.module == "?" {
                findings.append(ScanFinding(severity: .critical, rule: "pickle.computed-callable", detail: "\(prefix)\(c.opcode) calls a callable whose name is computed at load time", offset: offsetBase + c.offset))
                continue
            }
            switch policy.classify(module: c.module, name: c.name) {
            case .safe: continue
            case .dangerous(let why):
                findings.append(ScanFinding(severity: .critical, rule: "pickle.dangerous-callable", detail: "\(prefix)\(c.opcode) \(full): \(why)", offset: offsetBase + c.offset))
            case .unknown:
                guard seenUnknown.insert(full + c.opcode).inserted else { continue }
                findings.append(ScanFinding(severity: .medium, rule: "pickle.unknown-callable", detail: "\(prefix)\(c.opcode) \(full) is not on the allowlist", offset: offsetBase + c.offset))
            }
        }
        for p in r.problems.prefix(5) {
            findings.append(ScanFinding(severity: .medium, rule: "pickle.malformed", detail: prefix + p, offset: nil))
        }
        return findings
    }

    /// NPY: a malformed header or data of the wrong size is a finding; object arrays (`descr`
    /// 'O') hold a pickle after the header, found by text even when the header does not parse.
    func scanNpy(_ bytes: [UInt8], offsetBase: Int) -> ([ScanFinding], Bool) {
        // A buffer cut at maxPickleBytes has no known file size: check the header alone.
        var f = MalformedChecks.npy(prefix: bytes, fileSize: bytes.count < maxPickleBytes ? bytes.count : nil, offsetBase: offsetBase)
        guard let (start, headerLen) = NpyHeader.headerBounds(bytes), headerLen <= bytes.count - start else { return (f, true) }
        let header = String(decoding: bytes[start..<(start + headerLen)], as: UTF8.self)
        let isObject = header.contains("'|O'") || header.contains("'O'") || header.contains("\"|O\"")
        guard isObject else { return (f, true) }
        let payload = Array(bytes[(start + headerLen)...])
        f.append(ScanFinding(severity: .medium, rule: "npy.object-array", detail: "object array: loading it needs allow_pickle=True", offset: offsetBase + start + headerLen))
        f += pickleFindings(payload, offsetBase: offsetBase + start + headerLen, entry: nil)
        return (f, true)
    }

    func scanZip(_ source: any RandomAccessSource) throws(ArchiveError) -> (String, [ScanFinding], Bool) {
        let zip: ZipArchive
        do { zip = try ZipArchive(source: source, limits: ZipLimits(maxCompressionRatio: 200)) } catch {
            return ("zip", [ScanFinding(severity: .high, rule: "zip.unreadable", detail: "hostile or broken zip: \(error.message)", offset: nil)], true)
        }
        var findings: [ScanFinding] = []
        for issue in zip.issues {
            let sev: ScanSeverity = switch issue.kind {
            case .pathTraversal, .absolutePath, .overlappingEntries: .critical
            default: .high
            }
            findings.append(ScanFinding(severity: sev, rule: "zip.\(issue.kind.rawValue)", detail: issue.message, offset: nil))
        }
        var format = "zip"
        let names = zip.entries.map(\.name)
        if names.contains(where: { $0.hasSuffix("data.pkl") }) { format = "pytorch-zip" }
        else if names.contains("config.json") && names.contains(where: { $0.hasSuffix("metadata.json") }) { format = "keras" }
        else if !names.isEmpty && names.allSatisfy({ $0.hasSuffix(".npy") }) { format = "npz" }
        var complete = true
        var sawAnalysable = false
        let bombs = Set(zip.issues.filter { $0.kind == .suspiciousCompressionRatio || $0.kind == .sizeBeyondLimit || $0.kind == .overlappingEntries }.compactMap(\.entry))
        for e in zip.entries where !e.isDirectory {
            guard e.isMethodSupported, !e.isEncrypted else { complete = false; continue }
            // Never inflate an entry already reported as a bomb; its finding stands.
            guard !bombs.contains(e.name) else { complete = false; continue }
            let head: [UInt8]
            do { head = try zip.readPrefix(e, count: 16) } catch {
                findings.append(ScanFinding(severity: .high, rule: "zip.entry-unreadable", detail: "\(e.name): \(error.message)", offset: nil)); continue
            }
            let isPickleName = e.name.hasSuffix(".pkl") || e.name.hasSuffix(".pickle")
            if isPickleName || Self.looksLikePickle(head) && head.first == 0x80 || head.starts(with: [0x93] + Array("NUMPY".utf8)) || (format == "keras" && e.name == "config.json") {
                sawAnalysable = true
                let data: [UInt8]
                do { data = try zip.read(e, maxBytes: maxPickleBytes) } catch {
                    findings.append(ScanFinding(severity: .high, rule: "zip.entry-unreadable", detail: "\(e.name): \(error.message)", offset: nil)); continue
                }
                if head.starts(with: [0x93] + Array("NUMPY".utf8)) {
                    let (f, _) = scanNpy(data, offsetBase: 0)
                    findings += f.map { var x = $0; x.detail = "\(e.name): " + x.detail; return x }
                } else if e.name == "config.json" {
                    findings += Self.kerasConfigFindings(data, entry: e.name)
                } else {
                    findings += pickleFindings(data, offsetBase: 0, entry: e.name)
                }
            }
        }
        if !sawAnalysable && format == "zip" { complete = false }
        return (format, findings, complete)
    }

    static func kerasConfigFindings(_ data: [UInt8], entry: String) -> [ScanFinding] {
        KerasConfigCheck.findings(data, entry: entry)
    }

    /// HDF5 (Keras `.h5`): the root group's `model_config` attribute, read with the bounded
    /// `HDF5Attributes` reader, gets the Keras checks. An HDF5 file without one is not a Keras
    /// model (`unsupported`); one that cannot be read is a finding.
    func scanHDF5(_ source: any RandomAccessSource) throws(ArchiveError) -> (String, [ScanFinding], Bool) {
        let attrs: HDF5Attributes
        do {
            attrs = try HDF5Attributes(size: source.size) { offset, count in try? source.read(offset: offset, count: count) }
        } catch {
            return ("hdf5", [ScanFinding(severity: .high, rule: "hdf5.malformed", detail: "HDF5 structure cannot be read: \(error.message)", offset: nil)], true)
        }
        guard let config = attrs.strings["model_config"] else {
            if attrs.hasDenseAttributes {
                return ("hdf5", [ScanFinding(severity: .medium, rule: "hdf5.dense-attributes", detail: "root attributes in dense storage (fractal heap) are not read; model_config may be there", offset: nil)], true)
            }
            return ("hdf5", [], false)
        }
        return ("keras-h5", Self.kerasConfigFindings(Array(config.utf8), entry: "model_config"), true)
    }

    func scanTar(_ source: any RandomAccessSource) throws(ArchiveError) -> (String, [ScanFinding], Bool) {
        var findings: [ScanFinding] = []
        var off = 0
        var count = 0
        while off + 512 <= source.size && count < 100_000 {
            let h = try source.read(offset: off, count: 512)
            if h.allSatisfy({ $0 == 0 }) { break }
            count += 1
            let name = String(decoding: h[0..<100].prefix { $0 != 0 }, as: UTF8.self)
            var size = 0
            for c in h[124..<136] where c >= 0x30 && c <= 0x37 {
                guard size < (1 << 40) else { break }
                size = size * 8 + Int(c - 0x30)
            }
            if name.hasPrefix("/") || name.split(separator: "/").contains("..") {
                findings.append(ScanFinding(severity: .critical, rule: "tar.path-traversal", detail: "entry '\(name)' escapes the extraction folder", offset: off))
            }
            let dataStart = off + 512
            guard size <= source.size - dataStart else {
                findings.append(ScanFinding(severity: .high, rule: "tar.truncated", detail: "entry '\(name)' size \(size) runs past the file", offset: off)); break
            }
            let typeflag = h[156]
            if typeflag == 0x30 || typeflag == 0 {
                let head = try source.read(offset: dataStart, count: min(size, 16))
                if Self.looksLikePickle(head) && head.first == 0x80 {
                    let data = try source.read(offset: dataStart, count: min(size, maxPickleBytes))
                    findings += pickleFindings(data, offsetBase: dataStart, entry: name)
                }
            }
            off = dataStart + (size + 511) / 512 * 512
        }
        return ("pytorch-tar", findings, true)
    }

    func safetensorsFindings(_ source: any RandomAccessSource) throws(ArchiveError) -> [ScanFinding] {
        try MalformedChecks.safetensors(fileSize: source.size) { (offset, count) throws(ArchiveError) in try source.read(offset: offset, count: count) }
    }

    /// GGUF: the whole header (metadata, tensor infos, tensor placement) read in windows.
    static func ggufFindings(_ source: any RandomAccessSource) -> [ScanFinding] {
        MalformedChecks.gguf(size: source.size) { offset, count in try? source.read(offset: offset, count: count) }
    }

    static func onnxFindings(_ info: OnnxModelInfo) -> [ScanFinding] {
        var f: [ScanFinding] = []
        for t in info.initializers {
            guard let loc = t.externalLocation else { continue }
            if loc.hasPrefix("/") || loc.hasPrefix("\\") || loc.contains(":") || loc.split(whereSeparator: { $0 == "/" || $0 == "\\" }).contains("..") {
                f.append(ScanFinding(severity: .critical, rule: "onnx.external-data-escape", detail: "initializer '\(t.name)' reads external data from '\(loc)', outside the model folder", offset: nil))
            }
        }
        let standard: Set<String> = ["", "ai.onnx", "ai.onnx.ml", "ai.onnx.preview.training", "com.microsoft"]
        for op in info.operators where !standard.contains(op.domain) {
            f.append(ScanFinding(severity: .medium, rule: "onnx.custom-domain", detail: "operator \(op.domain)::\(op.opType) needs a custom runtime library", offset: nil))
        }
        f += MalformedChecks.onnx(info: info)
        return f
    }
}
