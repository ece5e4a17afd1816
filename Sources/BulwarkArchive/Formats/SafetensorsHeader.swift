/// The header of a safetensors file, read and checked without touching tensor data: the one
/// parser of it, shared by `BulwarkModels`' loader (which refuses a file with any problem) and
/// `BulwarkSupplyChain`'s scanner (which reports every problem as a finding).
///
/// Layout: 8-byte little-endian header length N (at most ``maxHeaderBytes``), N bytes of JSON
/// starting with `{` that map tensor names to `{dtype, shape, data_offsets: [begin, end]}`
/// (plus an optional `__metadata__` map of strings), then the data area.
///
/// A header that is not a JSON object throws. Everything else wrong is a ``Problem``, in the
/// order found (entries in document order, then the data layout in offset order): a name given
/// twice, a field missing, repeated or of the wrong type, an integer that is negative or beyond
/// 63 bits, begin > end, an unknown dtype, a byte span that disagrees with dtype × shape (or
/// overflows 64 bits), tensors that overlap, leave gaps, run past the data area or stop short
/// of its end. A header without problems is well-formed, which says nothing about the weights'
/// provenance. At most ``maxProblems`` are kept.
///
/// ```swift
/// let bytes = try FileChecks.readRegularFile("model.safetensors", maxBytes: 1 << 30)
/// let n = try SafetensorsHeader.headerLength(first8: Array(bytes.prefix(8)), fileSize: bytes.count)
/// let h = try SafetensorsHeader(header: Array(bytes[8..<(8 + n)]), fileSize: bytes.count)
/// print(h.tensors.count, h.parameterCount ?? -1, h.problems.map(\.message))
/// ```
package struct SafetensorsHeader: Sendable, Equatable {
    /// One tensor entry whose fields parsed (its size and placement may still be problems).
    package struct Tensor: Sendable, Equatable {
        /// The tensor's name.
        package var name: String
        /// The dtype as spelled in the file (`F32`, `BF16`, …), known or not.
        package var dtype: String
        /// The shape, each dimension in 0...Int.max.
        package var shape: [Int]
        /// Byte range relative to the start of the data area.
        package var dataOffsets: Range<Int>
        /// Product of the shape; nil on overflow.
        package var elementCount: Int?
        /// Names of fields other than `dtype`, `shape`, `data_offsets`, in document order.
        package var extraFields: [String]
    }

    /// Something wrong with the header that does not stop it from being read.
    package struct Problem: Sendable, Equatable, CustomStringConvertible {
        /// What kind of problem, for callers that treat one differently.
        package enum Kind: Sendable, Equatable {
            /// A dtype the format does not define (carried: the tensor and the dtype).
            case unknownDtype(tensor: String, dtype: String)
            /// Any other problem.
            case structure
        }

        /// The kind.
        package var kind: Kind
        /// One line naming the tensor or field and what was expected (not prefixed by the format).
        package var message: String
        /// The message.
        package var description: String { message }
    }

    /// Largest header accepted (the reference implementation's limit).
    package static let maxHeaderBytes = 100_000_000
    /// Deepest JSON nesting accepted (a header needs 3).
    package static let maxDepth = 8
    /// Most problems kept.
    package static let maxProblems = 1000
    /// Bytes per element of each dtype the format defines.
    package static let dtypeSizes: [String: Int] = [
        "BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "I16": 2, "U16": 2, "F16": 2,
        "BF16": 2, "I32": 4, "U32": 4, "F32": 4, "F64": 8, "I64": 8, "U64": 8,
    ]

    /// Length of the JSON header in bytes.
    package var headerLength: Int
    /// File offset of the first data byte (8 + header length).
    package var dataStart: Int { 8 + headerLength }
    /// Entries sorted by data offset (then name).
    package var tensors: [Tensor]
    /// The `__metadata__` map; nil when the file has none (or `null`).
    package var metadata: [String: String]?
    /// Problems found, in order; empty for a well-formed header.
    package var problems: [Problem]

    /// Sum of element counts (nil if one is unknown or the sum overflows).
    package var parameterCount: Int? {
        var total = 0
        for t in tensors {
            guard let c = t.elementCount else { return nil }
            let (s, o) = total.addingReportingOverflow(c)
            if o { return nil }
            total = s
        }
        return total
    }

    /// Reads the declared header length from the first 8 bytes of a file of `fileSize` bytes.
    /// - Throws: ``ArchiveError`` `.truncated` when there are fewer than 8 bytes or the header
    ///   runs past the file, `.limitExceeded` above ``maxHeaderBytes`` (messages start `safetensors: `).
    package static func headerLength(first8: [UInt8], fileSize: Int) throws(ArchiveError) -> Int {
        guard first8.count >= 8, fileSize >= 8 else {
            throw ArchiveError(.truncated, "safetensors: file of \(fileSize) bytes is shorter than the 8-byte header length")
        }
        var n: UInt64 = 0
        for i in 0..<8 { n |= UInt64(first8[i]) << (8 * UInt64(i)) }
        guard n <= UInt64(maxHeaderBytes) else {
            throw ArchiveError(.limitExceeded, "safetensors: header length \(n) exceeds the limit of \(maxHeaderBytes) bytes")
        }
        guard Int(n) <= fileSize - 8 else {
            throw ArchiveError(.truncated, "safetensors: header length \(n) runs past the end of the \(fileSize)-byte file")
        }
        return Int(n)
    }

    /// Parses `header` (the JSON bytes after the 8-byte length) of a file of `fileSize` bytes.
    /// - Throws: ``ArchiveError`` `.malformed` when the header does not start with `{`, is not
    ///   valid JSON (nesting deeper than ``maxDepth`` included) or is not an object.
    package init(header: [UInt8], fileSize: Int) throws(ArchiveError) {
        headerLength = header.count
        let json: JSONValue
        do { json = try JSONParser.parse(header, maxDepth: Self.maxDepth, maxBytes: Self.maxHeaderBytes) } catch {
            throw ArchiveError(.malformed, "safetensors: header is not valid JSON (\(error.description))")
        }
        guard case .object(let members) = json else { throw ArchiveError(.malformed, "safetensors: header is not a JSON object") }
        // The reference implementation refuses whitespace before the object too.
        guard header.first == UInt8(ascii: "{") else { throw ArchiveError(.malformed, "safetensors: header does not start with '{'") }
        var problems: [Problem] = []
        func problem(_ message: String, _ kind: Problem.Kind = .structure) {
            if problems.count < Self.maxProblems { problems.append(Problem(kind: kind, message: message)) }
        }
        var tensors: [Tensor] = []
        var metadata: [String: String]?
        var names = Set<String>()
        for member in members {
            guard names.insert(member.key).inserted else { problem("key '\(member.key)' appears twice in the header"); continue }
            if member.key == "__metadata__" {
                metadata = Self.metadata(member.value, problem: { problem($0) })
            } else if let t = Self.tensor(named: member.key, member.value, problem: problem) {
                tensors.append(t)
            }
        }
        // The data must tile [0, data size) exactly, in offset order.
        tensors.sort { ($0.dataOffsets.lowerBound, $0.dataOffsets.upperBound, $0.name) < ($1.dataOffsets.lowerBound, $1.dataOffsets.upperBound, $1.name) }
        let dataSize = fileSize - 8 - header.count
        var cursor = 0
        for t in tensors {
            if t.dataOffsets.lowerBound < cursor {
                problem("tensor '\(t.name)' data \(t.dataOffsets) overlaps the previous tensor (ending at \(cursor))")
            } else if t.dataOffsets.lowerBound > cursor {
                problem("gap before tensor '\(t.name)' (data starts at \(t.dataOffsets.lowerBound), previous ends at \(cursor))")
            }
            if t.dataOffsets.upperBound > dataSize {
                problem("tensor '\(t.name)': data_offsets end \(t.dataOffsets.upperBound) runs past the data area (the file holds \(dataSize) data bytes)")
            }
            cursor = max(cursor, t.dataOffsets.upperBound)
        }
        if cursor < dataSize { problem("tensor data ends at \(cursor) but the file holds \(dataSize) data bytes (\(dataSize - cursor) trailing)") }
        self.tensors = tensors
        self.metadata = metadata
        self.problems = problems
    }

    /// The `__metadata__` map: `null`, or an object of strings with no name repeated.
    private static func metadata(_ value: JSONValue, problem: (String) -> Void) -> [String: String]? {
        if value == .null { return nil }
        guard case .object(let pairs) = value else { problem("__metadata__ is not an object of strings"); return nil }
        var map: [String: String] = [:]
        for pair in pairs {
            guard case .string(let s) = pair.value else { problem("__metadata__ value of '\(pair.key)' is not a string"); continue }
            if map.updateValue(s, forKey: pair.key) != nil { problem("__metadata__ key '\(pair.key)' appears twice") }
        }
        return map
    }

    /// One tensor entry, or nil (after reporting why) when its fields do not parse.
    private static func tensor(named name: String, _ value: JSONValue, problem: (String, Problem.Kind) -> Void) -> Tensor? {
        func fail(_ message: String) -> Tensor? { problem("tensor '\(name)': \(message)", .structure); return nil }
        guard case .object(let fields) = value else { return fail("entry is not an object") }
        var dtype: String?, shape: [Int]?, offsets: [Int]?
        var extra: [String] = []
        for field in fields {
            switch field.key {
            case "dtype":
                guard dtype == nil else { return fail("dtype given twice") }
                guard case .string(let s) = field.value else { return fail("dtype is not a string") }
                dtype = s
            case "shape", "data_offsets":
                guard (field.key == "shape" ? shape : offsets) == nil else { return fail("\(field.key) given twice") }
                guard case .array(let items) = field.value else { return fail("\(field.key) is not an array") }
                var ints: [Int] = []
                ints.reserveCapacity(items.count)
                for item in items {
                    guard let n = nonNegativeInt(item) else {
                        return fail("\(field.key) holds \(excerpt(item)), not a non-negative integer below 2^63")
                    }
                    ints.append(n)
                }
                if field.key == "shape" { shape = ints } else { offsets = ints }
            default:
                extra.append(field.key)
            }
        }
        guard let dtype, let shape, let offsets else { return fail("entry lacks one of dtype, shape, data_offsets") }
        guard offsets.count == 2, offsets[0] <= offsets[1] else { return fail("data_offsets must be [begin, end] with 0 ≤ begin ≤ end") }
        var count: Int? = 1
        for d in shape {
            if let c = count {
                let (p, o) = c.multipliedReportingOverflow(by: d)
                count = o ? nil : p
            }
        }
        let span = offsets[1] - offsets[0]
        if let size = dtypeSizes[dtype] {
            let (bytes, overflow) = (count ?? 0).multipliedReportingOverflow(by: size)
            if count == nil || overflow {
                problem("tensor '\(name)': shape \(shape) of \(dtype) overflows 64 bits (dtype size × elements)", .structure)
            } else if bytes != span {
                problem("tensor '\(name)': shape \(shape) of \(dtype) needs \(bytes) bytes but data_offsets span \(span)", .structure)
            }
        } else {
            problem("tensor '\(name)': unknown dtype '\(dtype)'", .unknownDtype(tensor: name, dtype: dtype))
        }
        return Tensor(name: name, dtype: dtype, shape: shape, dataOffsets: offsets[0]..<offsets[1], elementCount: count, extraFields: extra)
    }

    /// A JSON number written as plain digits that fits in `Int`.
    private static func nonNegativeInt(_ value: JSONValue) -> Int? {
        guard case .number(let text) = value, !text.isEmpty, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        return Int(text)
    }

    /// A short rendering of a value for a message.
    private static func excerpt(_ value: JSONValue) -> String {
        let text = String(decoding: JSONWriter.encode(value, style: .compact), as: UTF8.self)
        return text.count > 40 ? String(text.prefix(40)) + "…" : text
    }
}
