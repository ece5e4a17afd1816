/// The header of a NumPy `.npy` file (format 1.0, 2.0, 3.0): dtype, memory order and shape,
/// read with a small bounded parser of the Python dict literal (never evaluated), and the
/// data size those imply.
///
/// Layout: `\x93NUMPY`, major, minor, header length (u16 in 1.x, u32 in 2.x/3.x), the header
/// (`{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }` padded with spaces and a
/// newline), then the array data. `descr` is a type string (`<f4`, `|b1`, `<U5`, `<M8[ns]`,
/// `|O`) or a list of `(name, descr[, shape])` fields. Headers above `maxHeaderBytes`, literals
/// nested deeper than `maxDepth` and integers beyond 64 bits throw `FormatError`.
///
/// `BulwarkData` has the full NPY reader; this one lives here because the scanner must not
/// depend on it (the two are to be unified).
///
/// ```swift
/// let h = try NpyHeader(prefix: bytes)
/// if case .bytes(let n) = h.dataByteCount, n > bytes.count - h.dataOffset { print("truncated") }
/// ```
struct NpyHeader: Sendable, Equatable {
    /// Data size implied by the header.
    enum DataSize: Sendable, Equatable {
        /// prod(shape) × itemsize.
        case bytes(Int)
        /// prod(shape) × itemsize does not fit in 64 bits.
        case overflow
        /// Object arrays (the data is a pickle) or a dtype this reader does not size.
        case unknown
    }

    /// Largest header read (NumPy refuses headers above 10 000 bytes by default).
    static let maxHeaderBytes = 1 << 20
    /// Deepest literal nesting parsed.
    static let maxDepth = 16

    var major: UInt8
    var minor: UInt8
    /// `descr` as written (a type string, or the field list's text).
    var descr: String
    var fortranOrder: Bool
    var shape: [Int]
    /// Bytes per element, nil for object arrays or an unsized dtype.
    var itemSize: Int?
    /// Whether any field has dtype `O` (the data is a pickle).
    var isObject: Bool
    /// File offset of the array data.
    var dataOffset: Int

    /// Where the header text lies: (start, length), nil when the prefix is too short for them.
    static func headerBounds(_ bytes: [UInt8]) -> (start: Int, length: Int)? {
        guard bytes.count >= 10 else { return nil }
        if bytes[6] == 1 { return (10, Int(bytes[8]) | Int(bytes[9]) << 8) }
        guard bytes.count >= 12 else { return nil }
        return (12, Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24)
    }

    /// Parses the header at the start of `prefix` (the file, or at least its header).
    init(prefix bytes: [UInt8]) throws(FormatError) {
        guard bytes.count >= 6, Array(bytes[0..<6]) == [0x93] + Array("NUMPY".utf8) else { throw FormatError("npy: magic is not \\x93NUMPY") }
        guard let (start, length) = Self.headerBounds(bytes) else { throw FormatError("npy: file ends inside the \(bytes.count >= 7 && bytes[6] > 1 ? 12 : 10)-byte preamble") }
        major = bytes[6]; minor = bytes[7]
        guard (1...3).contains(major), minor == 0 else { throw FormatError("npy: format version \(major).\(minor) is not 1.0, 2.0 or 3.0") }
        guard length <= Self.maxHeaderBytes else { throw FormatError("npy: header length \(length) above the \(Self.maxHeaderBytes)-byte limit") }
        guard length <= bytes.count - start else { throw FormatError("npy: header length \(length) runs past the \(bytes.count)-byte file") }
        dataOffset = start + length
        var p = PyLiteralParser(bytes: Array(bytes[start..<dataOffset]))
        guard case .dict(let entries) = try p.value(depth: 0) else { throw FormatError("npy: header is not a dict") }
        var descrValue: PyLiteral?, fortran: Bool?, shapeValue: PyLiteral?
        for (k, v) in entries {
            switch k {
            case "descr": descrValue = v
            case "fortran_order": guard case .bool(let b) = v else { throw FormatError("npy: fortran_order is not True or False") }; fortran = b
            case "shape": shapeValue = v
            default: throw FormatError("npy: header has an unexpected key '\(k)'")
            }
        }
        guard let descrValue, let fortran, case .sequence(let dims)? = shapeValue else {
            throw FormatError("npy: header lacks descr, fortran_order or a shape tuple")
        }
        var shape: [Int] = []
        for d in dims {
            guard case .int(let n) = d, n >= 0 else { throw FormatError("npy: shape \(shapeValue.map { "\($0)" } ?? "") holds a negative or non-integer dimension") }
            shape.append(n)
        }
        self.shape = shape
        fortranOrder = fortran
        var object = false
        itemSize = try Self.itemSize(descrValue, isObject: &object, depth: 0)
        isObject = object
        if case .string(let s) = descrValue { descr = s } else { descr = "\(descrValue)" }
    }

    /// prod(shape) × itemsize, checked for overflow.
    var dataByteCount: DataSize {
        guard !isObject, let itemSize else { return .unknown }
        var n = itemSize
        for d in shape {
            let (m, o) = n.multipliedReportingOverflow(by: d)
            if o { return .overflow }
            n = m
        }
        return .bytes(n)
    }

    /// Bytes per element of a descr; nil when not sized (objects, unknown kinds).
    private static func itemSize(_ descr: PyLiteral, isObject: inout Bool, depth: Int) throws(FormatError) -> Int? {
        guard depth < maxDepth else { throw FormatError("npy: descr nests deeper than \(maxDepth)") }
        switch descr {
        case .string(let s): return try typeStringSize(s, isObject: &isObject)
        case .sequence(let fields):
            var total: Int? = 0
            for f in fields {
                guard case .sequence(let parts) = f, parts.count == 2 || parts.count == 3, case .string = parts[0] else {
                    throw FormatError("npy: descr field is not (name, type[, shape])")
                }
                var size = try itemSize(parts[1], isObject: &isObject, depth: depth + 1)
                if parts.count == 3 {
                    let sub: [PyLiteral]
                    switch parts[2] { case .sequence(let s): sub = s; case .int: sub = [parts[2]]; default: throw FormatError("npy: descr field shape is not a tuple") }
                    for d in sub {
                        guard case .int(let n) = d, n >= 0 else { throw FormatError("npy: descr field shape holds a negative or non-integer dimension") }
                        if let s = size { let (m, o) = s.multipliedReportingOverflow(by: n); size = o ? nil : m; if o { throw FormatError("npy: descr field size overflows 64 bits") } }
                    }
                }
                if let t = total, let s = size { let (m, o) = t.addingReportingOverflow(s); if o { throw FormatError("npy: descr size overflows 64 bits") }; total = m } else { total = nil }
            }
            return total
        default:
            throw FormatError("npy: descr is neither a type string nor a field list")
        }
    }

    /// Bytes per element of a type string such as `<f4`, `|S10`, `<U3`, `<M8[ns]`, `|O`.
    private static func typeStringSize(_ s: String, isObject: inout Bool) throws(FormatError) -> Int? {
        var chars = Array(s.utf8)
        if let f = chars.first, "<>|=!".utf8.contains(f) { chars.removeFirst() }
        guard let kind = chars.first else { throw FormatError("npy: descr '\(s)' is empty") }
        var rest = Array(chars.dropFirst())
        if let bracket = rest.firstIndex(of: UInt8(ascii: "[")) {
            guard rest.last == UInt8(ascii: "]"), kind == UInt8(ascii: "M") || kind == UInt8(ascii: "m") else { throw FormatError("npy: descr '\(s)' is not a dtype") }
            rest = Array(rest[..<bracket])
        }
        var n: Int?
        if !rest.isEmpty {
            guard rest.count <= 12, rest.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { throw FormatError("npy: descr '\(s)' is not a dtype") }
            n = Int(String(decoding: rest, as: UTF8.self))
        }
        switch kind {
        case UInt8(ascii: "O"): isObject = true; return nil
        case UInt8(ascii: "?"): return 1
        case UInt8(ascii: "b"), UInt8(ascii: "B"): return n ?? 1
        case UInt8(ascii: "i"), UInt8(ascii: "u"), UInt8(ascii: "f"), UInt8(ascii: "c"), UInt8(ascii: "M"), UInt8(ascii: "m"):
            guard let n, [1, 2, 4, 8, 10, 12, 16, 32].contains(n) else { throw FormatError("npy: descr '\(s)' has no valid item size") }
            return n
        case UInt8(ascii: "S"), UInt8(ascii: "a"), UInt8(ascii: "V"): return n ?? 0
        case UInt8(ascii: "U"): return (n ?? 0) * 4
        default: return nil
        }
    }
}

/// The Python literals an `.npy` header uses.
enum PyLiteral: Sendable, Equatable, CustomStringConvertible {
    case string(String)
    case int(Int)
    case bool(Bool)
    case none
    /// A tuple or a list.
    case sequence([PyLiteral])
    case dict([(String, PyLiteral)])

    static func == (a: PyLiteral, b: PyLiteral) -> Bool { a.description == b.description }

    var description: String {
        switch self {
        case .string(let s): "'\(s)'"
        case .int(let n): String(n)
        case .bool(let b): b ? "True" : "False"
        case .none: "None"
        case .sequence(let items): "(" + items.map(\.description).joined(separator: ", ") + ")"
        case .dict(let entries): "{" + entries.map { "'\($0.0)': \($0.1)" }.joined(separator: ", ") + "}"
        }
    }
}

/// A recursive-descent parser of Python literals over bytes, with a depth bound.
struct PyLiteralParser {
    let bytes: [UInt8]
    var i = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    private mutating func skipSpace() {
        while i < bytes.count, [0x20, 0x09, 0x0a, 0x0d].contains(bytes[i]) { i += 1 }
    }

    private func fail(_ what: String) -> FormatError { FormatError("npy: header \(what) at byte \(i)") }

    mutating func value(depth: Int) throws(FormatError) -> PyLiteral {
        guard depth < NpyHeader.maxDepth else { throw fail("nests deeper than \(NpyHeader.maxDepth)") }
        skipSpace()
        guard i < bytes.count else { throw fail("ends early") }
        let c = bytes[i]
        switch c {
        case UInt8(ascii: "'"), UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "("), UInt8(ascii: "["):
            let close = c == UInt8(ascii: "(") ? UInt8(ascii: ")") : UInt8(ascii: "]")
            i += 1
            var items: [PyLiteral] = []
            while true {
                skipSpace()
                guard i < bytes.count else { throw fail("ends inside a sequence") }
                if bytes[i] == close { i += 1; return .sequence(items) }
                items.append(try value(depth: depth + 1))
                skipSpace()
                guard i < bytes.count else { throw fail("ends inside a sequence") }
                if bytes[i] == UInt8(ascii: ",") { i += 1 } else if bytes[i] != close { throw fail("expects ',' or a closing bracket") }
            }
        case UInt8(ascii: "{"):
            i += 1
            var entries: [(String, PyLiteral)] = []
            while true {
                skipSpace()
                guard i < bytes.count else { throw fail("ends inside the dict") }
                if bytes[i] == UInt8(ascii: "}") { i += 1; return .dict(entries) }
                let key = try string()
                skipSpace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw fail("expects ':'") }
                i += 1
                entries.append((key, try value(depth: depth + 1)))
                skipSpace()
                guard i < bytes.count else { throw fail("ends inside the dict") }
                if bytes[i] == UInt8(ascii: ",") { i += 1 } else if bytes[i] != UInt8(ascii: "}") { throw fail("expects ',' or '}'") }
            }
        case UInt8(ascii: "-"), 0x30...0x39: return .int(try integer())
        default:
            for (word, lit) in [("True", PyLiteral.bool(true)), ("False", .bool(false)), ("None", .none)] {
                let w = Array(word.utf8)
                if bytes.count - i >= w.count, Array(bytes[i..<(i + w.count)]) == w { i += w.count; return lit }
            }
            throw fail("has an unexpected character")
        }
    }

    private mutating func string() throws(FormatError) -> String {
        guard i < bytes.count, bytes[i] == UInt8(ascii: "'") || bytes[i] == UInt8(ascii: "\"") else { throw fail("expects a string") }
        let quote = bytes[i]
        i += 1
        var out: [UInt8] = []
        while i < bytes.count, bytes[i] != quote {
            if bytes[i] == UInt8(ascii: "\\") { i += 1; guard i < bytes.count else { break } }
            out.append(bytes[i]); i += 1
        }
        guard i < bytes.count else { throw fail("ends inside a string") }
        i += 1
        return String(decoding: out, as: UTF8.self)
    }

    private mutating func integer() throws(FormatError) -> Int {
        var negative = false
        if bytes[i] == UInt8(ascii: "-") { negative = true; i += 1 }
        var n = 0
        var digits = 0
        while i < bytes.count, bytes[i] >= 0x30, bytes[i] <= 0x39 {
            let (m, o1) = n.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(Int(bytes[i] - 0x30))
            guard !o1, !o2 else { throw fail("holds an integer beyond 64 bits") }
            n = a; digits += 1; i += 1
        }
        guard digits > 0 else { throw fail("has a '-' without digits") }
        if i < bytes.count, bytes[i] == UInt8(ascii: "L") { i += 1 }   // Python 2 long
        return negative ? -n : n
    }
}
