import BulwarkArchive

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
/// let tensor = Tensor.zeros([2, 3])
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
        let header = try NPYHeaderFields.parse(bytes, label: label)
        let dataStart = header.dataOffset
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

/// The three fields of an `.npy` header that this reader accepts: the shared ``NPYHeader``
/// parser reads the header, and this keeps what the reader supports (C order, six dtypes).
struct NPYHeaderFields {
    var dtype: DType
    var bigEndian: Bool
    var shape: [Int]
    /// File offset of the array data.
    var dataOffset: Int

    /// Parses the header of the `.npy` file `bytes` and keeps the arrays this reader supports.
    static func parse(_ bytes: [UInt8], label: String) throws(DataError) -> NPYHeaderFields {
        let header: NPYHeader
        do {
            header = try NPYHeader(prefix: bytes, maxHeaderBytes: NPY.maxHeaderBytes)
        } catch {
            let code: DataError.Code = switch error.code {
            case .unsupported: .unsupported
            case .limitExceeded: .limitExceeded
            default: .malformed
            }
            let message = error.message.hasPrefix("npy: ") ? String(error.message.dropFirst(5)) : error.message
            throw DataError(code, "\(label): \(message)")
        }
        guard header.shape.count <= 32 else { throw DataError(.malformed, "\(label): header field 'shape' has more than 32 dimensions") }
        let descr: String
        switch header.descr {
        case .string(let s): descr = s
        case .list, .tuple: throw DataError(.unsupported, "\(label): structured dtypes are not supported")
        default: throw DataError(.malformed, "\(label): header field 'descr' is not a string")
        }
        if header.fortranOrder {
            throw DataError(.unsupported, "\(label): Fortran-order arrays are not supported; save with numpy.ascontiguousarray")
        }
        let (dtype, bigEndian) = try parseDescr(descr, label: label)
        return NPYHeaderFields(dtype: dtype, bigEndian: bigEndian, shape: header.shape, dataOffset: header.dataOffset)
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
