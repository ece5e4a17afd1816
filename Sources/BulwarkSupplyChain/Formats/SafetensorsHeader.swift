import Foundation

/// The header of a safetensors file, read and checked without touching tensor data.
///
/// Layout: 8-byte little-endian header length N, N bytes of JSON mapping tensor names to
/// `{dtype, shape, data_offsets: [begin, end]}` (plus an optional `__metadata__` map of
/// strings), then the data area. `problems` lists every structural issue found (header
/// length beyond the file, unknown dtype, offsets that overlap, leave gaps or run past the
/// file, a byte size that disagrees with dtype × shape); a header with no problems is
/// well-formed, which says nothing about the weights' provenance.
///
/// ```swift
/// let h = try SafetensorsHeader(prefix: first8PlusHeader, fileSize: size)
/// print(h.tensors.count, h.parameterCount ?? -1, h.problems)
/// ```
struct SafetensorsHeader: Sendable, Equatable {
    /// One tensor entry.
    struct Tensor: Sendable, Equatable {
        var name: String
        var dtype: String
        var shape: [Int]
        /// Byte range relative to the start of the data area.
        var begin: Int
        var end: Int
        /// Product of shape (nil on overflow).
        var elementCount: Int?
    }

    /// Largest header accepted (the reference implementation uses 100 MB).
    static let maxHeaderBytes = 100_000_000
    /// Bytes per element of each dtype the format defines.
    static let dtypeSizes: [String: Int] = [
        "BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "I16": 2, "U16": 2, "F16": 2,
        "BF16": 2, "I32": 4, "U32": 4, "F32": 4, "F64": 8, "I64": 8, "U64": 8,
    ]

    /// Declared header length.
    var headerLength: Int
    /// Tensors sorted by begin offset.
    var tensors: [Tensor]
    /// `__metadata__` entries.
    var metadata: [String: String]
    /// Structural problems, one line each.
    var problems: [String]

    /// Sum of element counts (nil if unknown).
    var parameterCount: Int? {
        var total = 0
        for t in tensors {
            guard let c = t.elementCount else { return nil }
            let (s, o) = total.addingReportingOverflow(c)
            if o { return nil }
            total = s
        }
        return total
    }

    /// Reads the declared header length from the first 8 bytes; throws when it is not a
    /// plausible safetensors length for a file of `fileSize` bytes.
    static func headerLength(first8: [UInt8], fileSize: Int) throws(FormatError) -> Int {
        guard first8.count >= 8 else { throw FormatError("safetensors: file shorter than 8 bytes") }
        var n: UInt64 = 0
        for i in 0..<8 { n |= UInt64(first8[i]) << (8 * UInt64(i)) }
        guard n <= UInt64(maxHeaderBytes) else { throw FormatError("safetensors: header length \(n) above the 100 MB limit") }
        guard Int(n) <= fileSize - 8 else { throw FormatError("safetensors: header length \(n) runs past the end of the \(fileSize)-byte file") }
        return Int(n)
    }

    /// A JSON number that is an integer in 0...Int64.max, else nil (fractions, booleans, numbers
    /// beyond 64 bits, which Foundation would otherwise clamp, wrap or read as 0).
    static func wholeNumber(_ value: Any) -> Int64? {
        guard let n = value as? NSNumber, !String(describing: type(of: value)).contains("Boolean") else { return nil }
        let i = n.int64Value
        guard i >= 0, n.stringValue == String(i) else { return nil }
        return i
    }

    /// Parses `header` (the JSON bytes after the 8-byte length) for a file of `fileSize` bytes.
    init(header: [UInt8], fileSize: Int) throws(FormatError) {
        headerLength = header.count
        guard header.first == UInt8(ascii: "{") else { throw FormatError("safetensors: header does not start with '{'") }
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: Data(header), options: []) } catch {
            throw FormatError("safetensors: header is not valid JSON")
        }
        guard let dict = object as? [String: Any] else { throw FormatError("safetensors: header is not a JSON object") }
        var tensors: [Tensor] = []
        var problems: [String] = []
        var metadata: [String: String] = [:]
        let dataSize = fileSize - 8 - header.count
        for (name, value) in dict {
            if name == "__metadata__" {
                if let m = value as? [String: Any] {
                    for (k, v) in m {
                        if let s = v as? String { metadata[k] = s } else { problems.append("__metadata__ value '\(k)' is not a string") }
                    }
                } else { problems.append("__metadata__ is not an object") }
                continue
            }
            guard let entry = value as? [String: Any],
                  let dtype = entry["dtype"] as? String,
                  let shapeAny = entry["shape"] as? [Any],
                  let offsAny = entry["data_offsets"] as? [Any], offsAny.count == 2 else {
                problems.append("tensor '\(name)': missing or malformed dtype/shape/data_offsets")
                continue
            }
            var shape: [Int] = []
            var count: Int? = 1
            var shapeValid = true
            for d in shapeAny {
                guard let n = Self.wholeNumber(d) else {
                    problems.append("tensor '\(name)': shape holds \(d), not an integer in 0...2^63-1"); count = nil; shapeValid = false; break
                }
                shape.append(Int(n))
                if let c = count { let (m, o) = c.multipliedReportingOverflow(by: Int(n)); count = o ? nil : m }
            }
            if shapeValid && count == nil { problems.append("tensor '\(name)': shape \(shape) holds more than 2^63 elements (the product overflows 64 bits)") }
            guard let b = Self.wholeNumber(offsAny[0]), let e = Self.wholeNumber(offsAny[1]), e >= b else {
                problems.append("tensor '\(name)': data_offsets \(offsAny) are not integers 0 ≤ begin ≤ end < 2^63"); continue
            }
            if let size = Self.dtypeSizes[dtype] {
                if let c = count {
                    let (bytes, o) = c.multipliedReportingOverflow(by: size)
                    if o || Int64(bytes) != e - b { problems.append("tensor '\(name)': \(e - b) bytes but \(dtype)\(shape) needs \(o ? "more than 2^63 (dtype size × elements overflows 64 bits)" : String(bytes))") }
                }
            } else { problems.append("tensor '\(name)': unknown dtype '\(dtype)'") }
            if e > Int64(dataSize) { problems.append("tensor '\(name)': data_offsets end \(e) runs past the \(dataSize)-byte data area") }
            tensors.append(Tensor(name: name, dtype: dtype, shape: shape, begin: Int(b), end: Int(e), elementCount: count))
        }
        tensors.sort { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        var cursor = 0
        for t in tensors {
            if t.begin < cursor { problems.append("tensor '\(t.name)': bytes \(t.begin)..<\(t.end) overlap the previous tensor") }
            else if t.begin > cursor { problems.append("gap of \(t.begin - cursor) bytes before tensor '\(t.name)'") }
            cursor = max(cursor, t.end)
        }
        if cursor < dataSize && problems.count < 1000 { problems.append("\(dataSize - cursor) trailing bytes after the last tensor") }
        self.tensors = tensors
        self.metadata = metadata
        self.problems = problems
    }
}
