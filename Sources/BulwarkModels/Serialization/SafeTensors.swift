public import BulwarkTensor
import BulwarkArchive
public import Foundation

/// The safetensors format of Hugging Face, read and written byte-compatibly with the Python
/// `safetensors` package: an 8-byte little-endian header length, a JSON header mapping each
/// tensor name to `dtype`, `shape` and `data_offsets` (plus an optional `__metadata__`
/// string map), padded with spaces to a multiple of 8 bytes, then the tensor bytes.
///
/// Reading validates everything before converting a byte: header length (at most
/// ``maxHeaderBytes``), UTF-8 and JSON, known dtypes, shapes whose element count times the
/// dtype size equals the offsets' span, offsets inside the file, no overlaps, no gaps, and a
/// data section that ends exactly at the end of the file. `F32` tensors are read and written;
/// `F16`, `BF16`, `F64`, `I64`, `I32`, `I16`, `I8`, `U8`, `U16`, `U32`, `U64` and `BOOL` are
/// read and converted to `Float`.
///
/// ```swift
/// let (w, b) = (Tensor.zeros([10, 784]), Tensor.zeros([10]))
/// let url = URL(fileURLWithPath: "linear.safetensors")
/// try SafeTensors.write([("0.weight", w), ("0.bias", b)], metadata: ["format": "pt"], to: url)
/// let (tensors, metadata) = try SafeTensors.read(from: url)
/// ```
public enum SafeTensors {
    /// The largest header accepted (the Python package's limit too).
    public static let maxHeaderBytes = SafetensorsHeader.maxHeaderBytes

    /// One tensor's entry in the header.
    public struct TensorInfo: Sendable, Equatable {
        /// The tensor's name.
        public let name: String
        /// The dtype as spelled in the file (`F32`, `BF16`, …).
        public let dtype: String
        /// The tensor's shape.
        public let shape: [Int]
        /// Byte range of the data, relative to the end of the header.
        public let dataOffsets: Range<Int>
    }

    /// A validated header: tensors sorted by data offset, metadata, and where data starts.
    public struct Header: Sendable, Equatable {
        /// Tensor entries in data order.
        public let tensors: [TensorInfo]
        /// The `__metadata__` map, or nil when the file has none.
        public let metadata: [String: String]?
        /// File offset of the first data byte (8 + header length).
        public let dataStart: Int
    }

    /// Bytes per element of each dtype Bulwark reads.
    static let dtypeSizes: [String: Int] = [
        "BOOL": 1, "U8": 1, "I8": 1, "I16": 2, "U16": 2, "F16": 2, "BF16": 2,
        "I32": 4, "U32": 4, "F32": 4, "F64": 8, "I64": 8, "U64": 8,
    ]

    // MARK: reading

    /// Parses and validates the header of a safetensors file of `fileSize` bytes, given at
    /// least its first `8 + header length` bytes. The header is read by BulwarkArchive's
    /// `SafetensorsHeader` (shared with the scanner); any problem it finds is refused here, and so
    /// are dtypes this reader does not convert and fields the format does not define.
    /// - Throws: ``ModelError`` `.malformed` naming the field or tensor that is wrong.
    public static func parseHeader(_ prefix: [UInt8], fileSize: Int, label: String = "safetensors") throws(ModelError) -> Header {
        func fail(_ message: String) -> ModelError { ModelError(.malformed, "\(label): \(message)".escapedForMessage()) }
        let parsed: SafetensorsHeader
        do throws(ArchiveError) {
            let length = try SafetensorsHeader.headerLength(first8: Array(prefix.prefix(8)), fileSize: fileSize)
            guard length <= prefix.count - 8 else {
                throw ArchiveError(.truncated, "safetensors: header length \(length) runs past the \(prefix.count) bytes given")
            }
            parsed = try SafetensorsHeader(header: Array(prefix[8..<(8 + length)]), fileSize: fileSize)
        } catch {
            throw fail(error.message.hasPrefix("safetensors: ") ? String(error.message.dropFirst(13)) : error.message)
        }
        if let problem = parsed.problems.first {
            if case .unknownDtype(let name, let dtype) = problem.kind { throw unsupported(name, dtype, fail) }
            throw fail(problem.message)
        }
        var tensors: [TensorInfo] = []
        tensors.reserveCapacity(parsed.tensors.count)
        for t in parsed.tensors {
            if let field = t.extraFields.first { throw fail("tensor '\(t.name)': unexpected field '\(field)'") }
            guard dtypeSizes[t.dtype] != nil else { throw unsupported(t.name, t.dtype, fail) }
            tensors.append(TensorInfo(name: t.name, dtype: t.dtype, shape: t.shape, dataOffsets: t.dataOffsets))
        }
        return Header(tensors: tensors, metadata: parsed.metadata, dataStart: parsed.dataStart)
    }

    private static func unsupported(_ name: String, _ dtype: String, _ fail: (String) -> ModelError) -> ModelError {
        fail("tensor '\(name)': dtype '\(dtype)' is not supported (F32, F16, BF16, F64, I64, I32, I16, I8, U8, U16, U32, U64, BOOL are)")
    }

    /// Reads every tensor of a safetensors file held in memory, converted to `Float`.
    /// - Throws: ``ModelError`` `.malformed` naming what is wrong.
    public static func read(_ bytes: [UInt8], label: String = "safetensors") throws(ModelError) -> (tensors: [String: Tensor], metadata: [String: String]) {
        let header = try parseHeader(bytes, fileSize: bytes.count, label: label)
        var tensors: [String: Tensor] = [:]
        for info in header.tensors {
            let start = header.dataStart + info.dataOffsets.lowerBound
            let scalars = convert(bytes, start: start, byteCount: info.dataOffsets.count, dtype: info.dtype)
            do {
                tensors[info.name] = try Tensor(validatingShape: info.shape, scalars: scalars)
            } catch {
                throw ModelError(.malformed, "\(label): tensor '\(info.name)': \(error)".escapedForMessage())
            }
        }
        return (tensors, header.metadata ?? [:])
    }

    /// Reads every tensor of the safetensors file at `url`.
    /// - Parameter maxBytes: files larger than this are refused before being read.
    public static func read(from url: URL, maxBytes: Int = 8 << 30) throws(ModelError) -> (tensors: [String: Tensor], metadata: [String: String]) {
        let path = url.path
        let size: Int
        do {
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            size = (attributes[.size] as? NSNumber)?.intValue ?? -1
        } catch {
            throw ModelError(.io, "\(path): cannot read (\(error.localizedDescription))")
        }
        guard size >= 0, size <= maxBytes else {
            throw ModelError(.io, "\(path): file of \(size) bytes exceeds the limit of \(maxBytes) bytes")
        }
        do { try FileChecks.requireRegularFile(path) } catch { throw ModelError(.io, error.message) }
        let data: Data
        do {
            data = try Data(contentsOf: url, options: .mappedIfSafe)
        } catch {
            throw ModelError(.io, "\(path): cannot read (\(error.localizedDescription))")
        }
        return try read([UInt8](data), label: path)
    }

    /// Converts little-endian elements of `dtype` to `Float`. The range was validated.
    static func convert(_ bytes: [UInt8], start: Int, byteCount: Int, dtype: String) -> [Float] {
        let size = dtypeSizes[dtype] ?? 1
        let count = byteCount / size
        return [Float](unsafeUninitializedCapacity: count) { out, initialized in
            bytes.withUnsafeBytes { raw in
                func u<T: FixedWidthInteger>(_ i: Int, _: T.Type) -> T {
                    T(littleEndian: raw.loadUnaligned(fromByteOffset: start + i * size, as: T.self))
                }
                for i in 0..<count {
                    let value: Float
                    switch dtype {
                    case "F32": value = Float(bitPattern: u(i, UInt32.self))
                    case "F64": value = Float(Double(bitPattern: u(i, UInt64.self)))
                    case "F16": value = Float(Float16(bitPattern: u(i, UInt16.self)))
                    case "BF16": value = Float(bitPattern: UInt32(u(i, UInt16.self)) << 16)
                    case "I64": value = Float(Int64(bitPattern: u(i, UInt64.self)))
                    case "I32": value = Float(Int32(bitPattern: u(i, UInt32.self)))
                    case "I16": value = Float(Int16(bitPattern: u(i, UInt16.self)))
                    case "I8": value = Float(Int8(bitPattern: u(i, UInt8.self)))
                    case "U64": value = Float(u(i, UInt64.self))
                    case "U32": value = Float(u(i, UInt32.self))
                    case "U16": value = Float(u(i, UInt16.self))
                    case "BOOL": value = u(i, UInt8.self) != 0 ? 1 : 0
                    default: value = Float(u(i, UInt8.self))
                    }
                    out[i] = value
                }
            }
            initialized = count
        }
    }

    // MARK: writing

    /// The bytes of a safetensors file holding `tensors` as `F32`, identical to what the
    /// Python package writes for the same tensors and metadata: tensors ordered by name
    /// (byte-wise; all share one dtype), compact JSON, header padded with spaces to a
    /// multiple of 8. Metadata keys are written sorted; the Python package's order for two or
    /// more keys is random, so byte identity holds for at most one key.
    /// - Throws: ``ModelError`` `.parameterMismatch` for duplicate names or the reserved name
    ///   `__metadata__`.
    public static func encode(_ tensors: [(name: String, tensor: Tensor)], metadata: [String: String]? = nil) throws(ModelError) -> [UInt8] {
        var seen = Set<String>()
        for (name, _) in tensors {
            guard name != "__metadata__", seen.insert(name).inserted else {
                throw ModelError(.parameterMismatch, "safetensors: tensor name '\(name)' is duplicated or reserved".escapedForMessage())
            }
        }
        let ordered = tensors.sorted { Array($0.name.utf8).lexicographicallyPrecedes(Array($1.name.utf8)) }
        var members: [JSONMember] = []
        if let metadata {
            let pairs = metadata.sorted { Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) }
            members.append(JSONMember("__metadata__", .object(pairs.map { JSONMember($0.key, .string($0.value)) })))
        }
        var offset = 0
        for (name, tensor) in ordered {
            let n = tensor.count * 4
            members.append(JSONMember(name, .object([
                JSONMember("dtype", .string("F32")),
                JSONMember("shape", .array(tensor.shape.map { .integer($0) })),
                JSONMember("data_offsets", .array([.integer(offset), .integer(offset + n)])),
            ])))
            offset += n
        }
        var header = JSONWriter.encode(.object(members), style: .compact)
        header += [UInt8](repeating: 0x20, count: (8 - header.count % 8) % 8)
        var out: [UInt8] = []
        out.reserveCapacity(8 + header.count + offset)
        let length = UInt64(header.count)
        for i in 0..<8 { out.append(UInt8((length >> (8 * UInt64(i))) & 0xff)) }
        out += header
        for (_, tensor) in ordered {
            tensor.scalars.withUnsafeBufferPointer { buffer in
                for v in buffer {
                    let bits = v.bitPattern.littleEndian
                    withUnsafeBytes(of: bits) { out.append(contentsOf: $0) }
                }
            }
        }
        return out
    }

    /// Writes `tensors` (as `F32`) and `metadata` to `url` atomically: the bytes go to a
    /// temporary file in the same directory, which is then renamed over `url`, so a failure
    /// never leaves a partial or corrupted file behind.
    public static func write(_ tensors: [(name: String, tensor: Tensor)], metadata: [String: String]? = nil, to url: URL) throws(ModelError) {
        let bytes = try encode(tensors, metadata: metadata)
        do {
            try Data(bytes).write(to: url, options: .atomic)
        } catch {
            throw ModelError(.io, "\(url.path): cannot write (\(error.localizedDescription))")
        }
    }
}
