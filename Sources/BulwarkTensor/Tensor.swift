/// An N-dimensional array of `Float` values in row-major (C) order, with value semantics.
///
/// Storage is a Swift `Array`, so copies are cheap and copy-on-write: mutating a tensor that
/// shares its storage with another copies the storage first. The last axis is contiguous.
///
/// ```swift
/// let x = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
/// let y = x + 1          // broadcasting element-wise arithmetic
/// let s = y.sum(axes: [1]) // [2]
/// ```
///
/// Operations whose shapes do not agree are programmer errors and stop with a precondition;
/// code that builds a tensor from untrusted bytes validates first with
/// ``Tensor/init(validatingShape:scalars:)``, which throws instead.
public struct Tensor: Sendable, Equatable, CustomStringConvertible {
    /// The extent of each axis. An empty shape is a scalar (one element).
    public internal(set) var shape: [Int]
    /// The elements in row-major order; `scalars.count == shape.reduce(1, *)`.
    public var scalars: [Float]

    /// Creates a tensor with the given shape and elements.
    /// - Precondition: every dimension is non-negative and `scalars.count` equals their product.
    public init(shape: [Int], scalars: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in shape \(shape)")
        precondition(Tensor.elementCount(shape) == scalars.count,
                     "shape \(shape) needs \(Tensor.elementCount(shape)) scalars, got \(scalars.count)")
        self.shape = shape
        self.scalars = scalars
    }

    /// Creates a tensor after checking that `shape` is valid and matches `scalars.count`.
    /// Use this on input paths that handle untrusted data.
    public init(validatingShape shape: [Int], scalars: [Float]) throws(TensorError) {
        guard shape.allSatisfy({ $0 >= 0 }) else { throw TensorError.invalidShape(shape) }
        guard let count = Tensor.checkedElementCount(shape), count == scalars.count else {
            throw TensorError.shapeMismatch(expected: shape, scalarCount: scalars.count)
        }
        self.shape = shape
        self.scalars = scalars
    }

    /// A tensor of the given shape with every element equal to `value`.
    @inlinable
    public init(repeating value: Float, shape: [Int]) {
        self.init(shape: shape, scalars: [Float](repeating: value, count: Tensor.elementCount(shape)))
    }

    /// A tensor of zeros.
    @inlinable
    public static func zeros(_ shape: [Int]) -> Tensor { Tensor(repeating: 0, shape: shape) }

    /// A tensor of ones.
    @inlinable
    public static func ones(_ shape: [Int]) -> Tensor { Tensor(repeating: 1, shape: shape) }

    /// A rank-0 tensor holding one value.
    @inlinable
    public init(_ value: Float) { self.init(shape: [], scalars: [value]) }

    /// A rank-1 tensor holding `values`.
    @inlinable
    public init(_ values: [Float]) { self.init(shape: [values.count], scalars: values) }

    /// Creates a tensor of `shape` whose storage is initialised by `body`, which receives an
    /// uninitialised buffer of `shape.product` elements and must write every one of them.
    public init(shape: [Int], unsafeUninitializedCapacity body: (UnsafeMutableBufferPointer<Float>) -> Void) {
        let count = Tensor.elementCount(shape)
        self.shape = shape
        self.scalars = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            body(buffer)
            initialized = count
        }
    }

    /// Number of axes.
    @inlinable public var rank: Int { shape.count }
    /// Number of elements.
    @inlinable public var count: Int { scalars.count }
    /// The single element of a one-element tensor.
    @inlinable public var scalar: Float {
        precondition(scalars.count == 1, "scalar requested from a tensor of shape \(shape)")
        return scalars[0]
    }

    /// The same elements viewed with another shape of the same element count (`-1` infers one axis).
    @inlinable
    public func reshaped(_ newShape: [Int]) -> Tensor {
        Tensor(shape: Tensor.resolve(newShape, count: count), scalars: scalars)
    }

    /// The `i`-th slice along the first axis (for a batch, the `i`-th example).
    public func slice(_ i: Int) -> Tensor {
        precondition(rank >= 1 && i >= 0 && i < shape[0], "index \(i) out of range for shape \(shape)")
        let inner = Tensor.elementCount(Array(shape.dropFirst()))
        return Tensor(shape: Array(shape.dropFirst()), scalars: Array(scalars[(i * inner)..<((i + 1) * inner)]))
    }

    /// Rows `range` along the first axis.
    public func rows(_ range: Range<Int>) -> Tensor {
        precondition(rank >= 1 && range.lowerBound >= 0 && range.upperBound <= shape[0],
                     "rows \(range) out of range for shape \(shape)")
        let inner = Tensor.elementCount(Array(shape.dropFirst()))
        var newShape = shape
        newShape[0] = range.count
        return Tensor(shape: newShape, scalars: Array(scalars[(range.lowerBound * inner)..<(range.upperBound * inner)]))
    }

    /// The rows at `indices` along the first axis, in that order.
    public func gatherRows(_ indices: [Int]) -> Tensor {
        precondition(rank >= 1, "gatherRows needs rank ≥ 1")
        let inner = Tensor.elementCount(Array(shape.dropFirst()))
        var newShape = shape
        newShape[0] = indices.count
        return Tensor(shape: newShape, unsafeUninitializedCapacity: { out in
            scalars.withUnsafeBufferPointer { src in
                for (r, i) in indices.enumerated() {
                    precondition(i >= 0 && i < shape[0], "row \(i) out of range for shape \(shape)")
                    _ = UnsafeMutableBufferPointer(rebasing: out[(r * inner)..<((r + 1) * inner)])
                        .initialize(from: src[(i * inner)..<((i + 1) * inner)])
                }
            }
        })
    }

    /// Stacks tensors of equal shape along a new first axis.
    public static func stack(_ tensors: [Tensor]) -> Tensor {
        precondition(!tensors.isEmpty, "stack of no tensors")
        let inner = tensors[0].shape
        precondition(tensors.allSatisfy { $0.shape == inner }, "stack needs equal shapes")
        var s: [Float] = []
        s.reserveCapacity(tensors.count * tensors[0].count)
        for t in tensors { s.append(contentsOf: t.scalars) }
        return Tensor(shape: [tensors.count] + inner, scalars: s)
    }

    /// Concatenates tensors along the first axis; the other axes must agree.
    public static func concatenateRows(_ tensors: [Tensor]) -> Tensor {
        precondition(!tensors.isEmpty, "concatenation of no tensors")
        let inner = Array(tensors[0].shape.dropFirst())
        precondition(tensors.allSatisfy { Array($0.shape.dropFirst()) == inner }, "concatenation needs equal inner shapes")
        var s: [Float] = []
        s.reserveCapacity(tensors.reduce(0) { $0 + $1.count })
        for t in tensors { s.append(contentsOf: t.scalars) }
        return Tensor(shape: [tensors.reduce(0) { $0 + $1.shape[0] }] + inner, scalars: s)
    }

    public var description: String {
        let preview = scalars.prefix(8).map { String($0) }.joined(separator: ", ")
        return "Tensor(shape: \(shape), [\(preview)\(count > 8 ? ", …" : "")])"
    }

    // MARK: shape arithmetic

    /// The product of the dimensions (1 for a scalar).
    @inlinable
    public static func elementCount(_ shape: [Int]) -> Int { shape.reduce(1, *) }

    /// The product of the dimensions, or `nil` when it overflows `Int`.
    public static func checkedElementCount(_ shape: [Int]) -> Int? {
        var n = 1
        for d in shape {
            let (m, overflow) = n.multipliedReportingOverflow(by: d)
            if overflow { return nil }
            n = m
        }
        return n
    }

    @usableFromInline
    static func resolve(_ shape: [Int], count: Int) -> [Int] {
        var shape = shape
        if let i = shape.firstIndex(of: -1) {
            let known = shape.enumerated().filter { $0.offset != i }.reduce(1) { $0 * $1.element }
            precondition(known > 0 && count % known == 0, "cannot infer axis of \(shape) for \(count) elements")
            shape[i] = count / known
        }
        precondition(elementCount(shape) == count, "cannot reshape \(count) elements to \(shape)")
        return shape
    }
}
