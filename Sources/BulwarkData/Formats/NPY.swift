/// NumPy `.npy` files: reading (format versions 1.0, 2.0 and 3.0; little- and big-endian;
/// `float32`, `float64`, `int64`, `int32`, `uint8`, `bool`) and writing (little-endian,
/// byte-identical to `numpy.save` for those dtypes).
///
/// The header, a Python dict literal, is parsed by a small bounded parser — never evaluated.
/// Fortran-order arrays and object arrays (`|O`, which hold pickles) are refused, never
/// converted or unpickled.
///
/// ```swift
/// let array = try NPY.read(path: "x.npy")
/// try NPY.write(NDArray(tensor), path: "y.npy")
/// ```
public enum NPY {
    /// The largest header accepted, in bytes (NumPy itself refuses headers above 10 000 bytes
    /// by default).
    public static let maxHeaderBytes = 65_536

    /// Decodes the bytes of an `.npy` file.
    /// - Parameters:
    ///   - bytes: the whole file.
    ///   - label: names the file in error messages.
    /// - Throws: ``DataError`` naming the field that is wrong.
    public static func decode(_ bytes: [UInt8], label: String = "array.npy") throws(DataError) -> NDArray {
        let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // \x93NUMPY
        guard bytes.count >= 10, Array(bytes[0..<6]) == magic else {
            throw DataError(.malformed, "\(label): not an .npy file (missing \\x93NUMPY magic)")
        }
        let major = bytes[6], minor = bytes[7]
        let headerLength: Int, headerStart: Int
        switch (major, minor) {
        case (1, 0):
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        case (2, 0), (3, 0):
            guard bytes.count >= 12 else { throw DataError(.malformed, "\(label): header length field is cut short") }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            headerStart = 12
        default:
            throw DataError(.unsupported, "\(label): .npy format version \(major).\(minor) (1.0, 2.0 and 3.0 are supported)")
        }
        guard headerLength <= maxHeaderBytes else {
            throw DataError(.limitExceeded, "\(label): header of \(headerLength) bytes exceeds the limit of \(maxHeaderBytes)")
        }
        guard headerLength <= bytes.count - headerStart else {
            throw DataError(.malformed, "\(label): header of \(headerLength) bytes runs past the end of the file")
        }
        let headerBytes = Array(bytes[headerStart..<(headerStart + headerLength)])
        let header = try NPYHeader.parse(headerBytes, label: label)
        let dataStart = headerStart + headerLength
        guard let count = NDArray.elementCount(header.shape) else {
            throw DataError(.malformed, "\(label): shape \(header.shape) is invalid or too large")
        }
        let (needed, overflow) = count.multipliedReportingOverflow(by: header.dtype.itemSize)
        let available = bytes.count - dataStart
        guard !overflow, needed <= available else {
            throw DataError(.malformed, "\(label): shape \(header.shape) of \(header.dtype.rawValue) needs \(overflow ? "too many" : String(needed)) data bytes, file has \(available)")
        }
        guard needed == available else {
            throw DataError(.malformed, "\(label): \(available - needed) unexpected bytes after the array data")
        }
        let storage = ElementCodec.decode(bytes, offset: dataStart, count: count, dtype: header.dtype, bigEndian: header.bigEndian)
        return try NDArray(shape: header.shape, storage: storage)
    }

    /// The bytes of an `.npy` file holding `array`: version 1.0 (2.0 if the header needs it),
    /// little-endian, C order, header padded to 64 bytes exactly as `numpy.save` does.
    public static func encode(_ array: NDArray) -> [UInt8] {
        let descr: String = switch array.dtype {
        case .float32: "<f4"
        case .float64: "<f8"
        case .int64: "<i8"
        case .int32: "<i4"
        case .uint8: "|u1"
        case .bool: "|b1"
        }
        let shapeText: String = switch array.shape.count {
        case 0: "()"
        case 1: "(\(array.shape[0]),)"
        default: "(" + array.shape.map(String.init).joined(separator: ", ") + ")"
        }
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shapeText), }"
        // NumPy leaves room for the first axis to grow to 21 digits.
        if let first = array.shape.first { header += String(repeating: " ", count: max(0, 21 - String(first).count)) }
        var bytes = Array(header.utf8)
        let unpadded = bytes.count + 1
        var prefixLength = 10
        var padding = 64 - (prefixLength + unpadded) % 64
        var version: UInt8 = 1
        if unpadded + padding > 0xFFFF {
            version = 2
            prefixLength = 12
            padding = 64 - (prefixLength + unpadded) % 64
        }
        bytes += [UInt8](repeating: 0x20, count: padding) + [0x0A]
        let n = bytes.count
        var out: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, version, 0]
        out += version == 1 ? [UInt8(n & 0xff), UInt8(n >> 8)]
                            : [UInt8(n & 0xff), UInt8((n >> 8) & 0xff), UInt8((n >> 16) & 0xff), UInt8((n >> 24) & 0xff)]
        out += bytes
        out += ElementCodec.encodeLittleEndian(array.storage)
        return out
    }

    /// Reads the `.npy` file at `path` (at most `maxBytes` bytes).
    public static func read(path: String, maxBytes: Int = 4 << 30) throws(DataError) -> NDArray {
        try decode(FileIO.read(path, maxBytes: maxBytes), label: path)
    }

    /// Writes `array` to `path` atomically (temporary file, then rename).
    public static func write(_ array: NDArray, path: String) throws(DataError) {
        try FileIO.writeAtomically(encode(array), to: path)
    }
}

/// The three fields of an `.npy` header.
struct NPYHeader {
    var dtype: DType
    var bigEndian: Bool
    var shape: [Int]

    /// Parses `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }` (keys in any
    /// order, either quote style, trailing commas) without evaluating anything.
    static func parse(_ bytes: [UInt8], label: String) throws(DataError) -> NPYHeader {
        var lexer = PythonLiteralLexer(bytes: bytes)
        func fail(_ what: String) -> DataError { DataError(.malformed, "\(label): header \(what)") }
        guard lexer.next() == .punct(UInt8(ascii: "{")) else { throw fail("is not a dict literal") }
        var descr: String?, fortran: Bool?, shape: [Int]?
        loop: while true {
            let keyToken = lexer.next()
            let key: String
            switch keyToken {
            case .punct(UInt8(ascii: "}")): break loop
            case .string(let s): key = s
            default: throw fail("has a non-string key")
            }
            guard lexer.next() == .punct(UInt8(ascii: ":")) else { throw fail("misses ':' after '\(key)'") }
            switch key {
            case "descr":
                switch lexer.next() {
                case .string(let s): descr = s
                case .punct(UInt8(ascii: "[")):
                    throw DataError(.unsupported, "\(label): structured dtypes are not supported")
                default: throw fail("field 'descr' is not a string")
                }
            case "fortran_order":
                switch lexer.next() {
                case .word("True"): fortran = true
                case .word("False"): fortran = false
                default: throw fail("field 'fortran_order' is not True or False")
                }
            case "shape":
                guard lexer.next() == .punct(UInt8(ascii: "(")) else { throw fail("field 'shape' is not a tuple") }
                var dims: [Int] = []
                tuple: while true {
                    switch lexer.next() {
                    case .punct(UInt8(ascii: ")")): break tuple
                    case .integer(let v):
                        guard dims.count < 32 else { throw fail("field 'shape' has more than 32 dimensions") }
                        dims.append(v)
                        switch lexer.next() {
                        case .punct(UInt8(ascii: ",")): continue
                        case .punct(UInt8(ascii: ")")): break tuple
                        default: throw fail("field 'shape' is not a tuple of integers")
                        }
                    default: throw fail("field 'shape' is not a tuple of non-negative integers")
                    }
                }
                shape = dims
            default:
                throw fail("has unknown key '\(key.prefix(40))'")
            }
            switch lexer.next() {
            case .punct(UInt8(ascii: ",")): continue
            case .punct(UInt8(ascii: "}")): break loop
            default: throw fail("misses ',' or '}' after '\(key)'")
            }
        }
        guard lexer.next() == .end else { throw fail("has data after the dict") }
        guard let descr, let fortran, let shape else {
            throw fail("misses one of 'descr', 'fortran_order', 'shape'")
        }
        if fortran {
            throw DataError(.unsupported, "\(label): Fortran-order arrays are not supported; save with numpy.ascontiguousarray")
        }
        let (dtype, bigEndian) = try parseDescr(descr, label: label)
        return NPYHeader(dtype: dtype, bigEndian: bigEndian, shape: shape)
    }

    static func parseDescr(_ descr: String, label: String) throws(DataError) -> (DType, Bool) {
        let chars = Array(descr.utf8)
        if descr.contains("O") {
            throw DataError(.unsupported, "\(label): object arrays ('\(descr)') hold pickled Python objects and are refused")
        }
        guard chars.count >= 2 else {
            throw DataError(.unsupported, "\(label): dtype '\(descr.prefix(20))' is not supported")
        }
        var order = chars[0], body = String(decoding: chars[1...], as: UTF8.self)
        if ![UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "|"), UInt8(ascii: "=")].contains(order) {
            order = UInt8(ascii: "=")
            body = descr
        }
        let dtype: DType
        switch body {
        case "f4": dtype = .float32
        case "f8": dtype = .float64
        case "i8": dtype = .int64
        case "i4": dtype = .int32
        case "u1": dtype = .uint8
        case "b1": dtype = .bool
        default:
            throw DataError(.unsupported, "\(label): dtype '\(descr.prefix(20))' is not supported (f4, f8, i8, i4, u1, b1 are)")
        }
        if dtype.itemSize > 1 && order == UInt8(ascii: "|") {
            throw DataError(.malformed, "\(label): dtype '\(descr)' needs a byte order")
        }
        return (dtype, order == UInt8(ascii: ">"))
    }
}

/// Tokens of the Python literal subset used by `.npy` headers.
enum PythonToken: Equatable {
    case punct(UInt8)
    case string(String)
    case integer(Int)
    case word(String)
    case invalid
    case end
}

/// A lexer over the Python literal subset of `.npy` headers; bounded, never evaluates.
struct PythonLiteralLexer {
    let bytes: [UInt8]
    var position = 0

    mutating func next() -> PythonToken {
        while position < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[position]) { position += 1 }
        guard position < bytes.count else { return .end }
        let c = bytes[position]
        switch c {
        case UInt8(ascii: "{"), UInt8(ascii: "}"), UInt8(ascii: "("), UInt8(ascii: ")"),
             UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: ":"), UInt8(ascii: ","):
            position += 1
            return .punct(c)
        case UInt8(ascii: "'"), UInt8(ascii: "\""):
            let start = position + 1
            var end = start
            while end < bytes.count, bytes[end] != c {
                if bytes[end] == UInt8(ascii: "\\") || bytes[end] == 0x0A { return .invalid }
                end += 1
            }
            guard end < bytes.count else { return .invalid }
            position = end + 1
            return .string(String(decoding: bytes[start..<end], as: UTF8.self))
        case UInt8(ascii: "0")...UInt8(ascii: "9"):
            var value = 0
            while position < bytes.count, bytes[position] >= UInt8(ascii: "0"), bytes[position] <= UInt8(ascii: "9") {
                let (m, o1) = value.multipliedReportingOverflow(by: 10)
                let (a, o2) = m.addingReportingOverflow(Int(bytes[position] - UInt8(ascii: "0")))
                if o1 || o2 { return .invalid }
                value = a
                position += 1
            }
            // Python 2 long suffix, as written by old NumPy.
            if position < bytes.count, bytes[position] == UInt8(ascii: "L") { position += 1 }
            return .integer(value)
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"):
            let start = position
            while position < bytes.count, position - start < 16,
                  (bytes[position] | 0x20) >= UInt8(ascii: "a"), (bytes[position] | 0x20) <= UInt8(ascii: "z") {
                position += 1
            }
            return .word(String(decoding: bytes[start..<position], as: UTF8.self))
        default:
            return .invalid
        }
    }
}
