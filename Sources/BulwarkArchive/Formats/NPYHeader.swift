/// The header of a NumPy `.npy` file (format 1.0, 2.0, 3.0), parsed by a bounded parser of
/// the Python dict literal (never evaluated). The one parser of it: `BulwarkData`'s NPY reader
/// and `BulwarkSupplyChain`'s scanner both read headers through it and each decide what they
/// accept (the reader six dtypes in C order; the scanner any dtype, to size its data).
///
/// Layout: `\x93NUMPY`, major, minor, header length (u16 in 1.x, u32 in 2.x/3.x), the header
/// (`{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }` padded with spaces and a
/// newline), then the array data. `descr` is a type string (`<f4`, `|b1`, `<U5`, `<M8[ns]`,
/// `|O`) or a list of `(name, descr[, shape])` fields.
///
/// Parsing checks, as NumPy does: the magic, the version, the header length against
/// `maxHeaderBytes` and the bytes given, a dict with exactly the keys `descr`, `fortran_order`
/// (a bool) and `shape` (a tuple of non-negative integers), nothing but whitespace after it.
/// Literals nested deeper than ``maxDepth`` and integers beyond 64 bits are refused. Nothing
/// traps on any input.
///
/// ```swift
/// let bytes = try FileChecks.readRegularFile("x.npy", maxBytes: 1 << 30)
/// let h = try NPYHeader(prefix: bytes)
/// let layout = try h.elementLayout()   // item size, object or not
/// ```
package struct NPYHeader: Sendable, Equatable {
    /// Data size implied by the header.
    package enum DataSize: Sendable, Equatable {
        /// prod(shape) × itemsize.
        case bytes(Int)
        /// prod(shape) × itemsize does not fit in 64 bits.
        case overflow
        /// Object arrays (the data is a pickle) or a dtype whose size is not known.
        case unknown
    }

    /// Bytes per element and whether any field is an object (`O`, the data is a pickle).
    package struct ElementLayout: Sendable, Equatable {
        /// Bytes per element; nil for object arrays or a dtype whose size is not known.
        package var itemSize: Int?
        /// Whether any field has dtype `O`.
        package var isObject: Bool
        /// A layout.
        package init(itemSize: Int?, isObject: Bool) {
            self.itemSize = itemSize
            self.isObject = isObject
        }
    }

    /// Default largest header (NumPy refuses headers above 10 000 bytes unless told otherwise).
    package static let defaultMaxHeaderBytes = 1 << 20
    /// Deepest literal nesting parsed.
    package static let maxDepth = 16

    /// Format version.
    package var major: UInt8, minor: UInt8
    /// `descr` as written: a string, or a list of field tuples.
    package var descr: PythonLiteral
    /// `fortran_order`.
    package var fortranOrder: Bool
    /// `shape`, each dimension non-negative.
    package var shape: [Int]
    /// File offset of the array data (the end of the header).
    package var dataOffset: Int

    /// `descr` as text: the type string itself, or the field list as a Python literal.
    package var descrText: String {
        if case .string(let s) = descr { return s }
        return descr.description
    }

    /// Where the header text lies, (start, length), read from the preamble without checking
    /// the version; nil when `bytes` is too short to hold it.
    package static func headerBounds(_ bytes: [UInt8]) -> (start: Int, length: Int)? {
        guard bytes.count >= 10 else { return nil }
        if bytes[6] == 1 { return (10, Int(bytes[8]) | Int(bytes[9]) << 8) }
        guard bytes.count >= 12 else { return nil }
        return (12, Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24)
    }

    /// Parses the header at the start of `prefix` (the file, or at least its header).
    /// - Throws: ``ArchiveError`` `.malformed` (bad magic or literal; messages start `npy: `),
    ///   `.truncated` (the bytes end inside the preamble or header), `.unsupported` (a version
    ///   other than 1.0, 2.0, 3.0), `.limitExceeded` (a header above `maxHeaderBytes`).
    package init(prefix bytes: [UInt8], maxHeaderBytes: Int = NPYHeader.defaultMaxHeaderBytes) throws(ArchiveError) {
        guard bytes.count >= 6, bytes[0..<6].elementsEqual([0x93] + Array("NUMPY".utf8)) else {
            throw ArchiveError(.malformed, "npy: not an .npy file (missing \\x93NUMPY magic)")
        }
        guard bytes.count >= 8 else { throw ArchiveError(.truncated, "npy: file ends inside the preamble") }
        major = bytes[6]
        minor = bytes[7]
        guard (1...3).contains(major), minor == 0 else {
            throw ArchiveError(.unsupported, "npy: format version \(major).\(minor) is not 1.0, 2.0 or 3.0")
        }
        guard let (start, length) = Self.headerBounds(bytes) else {
            throw ArchiveError(.truncated, "npy: file ends inside the \(major == 1 ? 10 : 12)-byte preamble")
        }
        guard length <= maxHeaderBytes else {
            throw ArchiveError(.limitExceeded, "npy: header of \(length) bytes exceeds the limit of \(maxHeaderBytes)")
        }
        guard length <= bytes.count - start else {
            throw ArchiveError(.truncated, "npy: header of \(length) bytes runs past the end of the \(bytes.count) bytes given")
        }
        dataOffset = start + length
        var parser = PythonLiteralParser(bytes: Array(bytes[start..<dataOffset]), maxDepth: Self.maxDepth)
        guard case .dict(let entries) = try parser.value(depth: 0) else { throw ArchiveError(.malformed, "npy: header is not a dict literal") }
        try parser.expectEnd()
        var descrValue: PythonLiteral?, fortran: Bool?, shapeValue: PythonLiteral?
        for (key, value) in entries {
            switch key {
            case "descr": descrValue = value
            case "fortran_order":
                guard case .bool(let b) = value else { throw ArchiveError(.malformed, "npy: header field 'fortran_order' is not True or False") }
                fortran = b
            case "shape": shapeValue = value
            default: throw ArchiveError(.malformed, "npy: header has unknown key '\(key.prefix(40))'")
            }
        }
        guard let descrValue, let fortran, let shapeValue else {
            throw ArchiveError(.malformed, "npy: header misses one of 'descr', 'fortran_order', 'shape'")
        }
        guard case .tuple(let dims) = shapeValue else { throw ArchiveError(.malformed, "npy: header field 'shape' is not a tuple") }
        var shape: [Int] = []
        shape.reserveCapacity(dims.count)
        for d in dims {
            guard case .int(let n) = d, n >= 0 else {
                throw ArchiveError(.malformed, "npy: shape \(shapeValue) holds a negative or non-integer dimension")
            }
            shape.append(n)
        }
        self.shape = shape
        fortranOrder = fortran
        descr = descrValue
    }

    /// The item size and object-ness of `descr`, for any NumPy dtype (structured ones too).
    /// - Throws: ``ArchiveError`` `.malformed` for a descr that is no dtype, or sizes beyond 64 bits.
    package func elementLayout() throws(ArchiveError) -> ElementLayout {
        var object = false
        let size = try Self.itemSize(descr, isObject: &object, depth: 0)
        return ElementLayout(itemSize: object ? nil : size, isObject: object)
    }

    /// prod(shape) × `itemSize`, checked for overflow; `.unknown` when `itemSize` is nil.
    package func dataByteCount(itemSize: Int?) -> DataSize {
        guard let itemSize else { return .unknown }
        var n = itemSize
        for d in shape {
            let (m, o) = n.multipliedReportingOverflow(by: d)
            if o { return .overflow }
            n = m
        }
        return .bytes(n)
    }

    /// Bytes per element of a descr; nil when not sized (objects, unknown kinds).
    private static func itemSize(_ descr: PythonLiteral, isObject: inout Bool, depth: Int) throws(ArchiveError) -> Int? {
        guard depth < maxDepth else { throw ArchiveError(.malformed, "npy: descr nests deeper than \(maxDepth)") }
        switch descr {
        case .string(let s): return try typeStringSize(s, isObject: &isObject)
        case .list(let fields), .tuple(let fields):
            var total: Int? = 0
            for f in fields {
                let parts: [PythonLiteral]
                switch f { case .tuple(let p), .list(let p): parts = p; default: parts = [] }
                guard parts.count == 2 || parts.count == 3, case .string = parts[0] else {
                    throw ArchiveError(.malformed, "npy: descr field is not (name, type[, shape])")
                }
                var size = try itemSize(parts[1], isObject: &isObject, depth: depth + 1)
                if parts.count == 3 {
                    let sub: [PythonLiteral]
                    switch parts[2] {
                    case .tuple(let s), .list(let s): sub = s
                    case .int: sub = [parts[2]]
                    default: throw ArchiveError(.malformed, "npy: descr field shape is not a tuple")
                    }
                    for d in sub {
                        guard case .int(let n) = d, n >= 0 else {
                            throw ArchiveError(.malformed, "npy: descr field shape holds a negative or non-integer dimension")
                        }
                        if let s = size {
                            let (m, o) = s.multipliedReportingOverflow(by: n)
                            if o { throw ArchiveError(.malformed, "npy: descr field size overflows 64 bits") }
                            size = m
                        }
                    }
                }
                if let t = total, let s = size {
                    let (m, o) = t.addingReportingOverflow(s)
                    if o { throw ArchiveError(.malformed, "npy: descr size overflows 64 bits") }
                    total = m
                } else {
                    total = nil
                }
            }
            return total
        default:
            throw ArchiveError(.malformed, "npy: descr is neither a type string nor a field list")
        }
    }

    /// Bytes per element of a type string such as `<f4`, `|S10`, `<U3`, `<M8[ns]`, `|O`.
    private static func typeStringSize(_ s: String, isObject: inout Bool) throws(ArchiveError) -> Int? {
        var chars = Array(s.utf8)
        if let f = chars.first, "<>|=!".utf8.contains(f) { chars.removeFirst() }
        guard let kind = chars.first else { throw ArchiveError(.malformed, "npy: descr '\(s)' is empty") }
        var rest = Array(chars.dropFirst())
        if let bracket = rest.firstIndex(of: UInt8(ascii: "[")) {
            guard rest.last == UInt8(ascii: "]"), kind == UInt8(ascii: "M") || kind == UInt8(ascii: "m") else {
                throw ArchiveError(.malformed, "npy: descr '\(s)' is not a dtype")
            }
            rest = Array(rest[..<bracket])
        }
        var n: Int?
        if !rest.isEmpty {
            guard rest.count <= 12, rest.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
                throw ArchiveError(.malformed, "npy: descr '\(s)' is not a dtype")
            }
            n = Int(String(decoding: rest, as: UTF8.self))
        }
        switch kind {
        case UInt8(ascii: "O"): isObject = true; return nil
        case UInt8(ascii: "?"): return 1
        case UInt8(ascii: "b"), UInt8(ascii: "B"): return n ?? 1
        case UInt8(ascii: "i"), UInt8(ascii: "u"), UInt8(ascii: "f"), UInt8(ascii: "c"), UInt8(ascii: "M"), UInt8(ascii: "m"):
            guard let n, [1, 2, 4, 8, 10, 12, 16, 32].contains(n) else {
                throw ArchiveError(.malformed, "npy: descr '\(s)' has no valid item size")
            }
            return n
        case UInt8(ascii: "S"), UInt8(ascii: "a"), UInt8(ascii: "V"): return n ?? 0
        case UInt8(ascii: "U"): return (n ?? 0) * 4
        default: return nil
        }
    }
}
