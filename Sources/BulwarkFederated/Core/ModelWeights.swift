/// A model's parameters as the federation exchanges them: an ordered list of named tensors, each
/// a shape and its values in row-major order.
///
/// Every rank is a tensor here, including rank 0 (a scalar: shape `[]`, one value) — Flower's
/// SecAgg+ mis-aggregates 0-d arrays; Bulwark flattens every tensor the same way, so a scalar
/// is summed, masked and averaged like any other parameter.
///
/// ```swift
/// let weights = try ModelWeights(tensors: [
///     .init(name: "dense.weight", shape: [2, 3], values: [1, 2, 3, 4, 5, 6]),
///     .init(name: "temperature", shape: [], values: [0.5]),
/// ])
/// print(weights.count)  // 7
/// ```
public struct ModelWeights: Sendable, Equatable, Codable {
    /// One named tensor: its shape (empty for a scalar) and its values in row-major order.
    public struct Tensor: Sendable, Equatable, Codable {
        /// The parameter's name (an ONNX initializer's or a layer's), unique within a model.
        public var name: String
        /// The dimensions; `[]` for a scalar.
        public var shape: [Int]
        /// `shape`'s product of values (one for a scalar), row-major.
        public var values: [Float]

        /// A tensor named `name` of `shape` holding `values`.
        public init(name: String, shape: [Int], values: [Float]) {
            self.name = name
            self.shape = shape
            self.values = values
        }
    }

    /// The tensors, in the model's order.
    public private(set) var tensors: [Tensor]

    /// Weights made of `tensors`; throws `shapeMismatch` when a tensor's value count is not
    /// the product of its shape (or a dimension is negative) and `malformed` when two tensors
    /// share a name.
    public init(tensors: [Tensor]) throws(FederatedError) {
        var names = Set<String>()
        for tensor in tensors {
            guard tensor.shape.allSatisfy({ $0 >= 0 }) else {
                throw FederatedError(.shapeMismatch, "tensor \(tensor.name): negative dimension in \(tensor.shape)")
            }
            let expected = tensor.shape.reduce(1, *)
            guard expected == tensor.values.count else {
                throw FederatedError(.shapeMismatch, "tensor \(tensor.name): shape \(tensor.shape) needs \(expected) values, got \(tensor.values.count)")
            }
            guard names.insert(tensor.name).inserted else {
                throw FederatedError(.malformed, "tensor \(tensor.name) appears twice")
            }
        }
        self.tensors = tensors
    }

    /// The number of scalar parameters (scalars count one each).
    public var count: Int { tensors.reduce(0) { $0 + $1.values.count } }

    /// Every value, tensor after tensor: the vector aggregators and secure aggregation work on.
    public var flattened: [Float] {
        var out: [Float] = []
        out.reserveCapacity(count)
        for tensor in tensors { out.append(contentsOf: tensor.values) }
        return out
    }

    /// The same layout (names and shapes) holding `vector`; throws `shapeMismatch` when
    /// `vector.count` differs from ``count``.
    public func replacing(with vector: [Float]) throws(FederatedError) -> ModelWeights {
        guard vector.count == count else {
            throw FederatedError(.shapeMismatch, "vector of \(vector.count) values for weights of \(count)")
        }
        var copy = self
        var offset = 0
        for index in copy.tensors.indices {
            let length = copy.tensors[index].values.count
            copy.tensors[index].values = Array(vector[offset..<(offset + length)])
            offset += length
        }
        return copy
    }

    /// Whether `other` has the same names and shapes in the same order.
    public func hasSameLayout(as other: ModelWeights) -> Bool {
        tensors.count == other.tensors.count
            && zip(tensors, other.tensors).allSatisfy { $0.name == $1.name && $0.shape == $1.shape }
    }
}
