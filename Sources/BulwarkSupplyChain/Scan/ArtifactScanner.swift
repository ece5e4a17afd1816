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
    /// Whether a directory walk follows symbolic links to directories (cycles are detected).
    public var followSymlinks = false
    /// Largest output of one decompressed stream, in bytes; beyond it the stream is a finding.
    public var maxDecompressedBytes = 512 << 20
    /// Containers (compressed streams, zips, tars) opened inside one another at most this deep.
    static let maxContainerDepth = 4

    /// Creates a scanner.
    public init(policy: ScanPolicy = .default) { self.policy = policy }

    /// Scans files and directories (recursively), `jobs` files at a time. Results are in path
    /// order. Symbolic links to files are scanned; links to directories are followed only when
    /// ``followSymlinks`` is set, with cycles detected by device and inode; every file is
    /// reported once (by the first path that reaches it); a FIFO, socket or device is reported
    /// as an `error` and never opened.
    public func scan(paths: [String], jobs: Int) async -> [ScannedFile] {
        var walk = ScanTargets(followSymlinks: followSymlinks)
        for p in paths { walk.collect(p) }
        let files = walk.files.sorted()
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
        return (results.compactMap { $0 } + walk.refused).sorted { $0.path < $1.path }
    }

    /// Scans one file.
    public func scanFile(path: String) -> ScannedFile {
        let source: FileSource
        do { source = try FileSource(path: path) } catch {
            return ScannedFile(path: path, format: "unknown", verdict: .error, findings: [ScanFinding(severity: .high, rule: "io.unreadable", detail: error.message, offset: nil)])
        }
        return scan(source, path: path)
    }

    /// Scans bytes already in memory as the file at `path` would be scanned: the path only
    /// names the file and places it in its directory (a SavedModel's siblings are looked up
    /// there); its contents on disk are never read.
    public func scan(bytes: [UInt8], path: String) -> ScannedFile {
        scan(MemorySource(bytes, name: path), path: path)
    }

    func scan(_ source: any RandomAccessSource, path: String) -> ScannedFile {
        if Self.isSavedModelDataFile(path, exists: FileSystem.isRegularFile) {
            // Tensor data and hashes next to a saved_model.pb: read by RestoreV2, never executed.
            return ScannedFile(path: path, format: "tf-savedmodel-data", verdict: .clean, findings: [])
        }
        if path.hasSuffix("/keras_metadata.pb") || path == "keras_metadata.pb" {
            return scanKerasMetadata(source, path: path)
        }
        do {
            let analysis = try analyze(source, directory: Self.directory(of: path), depth: 0)
            return Self.result(path: path, analysis: analysis)
        } catch {
            return ScannedFile(path: path, format: "unknown", verdict: .error, findings: [ScanFinding(severity: .high, rule: "io.error", detail: error.message, offset: nil)])
        }
    }

    /// `keras_metadata.pb` of a Keras SavedModel: every layer's JSON metadata gets the Keras checks.
    func scanKerasMetadata(_ source: any RandomAccessSource, path: String) -> ScannedFile {
        do {
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
        result(path: path, analysis: Analysis(format: format, findings: findings, gaps: complete ? [] : ["format not recognised"]))
    }

    /// The verdict for an analysis: any critical finding → malicious; any medium or high →
    /// suspicious; otherwise clean only when nothing was left unanalysed (low findings are
    /// notes), else `unsupported` with the reason.
    static func result(path: String, analysis: Analysis) -> ScannedFile {
        let sorted = analysis.findings.sorted { $0.severity > $1.severity }
        let verdict: ScanVerdict
        if sorted.contains(where: { $0.severity == .critical }) { verdict = .malicious }
        else if sorted.contains(where: { $0.severity > .low }) { verdict = .suspicious }
        else { verdict = analysis.gaps.isEmpty ? .clean : .unsupported }
        let reason = verdict == .unsupported ? analysis.gaps.prefix(3).joined(separator: "; ") : nil
        return ScannedFile(path: path, format: analysis.format, verdict: verdict, findings: sorted, reason: reason)
    }

    /// Detects the format of `source` and analyses it: (format, findings, fully analysed).
    func scanSource(_ source: any RandomAccessSource, directory: String) throws(ArchiveError) -> (String, [ScanFinding], Bool) {
        let a = try analyze(source, directory: directory, depth: 0)
        return (a.format, a.findings, a.gaps.isEmpty)
    }

    /// Detects the format of `source` by content and analyses it; containers (compressed
    /// streams, zips, tars) are opened and their members analysed in turn, `depth` levels deep.
    func analyze(_ source: any RandomAccessSource, directory: String, depth: Int) throws(ArchiveError) -> Analysis {
        let head = try source.read(offset: 0, count: min(source.size, 512))
        func starts(_ s: [UInt8]) -> Bool { head.count >= s.count && Array(head.prefix(s.count)) == s }
        if head.isEmpty { return Analysis(format: "empty", gaps: ["empty file"]) }
        if depth > Self.maxContainerDepth {
            return Analysis(format: "nested", findings: [ScanFinding(severity: .high, rule: "container.too-deep", detail: "containers nested more than \(Self.maxContainerDepth) levels deep were not opened", offset: nil)])
        }
        if starts([0x50, 0x4b, 0x03, 0x04]) || starts([0x50, 0x4b, 0x05, 0x06]) || ZipArchive.looksLikeZip(source) {
            return try scanZip(source, depth: depth)
        }
        if let compressed = try scanCompressed(source, head: head, directory: directory, depth: depth) { return compressed }
        if LegacyTorchCheckpoint.matches(head) { return try scanLegacyTorch(source) }
        if starts([0x93] + Array("NUMPY".utf8)) {
            let all = try source.read(offset: 0, count: min(source.size, maxPickleBytes))
            let (f, c) = scanNpy(all, offsetBase: 0)
            return Analysis(format: "npy", findings: f, gaps: c ? [] : ["NPY file not fully analysed"])
        }
        if starts(Array("GGUF".utf8)) { return Analysis(format: "gguf", findings: Self.ggufFindings(source)) }
        if starts([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]) { return try Analysis(scanHDF5(source), unsupportedReason: "HDF5 file without a Keras model_config attribute (weights only or another program's data)") }
        if head.count >= 262, Array(head[257..<262]) == Array("ustar".utf8) { return try scanTar(source, depth: depth) }
        if head.count >= 9, head[8] == UInt8(ascii: "{") {
            return Analysis(format: "safetensors", findings: try safetensorsFindings(source))
        }
        if Self.looksLikePickle(head) {
            let bytes = try source.read(offset: 0, count: min(source.size, maxPickleBytes))
            let r = PickleAnalyzer.analyze(bytes)
            if head.first != 0x80, r.imports.isEmpty, !r.problems.isEmpty, r.endOffset < 1 << 20, Self.looksLikeText(head) {
                // Text that starts with a protocol-0 opcode letter: a pickle load fails at once
                // without importing or calling anything.
                return Analysis(format: "text", gaps: ["text file, not a pickle (pickle.load fails at offset \(r.endOffset) before importing anything)"])
            }
            var f = pickleFindings(r, offsetBase: 0, entry: nil)
            if source.size > maxPickleBytes { f.append(ScanFinding(severity: .medium, rule: "pickle.truncated-analysis", detail: "only the first \(maxPickleBytes) bytes were analysed", offset: nil)) }
            // A pickle with a zip behind it (a polyglot): zipfile-based loaders open the zip.
            var gaps: [String] = []
            if let zip = try scanPrefixedZip(source, head: head, depth: depth) {
                f += zip.findings.map { var x = $0; x.detail = "appended zip: " + x.detail; return x }
                gaps += zip.gaps
            }
            return Analysis(format: "pickle", findings: f, gaps: gaps)
        }
        if head.first == 0x08, source.size <= 2_000_000_000 {
            let bytes = try source.read(offset: 0, count: source.size)
            let savedModel: Result<SavedModelInfo, FormatError>
            do { savedModel = .success(try SavedModelInfo(bytes: bytes)) } catch { savedModel = .failure(error) }
            if case .success(let info) = savedModel { return Analysis(format: "tf-savedmodel", findings: savedModelFindings(info)) }
            if let info = try? OnnxModelInfo(bytes: bytes) { return Analysis(format: "onnx", findings: Self.onnxFindings(info)) }
            if case .failure(let e) = savedModel, head.count >= 3, head[1] == 1, head[2] == 0x12 {
                return Analysis(format: "tf-savedmodel", findings: [ScanFinding(severity: .high, rule: "tensorflow.malformed", detail: "SavedModel protobuf cannot be read: \(e.message)", offset: nil)])
            }
        }
        if let prefixed = try scanPrefixedZip(source, head: head, depth: depth) { return prefixed }
        if Self.looksLikeText(head) { return Analysis(format: "text", gaps: ["text file: no model format to analyse"]) }
        return Analysis(format: "unknown", gaps: ["format not recognised (no pickle, zip, tar, compression, NumPy, safetensors, GGUF, HDF5, ONNX or SavedModel signature)"])
    }

    /// Whether `head` reads as UTF-8 text (no NUL or other control bytes but tab, CR, LF, FF).
    static func looksLikeText(_ head: [UInt8]) -> Bool {
        guard !head.isEmpty, !head.contains(where: { $0 < 0x20 && $0 != 0x09 && $0 != 0x0a && $0 != 0x0d && $0 != 0x0c }) else { return false }
        // A multi-byte character may be cut at the end of the sample.
        var end = head.count
        while end > 0, head[end - 1] >= 0x80, head.count - end < 3 { end -= 1 }
        return String(validating: head[..<end], as: UTF8.self) != nil
    }

    static func looksLikePickle(_ head: [UInt8]) -> Bool {
        guard let first = head.first else { return false }
        if first == 0x80 { return head.count >= 2 && head[1] <= 5 }
        // protocol 0/1 streams start with one of these opcodes
        return Array("(cl]}d)NSVIi".utf8).contains(first) && head.count > 1
    }

    func pickleFindings(_ bytes: [UInt8], offsetBase: Int, entry: String?, torchScript: Bool = false) -> [ScanFinding] {
        pickleFindings(PickleAnalyzer.analyze(bytes), offsetBase: offsetBase, entry: entry, torchScript: torchScript)
    }

    /// Findings for an analysed pickle: each import or call classified by the policy.
    /// `torchScript`: the pickle is an entry of a TorchScript archive, whose `__torch__.*`
    /// classes are compiled from the archive's TorchScript code, never imported from Python.
    func pickleFindings(_ r: PickleAnalyzer.Result, offsetBase: Int, entry: String?, torchScript: Bool = false) -> [ScanFinding] {
        var findings: [ScanFinding] = []
        let prefix = entry.map { "\($0): " } ?? ""
        var seenUnknown = Set<String>()
        for c in r.imports {
            let full = "\(c.module).\(c.name)"
            if c.module == "?" {
                findings.append(ScanFinding(severity: .critical, rule: "pickle.computed-callable", detail: "\(prefix)\(c.opcode) calls a callable whose name is computed at load time", offset: offsetBase + c.offset,
                                            explanation: "built-in rule: a callable the pickle builds at load time cannot be checked before it runs"))
                continue
            }
            if torchScript, c.module == "__torch__" || c.module.hasPrefix("__torch__.") { continue }
            switch policy.classify(module: c.module, name: c.name) {
            case .safe: continue
            case .dangerous(let rule):
                findings.append(ScanFinding(severity: .critical, rule: "pickle.dangerous-callable", detail: "\(prefix)\(c.opcode) \(full): \(rule.reason)", offset: offsetBase + c.offset, explanation: rule.summary))
            case .unknown:
                guard seenUnknown.insert(full + c.opcode).inserted else { continue }
                findings.append(ScanFinding(severity: .medium, rule: "pickle.unknown-callable", detail: "\(prefix)\(c.opcode) \(full) is not on the allowlist", offset: offsetBase + c.offset,
                                            explanation: "no policy line names \(c.module) \(c.name.split(separator: ".").first.map(String.init) ?? c.name): callables not on the allowlist are unknown (suspicious), never clean; add a 'safe' line with --policy if you trust it"))
            }
        }
        for p in r.problems.prefix(5) {
            findings.append(ScanFinding(severity: .medium, rule: "pickle.malformed", detail: prefix + p, offset: nil,
                                        explanation: "built-in rule: a pickle the VM cannot run to its STOP opcode may confuse loaders and scanners"))
        }
        return findings
    }

    /// NPY: a malformed header or data of the wrong size is a finding; object arrays (`descr`
    /// 'O') hold a pickle after the header, found by text even when the header does not parse.
    func scanNpy(_ bytes: [UInt8], offsetBase: Int) -> ([ScanFinding], Bool) {
        // A buffer cut at maxPickleBytes has no known file size: check the header alone.
        var f = MalformedChecks.npy(prefix: bytes, fileSize: bytes.count < maxPickleBytes ? bytes.count : nil, offsetBase: offsetBase)
        guard let (start, headerLen) = NPYHeader.headerBounds(bytes), headerLen <= bytes.count - start else { return (f, true) }
        let header = String(decoding: bytes[start..<(start + headerLen)], as: UTF8.self)
        let isObject = header.contains("'|O'") || header.contains("'O'") || header.contains("\"|O\"")
        guard isObject else { return (f, true) }
        let payload = Array(bytes[(start + headerLen)...])
        f.append(ScanFinding(severity: .medium, rule: "npy.object-array", detail: "object array: loading it needs allow_pickle=True", offset: offsetBase + start + headerLen))
        f += pickleFindings(payload, offsetBase: offsetBase + start + headerLen, entry: nil)
        return (f, true)
    }

    func scanZip(_ source: any RandomAccessSource, depth: Int = 0) throws(ArchiveError) -> Analysis {
        let zip: ZipArchive
        do { zip = try ZipArchive(source: source, limits: ZipLimits(maxCompressionRatio: 200)) } catch {
            return Analysis(format: "zip", findings: [ScanFinding(severity: .high, rule: "zip.unreadable", detail: "hostile or broken zip: \(error.message)", offset: nil)])
        }
        var findings: [ScanFinding] = []
        for issue in zip.issues {
            let sev: ScanSeverity = switch issue.kind {
            case .pathTraversal, .absolutePath, .overlappingEntries: .critical
            case .leadingData: .low   // the leading bytes are analysed below
            default: .high
            }
            findings.append(ScanFinding(severity: sev, rule: "zip.\(issue.kind.rawValue)", detail: issue.message, offset: nil))
        }
        var format = "zip"
        let names = zip.entries.map(\.name)
        let isTorchScript = names.contains(where: { $0.hasSuffix("constants.pkl") }) && names.contains(where: { $0.contains("/code/") })
        if isTorchScript { format = "torchscript" }
        else if names.contains(where: { $0.hasSuffix("data.pkl") }) { format = "pytorch-zip" }
        else if names.contains("config.json") && names.contains(where: { $0.hasSuffix("metadata.json") }) { format = "keras" }
        else if !names.isEmpty && names.allSatisfy({ $0.hasSuffix(".npy") }) { format = "npz" }
        var gaps: [String] = []
        var sawAnalysable = false
        let bombs = Set(zip.issues.filter { $0.kind == .suspiciousCompressionRatio || $0.kind == .sizeBeyondLimit || $0.kind == .overlappingEntries }.compactMap(\.entry))
        for e in zip.entries where !e.isDirectory {
            guard e.isMethodSupported, !e.isEncrypted else {
                gaps.append("entry '\(e.name)' is \(e.isEncrypted ? "encrypted" : "compressed with an unsupported method")"); continue
            }
            // Never inflate an entry already reported as a bomb; its finding stands.
            guard !bombs.contains(e.name) else { gaps.append("entry '\(e.name)' not inflated (bomb)"); continue }
            // Tensor storages of PyTorch/TorchScript archives are raw bytes torch never unpickles.
            if format == "pytorch-zip" || format == "torchscript", Self.isTorchStorageEntry(e.name) { continue }
            let head: [UInt8]
            do { head = try zip.readPrefix(e, count: 512) } catch {
                findings.append(ScanFinding(severity: .high, rule: "zip.entry-unreadable", detail: "\(e.name): \(error.message)", offset: nil)); continue
            }
            let isPickleName = e.name.hasSuffix(".pkl") || e.name.hasSuffix(".pickle")
            let isNpy = head.starts(with: [0x93] + Array("NUMPY".utf8))
            let isKerasConfig = format == "keras" && e.name == "config.json"
            let isPickle = isPickleName || Self.looksLikePickle(head) && head.first == 0x80
            let isContainer = Self.looksLikeContainer(head)
            let isTorchScriptCode = isTorchScript && e.name.contains("/code/") && e.name.hasSuffix(".py")
            // In a generic zip every member is analysed like a file (a model of any format may sit
            // inside); in framework archives only what the framework's loader interprets.
            let isGenericMember = format == "zip" || format == "npz"
            guard isPickle || isNpy || isKerasConfig || isContainer || isTorchScriptCode || isGenericMember else { continue }
            sawAnalysable = true
            let data: [UInt8]
            do { data = try zip.read(e, maxBytes: maxPickleBytes) } catch {
                findings.append(ScanFinding(severity: .high, rule: "zip.entry-unreadable", detail: "\(e.name): \(error.message)", offset: nil)); continue
            }
            if isNpy {
                let (f, _) = scanNpy(data, offsetBase: 0)
                findings += f.map { var x = $0; x.detail = "\(e.name): " + x.detail; return x }
            } else if isKerasConfig {
                findings += Self.kerasConfigFindings(data, entry: e.name)
            } else if isTorchScriptCode {
                findings += TorchScriptCodeCheck.findings(data, entry: e.name)
            } else if isPickle && !isContainer {
                findings += pickleFindings(data, offsetBase: 0, entry: e.name, torchScript: isTorchScript)
            } else {
                // A container inside the archive (zip, tar, compressed stream): analysed in turn.
                let inner = try analyze(MemorySource(data, name: e.name), directory: ".", depth: depth + 1)
                findings += inner.findings.map { var x = $0; x.detail = "\(e.name) [\(inner.format)]: " + x.detail; return x }
                // Text members (README, JSON, licences) are not a gap; unknown binary members are.
                if inner.format != "text" { gaps += inner.gaps.map { "\(e.name): \($0)" } }
            }
        }
        if !sawAnalysable && format == "zip" { gaps.append("zip archive with no pickle, NumPy, Keras config or nested archive entry") }
        if zip.leadingBytes > 0 {
            // What precedes the archive is what a loader that sniffs the first bytes reads (torch.load
            // falls back to unpickling a file that does not start with a zip header).
            let lead = try source.read(offset: 0, count: min(zip.leadingBytes, maxPickleBytes))
            if Self.looksLikePickle(lead) {
                let r = PickleAnalyzer.analyze(lead)
                if lead.first == 0x80 || !r.imports.isEmpty || r.problems.isEmpty {
                    findings += pickleFindings(r, offsetBase: 0, entry: "leading bytes")
                }
            } else if Self.looksLikeContainer(lead) {
                let inner = try analyze(MemorySource(lead, name: "leading bytes"), directory: ".", depth: depth + 1)
                findings += inner.findings.map { var x = $0; x.detail = "leading bytes [\(inner.format)]: " + x.detail; return x }
            }
        }
        return Analysis(format: format, findings: findings, gaps: gaps)
    }

    /// `archive/data/0`, `archive/constants/3`: raw tensor bytes in a PyTorch or TorchScript zip.
    static func isTorchStorageEntry(_ name: String) -> Bool {
        let parts = name.split(separator: "/")
        guard parts.count >= 2, let last = parts.last, last.allSatisfy(\.isNumber) else { return false }
        return parts[parts.count - 2] == "data" || parts[parts.count - 2] == "constants"
    }

    /// Whether `head` starts a zip, tar or compressed stream (something to open and analyse).
    static func looksLikeContainer(_ head: [UInt8]) -> Bool {
        if head.starts(with: [0x50, 0x4b, 0x03, 0x04]) || head.starts(with: [0x50, 0x4b, 0x05, 0x06]) { return true }
        if head.count >= 262, Array(head[257..<262]) == Array("ustar".utf8) { return true }
        return Compression.sniff(head) != nil
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

    func scanTar(_ source: any RandomAccessSource, depth: Int = 0) throws(ArchiveError) -> Analysis {
        var findings: [ScanFinding] = []
        var gaps: [String] = []
        var off = 0
        var count = 0
        var sawTorchMembers = false
        while off + 512 <= source.size {
            guard count < 100_000 else { gaps.append("more than 100000 tar entries"); break }
            let h = try source.read(offset: off, count: 512)
            if h.allSatisfy({ $0 == 0 }) { break }
            count += 1
            let name = String(decoding: h[0..<100].prefix { $0 != 0 }, as: UTF8.self)
            if name == "sys_info" || name == "pickle" || name == "storages" { sawTorchMembers = true }
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
            if typeflag == 0x32 || typeflag == 0x31 {
                findings.append(ScanFinding(severity: .high, rule: "tar.link", detail: "entry '\(name)' is a \(typeflag == 0x32 ? "symbolic" : "hard") link; extracting it can overwrite files outside the archive", offset: off))
            }
            if typeflag == 0x30 || typeflag == 0 {
                let head = try source.read(offset: dataStart, count: min(size, 512))
                if Self.looksLikePickle(head) && head.first == 0x80 {
                    let data = try source.read(offset: dataStart, count: min(size, maxPickleBytes))
                    findings += pickleFindings(data, offsetBase: dataStart, entry: name)
                } else if Self.looksLikeContainer(head) || head.starts(with: [0x93] + Array("NUMPY".utf8)) {
                    guard size <= maxPickleBytes else { gaps.append("entry '\(name)' larger than \(maxPickleBytes) bytes not opened"); off = dataStart + (size + 511) / 512 * 512; continue }
                    let data = try source.read(offset: dataStart, count: size)
                    let inner = try analyze(MemorySource(data, name: name), directory: ".", depth: depth + 1)
                    findings += inner.findings.map { var x = $0; x.detail = "\(name) [\(inner.format)]: " + x.detail; return x }
                    gaps += inner.gaps.map { "\(name): \($0)" }
                }
            }
            off = dataStart + (size + 511) / 512 * 512
        }
        return Analysis(format: sawTorchMembers ? "pytorch-tar" : "tar", findings: findings, gaps: gaps)
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
