public import BulwarkTensor

/// The element types ``NDArray`` holds (a subset of NumPy's).
public enum DType: String, Sendable, Equatable, CaseIterable {
    /// IEEE 754 binary32 (`float32`, `<f4`).
    case float32
    /// IEEE 754 binary64 (`float64`, `<f8`).
    case float64
    /// Signed 64-bit integer (`int64`, `<i8`).
    case int64
    /// Signed 32-bit integer (`int32`, `<i4`).
    case int32
    /// Unsigned byte (`uint8`, `|u1`).
    case uint8
    /// Boolean stored as one byte (`bool`, `|b1`).
    case bool

    /// Bytes per element.
    public var itemSize: Int {
        switch self {
        case .float32, .int32: 4
        case .float64, .int64: 8
        case .uint8, .bool: 1
        }
    }
}

/// A typed N-dimensional array as stored in NumPy, IDX and similar files: a ``DType``, a
/// shape and the elements in row-major (C) order.
///
/// The storage case always matches ``dtype`` and holds exactly `shape.product` elements.
///
/// ```swift
/// let a = try NPY.read(path: "x.npy"), b = try NPY.read(path: "y.npy")
/// let x = try a.toTensor()      // any numeric dtype → Float
/// let y = try b.toLabels()      // integer dtypes → [Int]
/// ```
public struct NDArray: Sendable, Equatable {
    /// The elements, typed.
    public enum Storage: Sendable, Equatable {
        /// `float32` elements.
        case float32([Float])
        /// `float64` elements.
        case float64([Double])
        /// `int64` elements.
        case int64([Int64])
        /// `int32` elements.
        case int32([Int32])
        /// `uint8` elements.
        case uint8([UInt8])
        /// `bool` elements.
        case bool([Bool])

        /// The element type.
        public var dtype: DType {
            switch self {
            case .float32: .float32
            case .float64: .float64
            case .int64: .int64
            case .int32: .int32
            case .uint8: .uint8
            case .bool: .bool
            }
        }

        /// Number of elements.
        public var count: Int {
            switch self {
            case .float32(let v): v.count
            case .float64(let v): v.count
            case .int64(let v): v.count
            case .int32(let v): v.count
            case .uint8(let v): v.count
            case .bool(let v): v.count
            }
        }
    }

    /// The extent of each axis (empty for a scalar).
    public let shape: [Int]
    /// The elements in row-major order.
    public let storage: Storage
    /// The element type.
    public var dtype: DType { storage.dtype }
    /// Number of elements.
    public var count: Int { storage.count }

    /// Creates an array after checking that `shape` is non-negative and its product equals
    /// the number of elements.
    public init(shape: [Int], storage: Storage) throws(DataError) {
        guard let n = NDArray.elementCount(shape), n == storage.count else {
            throw DataError(.shapeMismatch, "shape \(shape) does not match \(storage.count) elements")
        }
        self.shape = shape
        self.storage = storage
    }

    /// A `float32` array with the tensor's shape and values.
    public init(_ tensor: Tensor) {
        self.shape = tensor.shape
        self.storage = .float32(tensor.scalars)
    }

    /// A one-dimensional `int64` array of labels.
    public init(labels: [Int]) {
        self.shape = [labels.count]
        self.storage = .int64(labels.map { Int64($0) })
    }

    /// The values as a `Float` tensor of the same shape. `float64` values are rounded,
    /// integers converted (exactly up to 2²⁴), booleans become 0 and 1.
    public func toTensor() throws(DataError) -> Tensor {
        let scalars: [Float] = switch storage {
        case .float32(let v): v
        case .float64(let v): v.map { Float($0) }
        case .int64(let v): v.map { Float($0) }
        case .int32(let v): v.map { Float($0) }
        case .uint8(let v): v.map { Float($0) }
        case .bool(let v): v.map { $0 ? 1 : 0 }
        }
        do {
            return try Tensor(validatingShape: shape, scalars: scalars)
        } catch {
            throw DataError(.shapeMismatch, "array of shape \(shape) cannot become a tensor: \(error)", underlying: error)
        }
    }

    /// The values of a one-dimensional integer (or bool) array as `[Int]`, e.g. class labels.
    /// - Throws: ``DataError`` `.unsupported` for floating-point arrays, `.shapeMismatch`
    ///   for arrays that are not one-dimensional.
    public func toLabels() throws(DataError) -> [Int] {
        guard shape.count == 1 else {
            throw DataError(.shapeMismatch, "labels must be one-dimensional, got shape \(shape)")
        }
        switch storage {
        case .int64(let v):
            return v.map { Int($0) }
        case .int32(let v):
            return v.map { Int($0) }
        case .uint8(let v):
            return v.map { Int($0) }
        case .bool(let v):
            return v.map { $0 ? 1 : 0 }
        case .float32, .float64:
            throw DataError(.unsupported, "labels must have an integer dtype, got \(dtype.rawValue)")
        }
    }

    /// The product of `shape`, or nil if a dimension is negative or the product overflows.
    static func elementCount(_ shape: [Int]) -> Int? {
        var n = 1
        for d in shape {
            guard d >= 0 else { return nil }
            let (p, overflow) = n.multipliedReportingOverflow(by: d)
            if overflow { return nil }
            n = p
        }
        return n
    }
}
