import BulwarkModels
import BulwarkServing
import BulwarkTensor
import Foundation
import Testing

/// A classifier whose logits are its input's first two values, and which takes `delay` per pass.
private struct SlowEcho: DifferentiableClassifier {
    let delay: TimeInterval
    var inputShape: [Int] { [2] }
    var classCount: Int { 2 }
    func logits(_ input: Variable) -> Variable {
        Thread.sleep(forTimeInterval: delay)
        return input
    }
}

private func served(delay: TimeInterval) -> ServedModel {
    ServedModel(name: "echo", version: 1, sha256: String(repeating: "0", count: 64), platform: "bulwark", inputName: "input",
                classifier: SlowEcho(delay: delay))
}

@Test func concurrentRequestsShareBatchesAndGetTheirOwnRows() async throws {
    let batcher = InferenceBatcher(model: served(delay: 0.02), options: BatchingOptions(maxBatchRows: 16, maxDelay: .milliseconds(5), workers: 1))
    let results = try await withThrowingTaskGroup(of: (Int, [Float]).self) { group in
        for index in 0..<40 {
            group.addTask {
                let value = Float(index) / 10
                let output = try await batcher.probabilities(Tensor(shape: [1, 2], scalars: [value, 0]))
                return (index, output.scalars)
            }
        }
        var all: [Int: [Float]] = [:]
        for try await (index, scalars) in group { all[index] = scalars }
        return all
    }
    for (index, scalars) in results {
        let expected = Tensor(shape: [1, 2], scalars: [Float(index) / 10, 0]).softmax(axis: -1).scalars
        #expect(scalars == expected)
    }
    let counts = batcher.counts
    #expect(counts.rows == 40)
    #expect(counts.batches < 20, "40 concurrent requests ran in \(counts.batches) batches")
    await batcher.drain()
}

@Test func aFullQueueRefusesAndDrainAnswersEverythingAccepted() async throws {
    let batcher = InferenceBatcher(model: served(delay: 0.05), options: BatchingOptions(maxBatchRows: 2, maxDelay: .zero, maxQueuedRows: 4, workers: 1))
    let outcomes = await withTaskGroup(of: String.self) { group in
        for _ in 0..<20 {
            group.addTask {
                do throws(ServingError) {
                    _ = try await batcher.probabilities(Tensor(shape: [1, 2], scalars: [1, 0]))
                    return "ok"
                } catch {
                    return error.code == .unavailable && error.message.contains("queue is full") ? "full" : "other: \(error.message)"
                }
            }
        }
        var all: [String] = []
        for await outcome in group { all.append(outcome) }
        return all
    }
    #expect(outcomes.filter { $0 == "full" }.count >= 1)
    #expect(outcomes.allSatisfy { $0 == "ok" || $0 == "full" })
    // Requests accepted before the drain are all answered; later ones are refused.
    let answeredBefore = batcher.counts.rows
    let pending = Task { try await batcher.probabilities(Tensor(shape: [1, 2], scalars: [0, 1])) }
    // Wait until the batcher has taken the request (queued or already run); a fixed sleep lost the race on a loaded CI machine.
    let waitLimit = ContinuousClock.now + .seconds(30)
    while batcher.queuedRowCount == 0 && batcher.counts.rows == answeredBefore && ContinuousClock.now < waitLimit {
        try await Task.sleep(for: .milliseconds(1))
    }
    await batcher.drain()
    #expect((try? await pending.value) != nil)
    await #expect(throws: ServingError.self) { _ = try await batcher.probabilities(Tensor(shape: [1, 2], scalars: [0, 1])) }
}

@Test func batchingOptionsAreChecked() {
    #expect(throws: ServingError.self) { try BatchingOptions(maxBatchRows: 0).validate() }
    #expect(throws: ServingError.self) { try BatchingOptions(maxBatchRows: 8, maxQueuedRows: 4).validate() }
    #expect(throws: ServingError.self) { try BatchingOptions(maxDelay: .seconds(2)).validate() }
    #expect(throws: Never.self) { try BatchingOptions().validate() }
}

@Test func requestsAreValidatedAgainstTheModel() throws {
    let model = served(delay: 0)
    let policy = InputPolicy(maxBatchRows: 2, validRange: 0...1)
    func request(_ name: String = "input", _ shape: [Int] = [1, 2], _ data: [Float] = [0.5, 0.5], outputs: [String] = []) -> InferenceRequest {
        InferenceRequest(inputs: [InferenceInput(name: name, shape: shape, datatype: .fp32, data: data)], requestedOutputs: outputs)
    }
    #expect(try model.batch(from: request(), policy: policy).shape == [1, 2])
    let cases: [(InferenceRequest, String)] = [
        (request("x"), "takes 'input'"), (request("input", [2]), "takes [N, 2]"), (request("input", [3, 2], [0, 0, 0, 0, 0, 0]), "batch of 3"),
        (request("input", [1, 2], [0.5, 1.5]), "input range"), (request(outputs: ["logits"]), "not an output"),
        (InferenceRequest(inputs: []), "exactly one input"),
    ]
    for (bad, fragment) in cases {
        #expect(throws: ServingError.self) { _ = try model.batch(from: bad, policy: policy) }
        do { _ = try model.batch(from: bad, policy: policy) } catch { #expect(error.message.contains(fragment), "\(error.message)") }
    }
}

@Test func servingSpecsParse() throws {
    #expect(try ServingSpec(parsing: "fmnist") == ServingSpec(model: "fmnist"))
    #expect(try ServingSpec(parsing: "fmnist@3") == ServingSpec(model: "fmnist", pinnedVersion: 3))
    for bad in ["", "@3", "m@0", "m@x", "m@"] {
        #expect(throws: ServingError.self) { _ = try ServingSpec(parsing: bad) }
    }
}

@Test func aRowTheModelCannotComputeFailsOnlyItsOwnRequest() async throws {
    // SlowEcho's logits are its input: an infinite logit gives NaN probabilities, as an ONNX graph
    // that cannot compute a row does (it answers NaN logits for it).
    let batcher = InferenceBatcher(model: served(delay: 0.02), options: BatchingOptions(maxBatchRows: 8, maxDelay: .milliseconds(20), workers: 1))
    async let good = batcher.probabilities(Tensor(shape: [1, 2], scalars: [1, 0]))
    async let bad = batcher.probabilities(Tensor(shape: [1, 2], scalars: [.infinity, 0]))
    let goodAnswer = try await good
    #expect(goodAnswer.scalars.allSatisfy { $0.isFinite })
    do {
        _ = try await bad
        Issue.record("a NaN answer was served")
    } catch let error as ServingError {
        #expect(error.code == .modelFailure)
        #expect(error.message.contains("could not compute"))
    }
    await batcher.drain()
}

/// `logits(_:alongside:)` gives the model's logits for the request's rows and the extra rows;
/// `probabilities(_:alongside:)` gives their softmax, row by row, from the same kind of pass.
@Test func logitsAndProbabilitiesComeFromTheSamePass() async throws {
    let batcher = InferenceBatcher(model: served(delay: 0), options: BatchingOptions(maxBatchRows: 8, maxDelay: .milliseconds(1), workers: 1))
    let input = Tensor(shape: [2, 2], scalars: [3, -1, 0.5, 0.25])
    let extra = Tensor(shape: [1, 2], scalars: [-2, 7])
    let (logits, extraLogits) = try await batcher.logits(input, alongside: extra)
    #expect(logits.scalars == input.scalars && extraLogits?.scalars == extra.scalars)
    let (probabilities, extraProbabilities) = try await batcher.probabilities(input, alongside: extra)
    #expect(probabilities.scalars == input.softmax(axis: -1).scalars)
    #expect(extraProbabilities?.scalars == extra.softmax(axis: -1).scalars)
    #expect(batcher.counts.batches == 2)
    await batcher.drain()
}
