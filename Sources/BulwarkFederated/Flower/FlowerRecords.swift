public import BulwarkData

/// One value of a Flower `ConfigRecord`: what a ServerApp sends as a round's configuration
/// (`server-round`, `lr`, `local-epochs`, …) and what a legacy `fitres.status` carries.
public enum FlowerConfigValue: Sendable, Equatable {
    /// A single value: a float, a signed or unsigned integer, a flag, text or bytes.
    case double(Double), int(Int64), uint(UInt64), bool(Bool), string(String), bytes([UInt8])
    /// A list of values of one of those kinds.
    case doubles([Double]), ints([Int64]), uints([UInt64]), bools([Bool]), strings([String]), byteStrings([[UInt8]])

    /// The value as a number, when it is one (integers widen to `Double`, `Bool` does not).
    public var number: Double? {
        switch self {
        case .double(let v): v
        case .int(let v): Double(v)
        case .uint(let v): Double(v)
        default: nil
        }
    }
}

/// One value of a Flower `MetricRecord`: a number or a list of numbers (`num-examples`,
/// `train_loss`, `eval_acc`, …).
public enum FlowerMetricValue: Sendable, Equatable {
    /// A single number: a float, a signed or an unsigned integer.
    case double(Double), int(Int64), uint(UInt64)
    /// A list of numbers of one of those kinds.
    case doubles([Double]), ints([Int64]), uints([UInt64])
}

/// One array of a Flower `ArrayRecord`: numpy's dtype name, the shape, the serialisation type
/// (`numpy.ndarray`: `data` holds the bytes of an `.npy` file) and the data.
///
/// Flower's legacy `Parameters` records leave `dtype` empty and `shape` `[]`; the `.npy` header
/// inside `data` is then the only description of the array, so ``ndarray()`` always reads it.
public struct FlowerArray: Sendable, Equatable {
    /// numpy's dtype name (`float32`), or empty in legacy records.
    public var dtype: String
    /// The dimensions Flower records beside the data (empty for a scalar and in legacy records).
    public var shape: [Int]
    /// The serialisation of `data`; `numpy.ndarray` is the one Bulwark reads and writes.
    public var stype: String
    /// The serialised array.
    public var data: [UInt8]

    /// numpy's serialisation type name for `.npy` bytes.
    public static let numpyStype = "numpy.ndarray"

    /// An array with the given fields, kept as they are.
    public init(dtype: String, shape: [Int], stype: String, data: [UInt8]) {
        self.dtype = dtype
        self.shape = shape
        self.stype = stype
        self.data = data
    }

    /// `array` serialised as Flower's `Array.from_numpy_ndarray` does: `.npy` bytes, numpy's dtype
    /// name and the shape.
    public init(_ array: NDArray) {
        self.init(dtype: array.dtype.rawValue, shape: array.shape, stype: Self.numpyStype, data: NPY.encode(array))
    }

    /// The array decoded from its `.npy` bytes; throws `malformed` for another serialisation
    /// type, bytes that are no `.npy` file, or a recorded shape that contradicts the file's.
    public func ndarray(name: String) throws(FederatedError) -> NDArray {
        guard stype == Self.numpyStype else {
            throw FederatedError(.malformed, "Flower array \(name): serialisation type '\(stype)' is not \(Self.numpyStype)")
        }
        let array: NDArray
        do { array = try NPY.decode(data, label: "Flower array \(name)") } catch {
            throw FederatedError(.malformed, error.message)
        }
        if !dtype.isEmpty, array.shape != shape {
            throw FederatedError(.malformed, "Flower array \(name): recorded shape \(shape) but its .npy data is \(array.shape)")
        }
        return array
    }
}

/// One record of a Flower `RecordDict`: named arrays, metrics or configuration, each in the
/// order the sender wrote it.
public enum FlowerRecord: Sendable, Equatable {
    /// An `ArrayRecord`: named arrays (a model's tensors).
    case arrays([(name: String, array: FlowerArray)])
    /// A `MetricRecord`: named numbers.
    case metrics([(name: String, value: FlowerMetricValue)])
    /// A `ConfigRecord`: named configuration values.
    case config([(name: String, value: FlowerConfigValue)])

    public static func == (lhs: FlowerRecord, rhs: FlowerRecord) -> Bool {
        switch (lhs, rhs) {
        case (.arrays(let a), .arrays(let b)): a.map(\.name) == b.map(\.name) && a.map(\.array) == b.map(\.array)
        case (.metrics(let a), .metrics(let b)): a.map(\.name) == b.map(\.name) && a.map(\.value) == b.map(\.value)
        case (.config(let a), .config(let b)): a.map(\.name) == b.map(\.name) && a.map(\.value) == b.map(\.value)
        default: false
        }
    }
}

/// The content of a Flower message: named records, in order (Flower's `RecordDict`).
///
/// ```swift
/// let content = FlowerRecordDict([
///     ("metrics", .metrics([("num-examples", .int(60)), ("train_loss", .double(0.4))])),
/// ])
/// print(content["metrics"] != nil)  // true
/// ```
public struct FlowerRecordDict: Sendable, Equatable {
    /// The records with their names, in order.
    public var items: [(name: String, record: FlowerRecord)]

    /// A record dict holding `items` in order.
    public init(_ items: [(name: String, record: FlowerRecord)] = []) { self.items = items }

    /// The record named `name`, if any.
    public subscript(name: String) -> FlowerRecord? { items.first { $0.name == name }?.record }

    public static func == (lhs: FlowerRecordDict, rhs: FlowerRecordDict) -> Bool {
        lhs.items.map(\.name) == rhs.items.map(\.name) && lhs.items.map(\.record) == rhs.items.map(\.record)
    }
}
