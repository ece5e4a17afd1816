public import BulwarkTensor

/// What a served model accepts beyond its shape: the batch size and, optionally, the range every
/// input value must lie in (e.g. `0...1` for images scaled as in training).
public struct InputPolicy: Sendable, Equatable {
    /// Most examples in one request.
    public var maxBatchRows: Int
    /// The closed range of valid input values, or `nil` for any finite value.
    public var validRange: ClosedRange<Float>?

    /// A policy with defaults: 64 examples per request, any finite value.
    public init(maxBatchRows: Int = 64, validRange: ClosedRange<Float>? = nil) {
        self.maxBatchRows = maxBatchRows
        self.validRange = validRange
    }
}

extension ServedModel {
    /// The batch tensor of `request`, checked against this model before it runs: exactly one
    /// input, named ``inputName``, shaped `[N] + inputShape` with 1 ≤ N ≤ the policy's batch
    /// limit, every value finite (the parser already refuses non-finite numbers) and inside the
    /// policy's range; requested outputs must be ``outputName``.
    ///
    /// - Throws: ``ServingError`` `.invalidRequest` with a one-line message naming what differs.
    public func batch(from request: InferenceRequest, policy: InputPolicy) throws(ServingError) -> Tensor {
        guard request.inputs.count == 1, let input = request.inputs.first else {
            throw ServingError(.invalidRequest, "inputs: model '\(name)' takes exactly one input ('\(inputName)'), got \(request.inputs.count)")
        }
        guard input.name == inputName else {
            throw ServingError(.invalidRequest, "inputs[0].name '\(input.name.prefix(64))': model '\(name)' takes '\(inputName)'")
        }
        guard input.shape.count == inputShape.count + 1, Array(input.shape.dropFirst()) == inputShape, let rows = input.shape.first else {
            throw ServingError(.invalidRequest, "inputs[0].shape \(input.shape.prefix(8)): model '\(name)' takes [N, \(inputShape.map(String.init).joined(separator: ", "))]")
        }
        guard rows >= 1, rows <= policy.maxBatchRows else {
            throw ServingError(.invalidRequest, "inputs[0].shape: batch of \(rows); expected 1 to \(policy.maxBatchRows) examples")
        }
        if let range = policy.validRange {
            for (offset, value) in input.data.enumerated() where !range.contains(value) {
                throw ServingError(.invalidRequest, "inputs[0].data[\(offset)] = \(value): outside the model's input range \(range.lowerBound)...\(range.upperBound)")
            }
        }
        for output in request.requestedOutputs where output != outputName {
            throw ServingError(.invalidRequest, "outputs: '\(output.prefix(64))' is not an output of model '\(name)' (it has '\(outputName)')")
        }
        return Tensor(shape: input.shape, scalars: input.data)
    }
}
