import BulwarkArchive

/// The layout of a legacy (non-zip) `torch.save` checkpoint, `_use_new_zipfile_serialization=False`:
/// five pickles — the magic number `0x1950a86a20f9469cfc6c`, the protocol version, `sys_info`,
/// the object itself (tensors as persistent ids `('storage', torch.XStorage, key, location,
/// numel, …)`), and the sorted list of storage keys — then, for each key in that order, an
/// 8-byte little-endian element count followed by the storage's raw bytes. `torch.load` reads
/// the raw bytes itself and never unpickles them, so the scanner analyses the five pickles and
/// streams past the storages, checking every size the way the loader does.
enum LegacyTorchCheckpoint {
    /// `PROTO 2`, `LONG1 10`, then the magic number's ten little-endian bytes.
    static let prefix: [UInt8] = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19]

    /// Whether `head` starts like a legacy checkpoint.
    static func matches(_ head: [UInt8]) -> Bool { head.starts(with: prefix) }

    /// Bytes per element of a legacy storage type, or nil for an unknown type.
    static func elementSize(_ typeName: String) -> Int? {
        switch typeName {
        case "DoubleStorage", "LongStorage", "ComplexFloatStorage": 8
        case "FloatStorage", "IntStorage", "QInt32Storage": 4
        case "HalfStorage", "BFloat16Storage", "ShortStorage": 2
        case "CharStorage", "ByteStorage", "BoolStorage", "QInt8Storage", "QUInt8Storage", "QUInt4x2Storage", "QUInt2x4Storage": 1
        case "ComplexDoubleStorage": 16
        default: nil
        }
    }
}

extension ArtifactScanner {
    /// Analyses a legacy `torch.save` checkpoint of any size: the pickles whole, the storages
    /// by their 8-byte headers only (see ``LegacyTorchCheckpoint``).
    func scanLegacyTorch(_ source: any RandomAccessSource) throws(ArchiveError) -> Analysis {
        // The pickles hold no tensor data; read a window that grows until all five end inside it.
        var window = min(source.size, 16 << 20)
        var result: PickleAnalyzer.Result
        while true {
            let bytes = try source.read(offset: 0, count: window)
            result = PickleAnalyzer.analyze(bytes, pickles: 5)
            let ranOut = result.endOffset >= bytes.count && (result.pickleCount < 5 || !result.problems.isEmpty)
            guard ranOut, window < source.size, window < maxPickleBytes else { break }
            window = min(source.size, maxPickleBytes, window * 4)
        }
        var findings = pickleFindings(result, offsetBase: 0, entry: nil)
        func malformed(_ what: String, _ offset: Int?) {
            findings.append(ScanFinding(severity: .high, rule: "pytorch.malformed", detail: "malformed: can crash or confuse loaders — \(what)", offset: offset,
                                        explanation: "built-in check: a legacy torch.save file is five pickles then, per storage key, an 8-byte element count and the raw bytes"))
        }
        guard result.pickleCount == 5, result.problems.isEmpty else {
            if result.problems.isEmpty { malformed("legacy checkpoint has \(result.pickleCount) of its 5 pickles", result.endOffset) }
            return Analysis(format: "pytorch-legacy", findings: findings)
        }
        guard let keys = result.resultStrings else {
            malformed("the fifth pickle is not the list of storage keys", result.endOffset)
            return Analysis(format: "pytorch-legacy", findings: findings)
        }
        var offset = result.endOffset
        for key in keys {
            guard let storage = result.storages[key] else { malformed("storage key '\(key.prefix(64))' is not referenced by the checkpoint", offset); break }
            guard let size = LegacyTorchCheckpoint.elementSize(storage.typeName) else { malformed("storage '\(key.prefix(64))' has unknown type \(storage.typeName)", offset); break }
            guard offset <= source.size - 8 else { malformed("storage '\(key.prefix(64))' header runs past the end of the file", offset); break }
            let header = try source.read(offset: offset, count: 8)
            var count: UInt64 = 0
            for i in 0..<8 { count |= UInt64(header[i]) << (8 * UInt64(i)) }
            guard count == UInt64(max(0, storage.count)) else {
                malformed("storage '\(key.prefix(64))' holds \(count) elements but the checkpoint declares \(storage.count)", offset); break
            }
            let (bytes, overflow) = storage.count.multipliedReportingOverflow(by: size)
            guard !overflow, bytes <= source.size - offset - 8 else { malformed("storage '\(key.prefix(64))' (\(storage.count) × \(size) bytes) runs past the end of the file", offset); break }
            offset += 8 + bytes
        }
        if findings.isEmpty, offset < source.size {
            findings.append(ScanFinding(severity: .medium, rule: "pytorch.trailing-data", detail: "\(source.size - offset) bytes after the last storage are never read by torch.load", offset: offset,
                                        explanation: "built-in check: data past the last storage has no purpose in a checkpoint and can smuggle a payload to other readers"))
        }
        return Analysis(format: "pytorch-legacy", findings: findings)
    }
}
