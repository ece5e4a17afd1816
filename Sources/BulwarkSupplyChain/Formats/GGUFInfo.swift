/// The header of a GGUF file (versions 1–3), read and checked the way ggml's loader does,
/// without loading tensor data.
///
/// Layout (ggml `docs/gguf.md`): magic `GGUF`, u32 version, tensor count and metadata count
/// (u32 in v1, u64 from v2), the metadata key/values (string key, u32 value type, value), the
/// tensor infos (name, u32 n_dims, dims (u32 in v1, u64 from v2), u32 ggml type, u64 offset),
/// padding to `general.alignment` (default 32), then the tensor data. Strings and arrays carry
/// their length (u32 in v1, u64 from v2); arrays can nest.
///
/// Bounded: reads go through `read(offset, count)` in 64 KiB windows, so only the header region
/// is touched; every length is checked against the bytes that remain before it is used, array
/// byte sizes are checked for overflow, arrays nest at most `maxDepth` deep, the stored keys,
/// names and short strings are capped at `maxStoredBytes`. Whatever stops the walk (a length
/// past the end of the file, an unknown value type, more than 4 dimensions) throws
/// `FormatError`; whatever a loader would refuse or misread but does not stop the walk (a
/// dimension product or byte size that overflows 64 bits, an unknown or removed ggml type, a
/// row not divisible by the block size, a misaligned offset, data past the end of the file,
/// overlapping tensors, duplicate keys or names, a bad `general.alignment`) is one line of
/// `problems`.
///
/// ```swift
/// let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: "model.gguf")))
/// let info = try GGUFInfo(size: bytes.count) { o, n in Array(bytes[o..<o + n]) }
/// print(info.version, info.tensors.count, info.problems)
/// ```
struct GGUFInfo: Sendable, Equatable {
    /// A metadata value. Long strings and arrays are described, not kept.
    enum Value: Sendable, Equatable {
        case unsigned(UInt64)
        case signed(Int64)
        case float(Double)
        case bool(Bool)
        case string(String)
        /// A string longer than `maxKeptString` bytes: only its length.
        case longString(length: UInt64)
        /// An array: its element type code and element count.
        case array(elementType: UInt32, count: UInt64)
    }

    /// One tensor info.
    struct Tensor: Sendable, Equatable {
        var name: String
        /// Dimensions, fastest-varying first (ggml `ne`).
        var dims: [UInt64]
        /// ggml type code.
        var ggmlType: UInt32
        /// Offset relative to the start of the data section.
        var offset: UInt64
        /// Bytes of data, nil when the type is unknown or the size overflows.
        var byteSize: Int64?
    }

    /// Deepest array nesting walked.
    static let maxDepth = 8
    /// ggml's GGML_MAX_DIMS.
    static let maxDims = 4
    /// ggml's GGML_MAX_NAME: a tensor name must be shorter.
    static let maxNameBytes = 64
    /// Default `general.alignment`.
    static let defaultAlignment = 32
    /// Largest alignment ggml accepts (1 MiB).
    static let maxAlignment = 1 << 20
    /// Longest string value kept in `metadata`.
    static let maxKeptString = 1024
    /// Cap on key, name and string bytes kept in memory.
    static let maxStoredBytes = 64 << 20
    /// Cap on tensors and on metadata entries.
    static let maxEntries = 1_000_000

    /// (block size, bytes per block) of each ggml type a GGUF file may hold, from ggml's
    /// type traits (gguf-py `GGML_QUANT_SIZES`).
    static let ggmlTypes: [UInt32: (name: String, block: Int64, bytes: Int64)] = [
        0: ("F32", 1, 4), 1: ("F16", 1, 2), 2: ("Q4_0", 32, 18), 3: ("Q4_1", 32, 20),
        6: ("Q5_0", 32, 22), 7: ("Q5_1", 32, 24), 8: ("Q8_0", 32, 34), 9: ("Q8_1", 32, 40),
        10: ("Q2_K", 256, 84), 11: ("Q3_K", 256, 110), 12: ("Q4_K", 256, 144), 13: ("Q5_K", 256, 176),
        14: ("Q6_K", 256, 210), 15: ("Q8_K", 256, 292), 16: ("IQ2_XXS", 256, 66), 17: ("IQ2_XS", 256, 74),
        18: ("IQ3_XXS", 256, 98), 19: ("IQ1_S", 256, 50), 20: ("IQ4_NL", 32, 18), 21: ("IQ3_S", 256, 110),
        22: ("IQ2_S", 256, 82), 23: ("IQ4_XS", 256, 136), 24: ("I8", 1, 1), 25: ("I16", 1, 2),
        26: ("I32", 1, 4), 27: ("I64", 1, 8), 28: ("F64", 1, 8), 29: ("IQ1_M", 256, 56),
        30: ("BF16", 1, 2), 34: ("TQ1_0", 256, 54), 35: ("TQ2_0", 256, 66), 39: ("MXFP4", 32, 17),
        40: ("NVFP4", 64, 36),
    ]
    /// Types removed from GGUF files (Q4_2, Q4_3, the repacked Q4_0_x_x and IQ4_NL_x_x).
    static let removedTypes: Set<UInt32> = [4, 5, 31, 32, 33, 36, 37, 38]
    /// Types newer than this table whose layout is still changing: accepted, size not checked.
    static let unsizedTypes: Set<UInt32> = [41, 42]

    /// Format version (1–3).
    var version: UInt32 = 0
    /// Whether the file is big-endian (version read byte-swapped).
    var bigEndian = false
    /// Declared counts.
    var tensorCount: UInt64 = 0
    var metadataCount: UInt64 = 0
    /// Metadata keys in file order.
    var keys: [String] = []
    /// Metadata values by key (first occurrence).
    var metadata: [String: Value] = [:]
    /// Alignment used for the data section (`general.alignment` when valid, else 32).
    var alignment = GGUFInfo.defaultAlignment
    /// File offset of the data section.
    var dataStart = 0
    var tensors: [Tensor] = []
    /// What a loader would refuse or misread, one line each.
    var problems: [String] = []

    /// Reads the header of a file of `size` bytes through `read(offset, count)`, which returns
    /// nil when the bytes cannot be read.
    init(size: Int, read: @escaping (Int, Int) -> [UInt8]?) throws(FormatError) {
        var c = GGUFCursor(size: size, read: read)
        let magic = try c.bytes(4, "magic")
        guard magic == Array("GGUF".utf8) else { throw FormatError("gguf: magic is not 'GGUF'") }
        var v = try c.u32("version")
        if !(1...3).contains(v), (1...3).contains(v.byteSwapped) { bigEndian = true; c.bigEndian = true; v = v.byteSwapped }
        guard (1...3).contains(v) else { throw FormatError("gguf: version \(v) is not 1–3") }
        version = v
        let wide = v >= 2
        tensorCount = try wide ? c.u64("tensor_count") : UInt64(c.u32("tensor_count"))
        metadataCount = try wide ? c.u64("metadata_kv_count") : UInt64(c.u32("metadata_kv_count"))
        // every entry takes at least 13 (key/value) or 20 (tensor info) bytes
        let minKV: UInt64 = wide ? 13 : 9, minTensor: UInt64 = wide ? 24 : 20
        guard metadataCount <= UInt64(c.remaining) / minKV else {
            throw FormatError("gguf: metadata_kv_count \(metadataCount) cannot fit in the \(c.remaining) bytes that remain")
        }
        guard tensorCount <= UInt64(c.remaining) / minTensor else {
            throw FormatError("gguf: tensor_count \(tensorCount) cannot fit in the \(c.remaining) bytes that remain")
        }
        guard metadataCount <= UInt64(Self.maxEntries), tensorCount <= UInt64(Self.maxEntries) else {
            throw FormatError("gguf: \(tensorCount) tensors / \(metadataCount) metadata entries exceed the limit of \(Self.maxEntries)")
        }
        var stored = 0
        for i in 0..<Int(metadataCount) {
            let keyLength = try c.length("metadata key \(i) length", wide: wide)
            if keyLength > 65_535 { note("metadata key \(i) is \(keyLength) bytes long (the limit is 65535)") }
            stored += Int(keyLength)
            guard stored <= Self.maxStoredBytes else { throw FormatError("gguf: metadata keys exceed \(Self.maxStoredBytes) bytes") }
            let key = String(decoding: try c.bytes(Int(keyLength), "metadata key \(i)"), as: UTF8.self)
            let type = try c.u32("type of '\(key)'")
            let value = try readValue(&c, type: type, key: key, depth: 0, wide: wide, stored: &stored)
            if metadata[key] != nil {
                note("metadata key '\(key)' appears twice (ggml refuses the file; other readers keep either value)")
            } else {
                metadata[key] = value
            }
            keys.append(key)
        }
        if let a = metadata["general.alignment"] {
            if case .unsigned(let n) = a, metadataTypes["general.alignment"] == 4 {
                if n == 0 || n & (n - 1) != 0 || n > UInt64(Self.maxAlignment) {
                    note("general.alignment \(n) is not a power of two ≤ \(Self.maxAlignment)")
                } else { alignment = Int(n) }
            } else {
                note("general.alignment has value type \(metadataTypes["general.alignment"] ?? 0), not uint32 (ggml asserts uint32 and aborts)")
            }
        }
        var names = Set<String>()
        for i in 0..<Int(tensorCount) {
            let nameLength = try c.length("tensor \(i) name length", wide: wide)
            stored += Int(nameLength)
            guard stored <= Self.maxStoredBytes else { throw FormatError("gguf: tensor names exceed \(Self.maxStoredBytes) bytes") }
            let name = String(decoding: try c.bytes(Int(nameLength), "tensor \(i) name"), as: UTF8.self)
            if nameLength >= UInt64(Self.maxNameBytes) { note("tensor \(i) name is \(nameLength) bytes (ggml allows < \(Self.maxNameBytes))") }
            if !names.insert(name).inserted { note("tensor name '\(name)' appears twice") }
            let nDims = try c.u32("n_dims of '\(name)'")
            guard nDims <= UInt32(Self.maxDims) else {
                throw FormatError("gguf: tensor '\(name)' has n_dims \(nDims), above GGML_MAX_DIMS \(Self.maxDims)")
            }
            var dims: [UInt64] = []
            for j in 0..<Int(nDims) { dims.append(try wide ? c.u64("dim \(j) of '\(name)'") : UInt64(c.u32("dim \(j) of '\(name)'"))) }
            let type = try c.u32("type of '\(name)'")
            let offset = try c.u64("offset of '\(name)'")
            tensors.append(Tensor(name: name, dims: dims, ggmlType: type, offset: offset, byteSize: byteSize(name: name, dims: dims, type: type)))
        }
        let end = c.position
        let padded = end.addingReportingOverflow((alignment - end % alignment) % alignment)
        dataStart = padded.overflow ? Int.max : padded.partialValue
        checkPlacement(fileSize: size)
    }

    /// Most problems kept.
    static let maxProblems = 1000

    private mutating func note(_ problem: String) {
        if problems.count < Self.maxProblems { problems.append(problem) }
    }

    /// Value types of the keys read so far (first occurrence).
    private var metadataTypes: [String: UInt32] = [:]

    private mutating func readValue(_ c: inout GGUFCursor, type: UInt32, key: String, depth: Int, wide: Bool, stored: inout Int) throws(FormatError) -> Value {
        if depth == 0, metadataTypes[key] == nil { metadataTypes[key] = type }
        switch type {
        case 0: return .unsigned(UInt64(try c.uint(1, "'\(key)'")))
        case 1: return .signed(Int64(Int8(truncatingIfNeeded: try c.uint(1, "'\(key)'"))))
        case 2: return .unsigned(try c.uint(2, "'\(key)'"))
        case 3: return .signed(Int64(Int16(truncatingIfNeeded: try c.uint(2, "'\(key)'"))))
        case 4: return .unsigned(try c.uint(4, "'\(key)'"))
        case 5: return .signed(Int64(Int32(truncatingIfNeeded: try c.uint(4, "'\(key)'"))))
        case 6: return .float(Double(Float(bitPattern: UInt32(truncatingIfNeeded: try c.uint(4, "'\(key)'")))))
        case 7:
            let b = try c.uint(1, "'\(key)'")
            if b > 1 { note("bool '\(key)' holds \(b), not 0 or 1") }
            return .bool(b != 0)
        case 8:
            let n = try c.length("string length of '\(key)'", wide: wide)
            guard n <= UInt64(Self.maxKeptString) else { try c.skip(n, "string '\(key)'"); return .longString(length: n) }
            stored += Int(n)
            guard stored <= Self.maxStoredBytes else { throw FormatError("gguf: metadata strings exceed \(Self.maxStoredBytes) bytes") }
            return .string(String(decoding: try c.bytes(Int(n), "string '\(key)'"), as: UTF8.self))
        case 9:
            guard depth < Self.maxDepth else { throw FormatError("gguf: array '\(key)' nests deeper than \(Self.maxDepth)") }
            let elementType = try c.u32("array type of '\(key)'")
            let count = try wide ? c.u64("array length of '\(key)'") : UInt64(c.u32("array length of '\(key)'"))
            if let width = Self.fixedWidth(elementType) {
                let (total, overflow) = count.multipliedReportingOverflow(by: width)
                guard !overflow else { throw FormatError("gguf: array '\(key)' of \(count) × \(width)-byte elements overflows 64 bits") }
                try c.skip(total, "array '\(key)' (\(count) × \(width) bytes)")
            } else if elementType == 8 || elementType == 9 {
                if elementType == 9 && depth == 0 { note("array '\(key)' holds arrays (the spec allows it; ggml's loader refuses it)") }
                let minimum: UInt64 = elementType == 8 ? (wide ? 8 : 4) : (wide ? 12 : 8)
                guard count <= UInt64(c.remaining) / minimum else {
                    throw FormatError("gguf: array '\(key)' declares \(count) elements; \(c.remaining) bytes remain")
                }
                for _ in 0..<count {
                    if elementType == 8 { try c.skip(try c.length("string length in array '\(key)'", wide: wide), "string in array '\(key)'") }
                    else { _ = try readValue(&c, type: 9, key: key, depth: depth + 1, wide: wide, stored: &stored) }
                }
            } else {
                throw FormatError("gguf: array '\(key)' has unknown element type \(elementType)")
            }
            return .array(elementType: elementType, count: count)
        case 10: return .unsigned(try c.uint(8, "'\(key)'"))
        case 11: return .signed(Int64(bitPattern: try c.uint(8, "'\(key)'")))
        case 12: return .float(Double(bitPattern: try c.uint(8, "'\(key)'")))
        default: throw FormatError("gguf: metadata '\(key)' has unknown value type \(type)")
        }
    }

    /// Bytes of one element of a fixed-width value type, nil for string, array and unknown.
    static func fixedWidth(_ type: UInt32) -> UInt64? {
        switch type {
        case 0, 1, 7: 1
        case 2, 3: 2
        case 4, 5, 6: 4
        case 10, 11, 12: 8
        default: nil
        }
    }

    /// Byte size of a tensor as ggml computes it (ne / block × bytes per block); records what
    /// the loader would refuse.
    private mutating func byteSize(name: String, dims: [UInt64], type: UInt32) -> Int64? {
        var count: Int64 = 1
        var overflow = false
        for (j, d) in dims.enumerated() {
            guard d <= UInt64(Int64.max) else { note("tensor '\(name)' dim \(j) = \(d) is negative as int64"); return nil }
            let (m, o) = count.multipliedReportingOverflow(by: Int64(d))
            if o { overflow = true } else { count = m }
        }
        if overflow {
            note("tensor '\(name)' dims \(dims) hold more than 2^63 elements (the product overflows 64 bits)")
            return nil
        }
        if Self.unsizedTypes.contains(type) { return nil }
        guard let t = Self.ggmlTypes[type] else {
            note("tensor '\(name)' has \(Self.removedTypes.contains(type) ? "removed" : "unknown") ggml type \(type)")
            return nil
        }
        let rowLength = dims.first.map { Int64($0) } ?? 1
        guard rowLength % t.block == 0 else {
            note("tensor '\(name)' of type \(t.name) has \(rowLength) elements per row, not a multiple of its block size \(t.block)")
            return nil
        }
        let (bytes, o) = (count / t.block).multipliedReportingOverflow(by: t.bytes)
        guard !o else {
            note("tensor '\(name)' dims \(dims) of \(t.name) need more than 2^63 bytes")
            return nil
        }
        return bytes
    }

    /// Offsets aligned, data inside the file, tensors not overlapping.
    private mutating func checkPlacement(fileSize: Int) {
        guard !tensors.isEmpty else { return }
        guard dataStart <= fileSize else {
            note("the data section starts at \(dataStart), past the end of the \(fileSize)-byte file")
            return
        }
        let dataSize = UInt64(fileSize - dataStart)
        var placed: [(begin: UInt64, end: UInt64, name: String)] = []
        for t in tensors {
            if t.offset % UInt64(alignment) != 0 { note("tensor '\(t.name)' offset \(t.offset) is not a multiple of the alignment \(alignment)") }
            guard let size = t.byteSize else { continue }
            let (end, o) = t.offset.addingReportingOverflow(UInt64(size))
            if o || end > dataSize {
                note("tensor '\(t.name)' data \(t.offset)..<\(o ? "2^64+" : String(end)) runs past the \(dataSize)-byte data section (file offset \(dataStart))")
                continue
            }
            if size > 0 { placed.append((t.offset, end, t.name)) }
        }
        placed.sort { ($0.begin, $0.end) < ($1.begin, $1.end) }
        var previous: (end: UInt64, name: String)?
        for p in placed {
            if let prev = previous, p.begin < prev.end {
                note("tensor '\(p.name)' bytes \(p.begin)..<\(p.end) overlap tensor '\(prev.name)' (ends at \(prev.end))")
                if problems.count >= Self.maxProblems { break }
            }
            if p.end > previous?.end ?? 0 { previous = (p.end, p.name) }
        }
    }
}

/// A forward reader over `read(offset, count)` that keeps a 64 KiB window and checks every
/// length against the bytes that remain.
private struct GGUFCursor {
    let size: Int
    let read: (Int, Int) -> [UInt8]?
    var bigEndian = false
    private(set) var position = 0
    private var window: [UInt8] = []
    private var windowStart = 0
    static let chunk = 1 << 16

    init(size: Int, read: @escaping (Int, Int) -> [UInt8]?) { self.size = size; self.read = read }

    var remaining: Int { max(0, size - position) }

    /// `n` bytes at the position; throws when they run past the file or cannot be read.
    mutating func bytes(_ n: Int, _ field: String) throws(FormatError) -> [UInt8] {
        guard n >= 0, n <= remaining else {
            throw FormatError("gguf: \(field) needs \(n) bytes at offset \(position); \(remaining) remain")
        }
        if n == 0 { return [] }
        if position < windowStart || position + n > windowStart + window.count {
            let count = min(max(n, Self.chunk), size - position)
            guard let w = read(position, count), w.count == count else { throw FormatError("gguf: cannot read \(field) at offset \(position)") }
            window = w; windowStart = position
        }
        let from = position - windowStart
        position += n
        return Array(window[from..<(from + n)])
    }

    /// Moves past `n` bytes without reading them.
    mutating func skip(_ n: UInt64, _ field: String) throws(FormatError) {
        guard n <= UInt64(remaining) else {
            throw FormatError("gguf: \(field) declares \(n) bytes at offset \(position); \(remaining) remain")
        }
        position += Int(n)
    }

    /// An unsigned integer of `width` bytes in the file's byte order.
    mutating func uint(_ width: Int, _ field: String) throws(FormatError) -> UInt64 {
        let b = try bytes(width, field)
        var v: UInt64 = 0
        for i in 0..<width { v |= UInt64(b[bigEndian ? width - 1 - i : i]) << (8 * UInt64(i)) }
        return v
    }

    mutating func u32(_ field: String) throws(FormatError) -> UInt32 { UInt32(truncatingIfNeeded: try uint(4, field)) }
    mutating func u64(_ field: String) throws(FormatError) -> UInt64 { try uint(8, field) }

    /// A string or array length (u64 from v2, u32 in v1) that must fit in the bytes that remain.
    mutating func length(_ field: String, wide: Bool) throws(FormatError) -> UInt64 {
        let at = position
        let n = try wide ? u64(field) : UInt64(u32(field))
        guard n <= UInt64(remaining) else {
            throw FormatError("gguf: \(field) at offset \(at) is \(n), larger than the \(remaining) bytes that remain")
        }
        return n
    }
}
