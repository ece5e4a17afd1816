public import BulwarkArchive
public import BulwarkTensor

/// The black-box seam: a classifier that answers queries with class probabilities and nothing
/// else (no gradients, no logits). Black-box and extraction attacks see only this.
public protocol QueryClassifier: Sendable {
    /// Shape of one example, without the batch axis.
    var inputShape: [Int] { get }
    /// Number of classes.
    var classCount: Int { get }
    /// Class probabilities for a batch `N × inputShape` → `N × classCount`. One row is one query.
    func probabilities(_ input: Tensor) -> Tensor
}

extension QueryClassifier {
    /// Predicted label per example (the decision-only view of `probabilities`).
    public func labels(_ input: Tensor) -> [Int] { probabilities(input).argmaxRows() }
}

/// Exposes any ``DifferentiableClassifier`` as a ``QueryClassifier`` (softmax of its logits).
public struct QueryAdapter<Model: DifferentiableClassifier>: QueryClassifier {
    /// The wrapped model.
    public let model: Model
    /// Wraps `model`.
    public init(_ model: Model) { self.model = model }
    /// Input shape of the wrapped model.
    public var inputShape: [Int] { model.inputShape }
    /// Class count of the wrapped model.
    public var classCount: Int { model.classCount }
    /// Softmax of the wrapped model's logits.
    public func probabilities(_ input: Tensor) -> Tensor { model.logits(input).softmax(axis: -1) }
}

/// Thrown when a query would exceed the budget of a ``CountingQueryClassifier``.
///
/// A ``BulwarkError`` whose code is always ``Code/queryBudgetExceeded`` and whose message is
/// built from the three counts; it never has an underlying cause.
public struct QueryBudgetExceeded: BulwarkError, Equatable {
    /// The kind of failure; one code today, more may be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Kind: String { case queryBudgetExceeded }
        private let kind: Kind
        private init(_ kind: Kind) { self.kind = kind }

        /// A query would exceed the budget.
        public static let queryBudgetExceeded = Code(.queryBudgetExceeded)

        /// A short stable name of the code: `queryBudgetExceeded`.
        public var description: String { kind.rawValue }
    }

    /// Queries already used.
    public var used: Int
    /// Queries requested by the refused call.
    public var requested: Int
    /// The budget.
    public var limit: Int
    /// Always ``Code/queryBudgetExceeded``.
    public var code: Code { .queryBudgetExceeded }
    /// One-line message.
    public var message: String { "query budget exceeded: \(used) used + \(requested) requested > limit \(limit)" }
    /// Always `nil`: the budget is the origin of this error.
    public var underlying: (any Error)? { nil }
    /// The message.
    public var description: String { message }
}

/// Wraps a ``QueryClassifier``, counts every query (one per input row) and refuses queries beyond
/// an optional budget — the refused call answers nothing and counts nothing.
public struct CountingQueryClassifier<Model: QueryClassifier>: Sendable {
    /// The wrapped model.
    public let model: Model
    /// Queries answered so far.
    public private(set) var queriesUsed: Int = 0
    /// Maximum number of queries, or `nil` for unlimited.
    public let queryLimit: Int?

    /// Wraps `model` with an optional query budget.
    public init(_ model: Model, queryLimit: Int? = nil) {
        self.model = model
        self.queryLimit = queryLimit
    }

    /// Probabilities for `input`, charging one query per row.
    public mutating func probabilities(_ input: Tensor) throws(QueryBudgetExceeded) -> Tensor {
        let rows = input.shape.first ?? 0
        if let limit = queryLimit, queriesUsed + rows > limit {
            throw QueryBudgetExceeded(used: queriesUsed, requested: rows, limit: limit)
        }
        queriesUsed += rows
        return model.probabilities(input)
    }

    /// Labels for `input`, charging one query per row.
    public mutating func labels(_ input: Tensor) throws(QueryBudgetExceeded) -> [Int] {
        try probabilities(input).argmaxRows()
    }
}
