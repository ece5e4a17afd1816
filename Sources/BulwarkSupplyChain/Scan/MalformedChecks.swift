import BulwarkArchive

/// "Malformed is a finding": each format's structure checked with the arithmetic its loader
/// uses — sizes and shapes that overflow 64 bits, offsets that overlap or run past the file,
/// lengths larger than the file, data shorter than its shape — because such a file can crash a
/// loader or make two loaders read different tensors.
///
/// Every finding is `high`, rule `<format>.malformed`, detail `malformed: can crash or confuse
/// loaders — <field, value, limit>`; the one exception is NPY data followed by extra bytes
/// (`npy.trailing-data`, low), which loaders ignore. At most `maxFindings` per file.
///
/// ```swift
/// let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: "model.gguf")))
/// let findings = MalformedChecks.gguf(size: bytes.count) { o, n in Array(bytes[o..<o + n]) }
/// ```
enum MalformedChecks {
    /// Most malformed findings reported for one file.
    static let maxFindings = 20

    /// A `<format>.malformed` finding.
    static func finding(_ format: String, _ what: String, offset: Int? = nil) -> ScanFinding {
        ScanFinding(severity: .high, rule: "\(format).malformed", detail: "malformed: can crash or confuse loaders — \(what)", offset: offset)
    }

    /// Strips the reader's "format: " prefix from an error message.
    private static func text(_ e: FormatError, _ format: String) -> String {
        e.message.hasPrefix(format + ": ") ? String(e.message.dropFirst(format.count + 2)) : e.message
    }

    /// Strips the shared reader's "format: " prefix from an error message.
    private static func text(_ e: ArchiveError, _ format: String) -> String {
        e.message.hasPrefix(format + ": ") ? String(e.message.dropFirst(format.count + 2)) : e.message
    }

    /// GGUF header: every key/value, tensor info and tensor placement (`GGUFInfo`).
    static func gguf(size: Int, read: @escaping (Int, Int) -> [UInt8]?) -> [ScanFinding] {
        do {
            let info = try GGUFInfo(size: size, read: read)
            return info.problems.prefix(maxFindings).map { finding("gguf", $0) }
        } catch {
            return [finding("gguf", text(error, "gguf"))]
        }
    }

    /// NPY header and data size: prod(shape) × itemsize must equal the bytes after the header.
    /// `fileSize` nil (only a prefix was read) checks the header alone.
    static func npy(prefix: [UInt8], fileSize: Int?, offsetBase: Int = 0) -> [ScanFinding] {
        let h: NPYHeader, layout: NPYHeader.ElementLayout
        do {
            h = try NPYHeader(prefix: prefix, maxHeaderBytes: NPYHeader.defaultMaxHeaderBytes)
            layout = try h.elementLayout()
        } catch {
            return [finding("npy", text(error, "npy"), offset: offsetBase)]
        }
        guard let fileSize else { return [] }
        let present = fileSize - h.dataOffset
        switch h.dataByteCount(itemSize: layout.itemSize) {
        case .unknown: return []
        case .overflow:
            return [finding("npy", "shape \(h.shape) × \(layout.itemSize ?? 0)-byte '\(h.descrText)' elements overflows 64 bits", offset: offsetBase)]
        case .bytes(let needed):
            if needed > present {
                return [finding("npy", "truncated data: shape \(h.shape) of '\(h.descrText)' needs \(needed) bytes, \(present) follow the header", offset: offsetBase + h.dataOffset)]
            }
            if needed < present {
                return [ScanFinding(severity: .low, rule: "npy.trailing-data", detail: "\(present - needed) bytes follow the \(needed) bytes of array data; loaders ignore them", offset: offsetBase + h.dataOffset + needed)]
            }
            return []
        }
    }

    /// ONNX initializers: dims non-negative, byte size within 64 bits, stored data (raw_data or
    /// the typed field) as long as the dims say. External and segmented tensors are not sized.
    static func onnx(info: OnnxModelInfo) -> [ScanFinding] {
        var f: [ScanFinding] = []
        for t in info.initializers where f.count < maxFindings {
            if let problem = onnxProblem(t) { f.append(finding("onnx", "initializer '\(t.name)': \(problem)")) }
        }
        return f
    }

    /// Bits per element of each `TensorProto.DataType` (STRING has none).
    static let onnxBits: [Int32: Int] = [
        1: 32, 2: 8, 3: 8, 4: 16, 5: 16, 6: 32, 7: 64, 9: 8, 10: 16, 11: 64, 12: 32, 13: 64,
        14: 64, 15: 128, 16: 16, 17: 8, 18: 8, 19: 8, 20: 8, 21: 4, 22: 4, 23: 4, 24: 8, 25: 2, 26: 2,
    ]

    /// Bytes of `elements` values of `dataType` in raw_data (sub-byte types packed, rounded up);
    /// nil for STRING, unknown types and on overflow.
    static func onnxByteSize(elements n: Int64, dataType: Int32) -> Int64? {
        guard let bits = onnxBits[dataType] else { return nil }
        if bits >= 8 {
            let (b, o) = n.multipliedReportingOverflow(by: Int64(bits / 8))
            return o ? nil : b
        }
        let perByte = Int64(8 / bits)
        return n / perByte + (n % perByte == 0 ? 0 : 1)
    }

    /// The typed field a data type is stored in and how many elements one value holds.
    static func onnxTypedField(_ dataType: Int32) -> (field: UInt64, name: String, perValue: Int) {
        switch dataType {
        case 1, 14: (4, "float_data", 1)     // COMPLEX64: two values per element (the caller doubles)
        case 8: (6, "string_data", 1)
        case 7: (7, "int64_data", 1)
        case 11, 15: (10, "double_data", 1)
        case 12, 13: (11, "uint64_data", 1)
        case 21, 22, 23: (5, "int32_data", 2)
        case 25, 26: (5, "int32_data", 4)
        default: (5, "int32_data", 1)
        }
    }

    private static func onnxProblem(_ t: OnnxModelInfo.Tensor) -> String? {
        for (i, d) in t.dims.enumerated() where d < 0 { return "dims[\(i)] = \(d) is negative" }
        guard let n = t.elementCount else { return "dims \(t.dims) hold more than 2^63 elements (the product overflows 64 bits)" }
        let isString = t.dataType == 8
        guard isString || onnxBits[t.dataType] != nil else { return "data_type \(t.dataType) is not a TensorProto data type" }
        let rawBytes = onnxByteSize(elements: n, dataType: t.dataType)
        if onnxBits[t.dataType] != nil, rawBytes == nil {
            return "dims \(t.dims) of data_type \(t.dataType) need more than 2^63 bytes (the byte size overflows 64 bits)"
        }
        guard t.externalLocation == nil, !t.isExternal, !t.hasSegment else { return nil }
        if let raw = t.rawDataBytes {
            if isString { return "a STRING tensor holds raw_data" }
            if !t.typedFields.isEmpty { return "holds both raw_data and typed data; loaders pick different ones" }
            let needed = rawBytes ?? 0
            if Int64(raw) != needed { return "raw_data holds \(raw) bytes, dims \(t.dims) of data_type \(t.dataType) need \(needed)" }
            return nil
        }
        let expected = onnxTypedField(t.dataType)
        if t.typedFields.isEmpty {
            return n == 0 ? nil : "holds no data, dims \(t.dims) need \(n) elements"
        }
        if t.typedFields != [expected.field] {
            return "data_type \(t.dataType) belongs in \(expected.name) but the tensor uses fields \(t.typedFields)"
        }
        guard let count = t.typedValueCount else { return "\(expected.name) is packed with a length that does not divide into whole values" }
        let valuesNeeded = t.dataType == 14 || t.dataType == 15 ? n * 2 : (n + Int64(expected.perValue) - 1) / Int64(expected.perValue)
        if Int64(count) != valuesNeeded { return "\(expected.name) holds \(count) values, dims \(t.dims) need \(valuesNeeded)" }
        return nil
    }

    /// safetensors: the 8-byte header length and every tensor entry (`SafetensorsHeader`):
    /// no name given twice, dtype known, shape product × dtype size within 64 bits and equal to
    /// the offsets' span, offsets ordered, not overlapping, leaving no gap, inside the file.
    static func safetensors<E: Error>(fileSize: Int, read: (Int, Int) throws(E) -> [UInt8]) throws(E) -> [ScanFinding] {
        let first8 = try read(0, min(8, fileSize))
        let n: Int
        do { n = try SafetensorsHeader.headerLength(first8: first8, fileSize: fileSize) } catch {
            return [finding("safetensors", text(error, "safetensors"), offset: 0)]
        }
        let bytes = try read(8, n)
        do {
            let header = try SafetensorsHeader(header: bytes, fileSize: fileSize)
            return header.problems.prefix(maxFindings).map { finding("safetensors", $0.message) }
        } catch {
            return [finding("safetensors", text(error, "safetensors"), offset: 8)]
        }
    }
}
