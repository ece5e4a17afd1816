/// Converts between raw element bytes and typed storage, in either byte order.
enum ElementCodec {
    /// Decodes `count` elements of `dtype` from `bytes[offset...]`.
    /// The caller has checked that `offset + count * dtype.itemSize <= bytes.count`.
    static func decode(_ bytes: [UInt8], offset: Int, count: Int, dtype: DType, bigEndian: Bool) -> NDArray.Storage {
        switch dtype {
        case .uint8:
            return .uint8(Array(bytes[offset..<(offset + count)]))
        case .bool:
            return .bool(bytes[offset..<(offset + count)].map { $0 != 0 })
        case .float32:
            return .float32(load(bytes, offset, count, bigEndian, UInt32.self).map { Float(bitPattern: $0) })
        case .float64:
            return .float64(load(bytes, offset, count, bigEndian, UInt64.self).map { Double(bitPattern: $0) })
        case .int32:
            return .int32(load(bytes, offset, count, bigEndian, UInt32.self).map { Int32(bitPattern: $0) })
        case .int64:
            return .int64(load(bytes, offset, count, bigEndian, UInt64.self).map { Int64(bitPattern: $0) })
        }
    }

    /// `count` unsigned integers of width `T` read from `bytes[offset...]`.
    static func load<T: FixedWidthInteger & UnsignedInteger>(_ bytes: [UInt8], _ offset: Int, _ count: Int,
                                                              _ bigEndian: Bool, _: T.Type) -> [T] {
        let width = MemoryLayout<T>.size
        return [T](unsafeUninitializedCapacity: count) { out, initialized in
            bytes.withUnsafeBytes { raw in
                for i in 0..<count {
                    let v = raw.loadUnaligned(fromByteOffset: offset + i * width, as: T.self)
                    out[i] = bigEndian ? T(bigEndian: v) : T(littleEndian: v)
                }
            }
            initialized = count
        }
    }

    /// The elements as little-endian bytes.
    static func encodeLittleEndian(_ storage: NDArray.Storage) -> [UInt8] {
        switch storage {
        case .uint8(let v): return v
        case .bool(let v): return v.map { $0 ? 1 : 0 }
        case .float32(let v): return store(v.map(\.bitPattern))
        case .float64(let v): return store(v.map(\.bitPattern))
        case .int32(let v): return store(v.map { UInt32(bitPattern: $0) })
        case .int64(let v): return store(v.map { UInt64(bitPattern: $0) })
        }
    }

    static func store<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
        let width = MemoryLayout<T>.size
        var out = [UInt8](repeating: 0, count: values.count * width)
        out.withUnsafeMutableBytes { raw in
            for (i, v) in values.enumerated() {
                raw.storeBytes(of: v.littleEndian, toByteOffset: i * width, as: T.self)
            }
        }
        return out
    }
}
