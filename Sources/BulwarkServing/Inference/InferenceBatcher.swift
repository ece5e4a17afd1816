public import BulwarkTensor
import BulwarkModels
import Foundation

/// How concurrent requests to one model are batched.
public struct BatchingOptions: Sendable, Equatable {
    /// Most rows (examples) in one forward pass.
    public var maxBatchRows: Int
    /// Longest a request waits for others to join its batch.
    public var maxDelay: Duration
    /// Most rows waiting; a request beyond it is refused with ``ServingError`` `.unavailable`
    /// (the gateway answers 503 with `Retry-After`), so an overload never grows memory or latency
    /// without bound.
    public var maxQueuedRows: Int
    /// Threads running forward passes (each takes one batch at a time, and with more than one,
    /// runs it on its own thread only: see `serially` in BulwarkTensor).
    public var workers: Int

    /// Options with defaults: 32 rows, 2 ms, 2048 queued rows, one worker per processor (at most 4).
    public init(maxBatchRows: Int = 32, maxDelay: Duration = .milliseconds(2), maxQueuedRows: Int = 2048,
                workers: Int? = nil) {
        self.maxBatchRows = maxBatchRows
        self.maxDelay = maxDelay
        self.maxQueuedRows = maxQueuedRows
        self.workers = workers ?? min(4, max(1, ProcessInfo.processInfo.activeProcessorCount))
    }

    /// Checks every field.
    /// - Throws: ``ServingError`` `.invalidParameter` naming the field.
    public func validate() throws(ServingError) {
        guard (1...4096).contains(maxBatchRows) else { throw ServingError(.invalidParameter, "batch rows \(maxBatchRows): expected 1 to 4096") }
        guard maxDelay >= .zero, maxDelay <= .seconds(1) else { throw ServingError(.invalidParameter, "batch delay: expected 0 to 1000 ms") }
        guard maxQueuedRows >= maxBatchRows else { throw ServingError(.invalidParameter, "queued rows \(maxQueuedRows): expected at least the batch size \(maxBatchRows)") }
        guard (1...64).contains(workers) else { throw ServingError(.invalidParameter, "workers \(workers): expected 1 to 64") }
    }
}

/// Runs one model's forward passes on dedicated threads, joining concurrent requests into
/// batches of up to ``BatchingOptions/maxBatchRows`` rows that wait at most
/// ``BatchingOptions/maxDelay``.
///
/// A worker that becomes free takes the waiting requests at once when they fill a batch, and
/// otherwise waits until the oldest has waited `maxDelay` (or the batch fills). ``drain()``
/// refuses new work and returns once everything accepted has been answered: a reload swaps in a
/// new batcher and drains the old one, so no accepted request is dropped.
///
/// ```swift
/// let classifier = try ModelLoader.classifier(path: "model.onnx")
/// let served = ServedModel(name: "fmnist", version: 1, sha256: String(repeating: "0", count: 64), platform: "onnx",
///                          inputName: "input", classifier: classifier)
/// let batcher = InferenceBatcher(model: served, options: BatchingOptions(maxBatchRows: 16, maxDelay: .milliseconds(2)))
/// let probabilities = try await batcher.probabilities(Tensor(repeating: 0.5, shape: [1] + served.inputShape))
/// print(probabilities.shape)   // [1, classes]
/// await batcher.drain()
/// ```
public final class InferenceBatcher: @unchecked Sendable {
    /// The model whose passes this batcher runs.
    public let model: ServedModel
    /// The batching options.
    public let options: BatchingOptions

    private struct Pending {
        let input: Tensor
        let rows: Int
        /// The leading rows that are the request's own: they must be finite to be answered.
        let ownRows: Int
        let arrived: ContinuousClock.Instant
        let continuation: CheckedContinuation<Result<Tensor, ServingError>, Never>
    }

    private let condition = NSCondition()
    private var queue: [Pending] = []
    private var queueHead = 0
    private var queuedRows = 0
    private var running = 0
    private var accepting = true
    private var stopped = false
    private var threadsAlive = 0
    private var batchesRun = 0
    private var rowsRun = 0

    /// Starts `options.workers` threads for `model`.
    public init(model: ServedModel, options: BatchingOptions) {
        self.model = model
        self.options = options
        threadsAlive = options.workers
        for index in 0..<options.workers {
            // With several workers each takes its own batch, so one batch's operations are not
            // split between cores again (that only added hand-offs and contention under load).
            let thread = Thread { [self] in
                if options.workers > 1 { serially { work() } } else { work() }
            }
            thread.name = "bulwark-infer-\(model.name)-\(index)"
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    /// Rows waiting for a worker now.
    public var queuedRowCount: Int { condition.withLock { queuedRows } }

    /// Batches and rows computed so far.
    public var counts: (batches: Int, rows: Int) { condition.withLock { (batchesRun, rowsRun) } }

    /// The probabilities for `input` (`N × inputShape`, N ≥ 1), computed in a batch with other
    /// requests.
    ///
    /// - Throws: ``ServingError`` `.unavailable` when the queue is full or the batcher is draining;
    ///   `.modelFailure` when the model could not compute a row of `input`.
    public func probabilities(_ input: Tensor) async throws(ServingError) -> Tensor {
        try await probabilities(input, alongside: nil).probabilities
    }

    /// The probabilities for `input` and for `extra` rows computed in the same pass (the squeezed
    /// copies a feature-squeezing detector reads, say): one trip through the queue, one batch.
    /// Only `input`'s rows must be finite; `extra`'s answers are returned as computed.
    ///
    /// - Throws: as ``probabilities(_:)``.
    public func probabilities(_ input: Tensor, alongside extra: Tensor?) async throws(ServingError) -> (probabilities: Tensor, extra: Tensor?) {
        let (logits, extraLogits) = try await logits(input, alongside: extra)
        return (logits.softmax(axis: -1), extraLogits?.softmax(axis: -1))
    }

    /// The model's logits for `input` and for `extra` rows, computed in one batch like
    /// ``probabilities(_:alongside:)`` (whose answers are their softmax, row by row). A server
    /// that monitors drift on logits takes them from here instead of running the model again.
    ///
    /// - Throws: as ``probabilities(_:)``.
    public func logits(_ input: Tensor, alongside extra: Tensor?) async throws(ServingError) -> (logits: Tensor, extra: Tensor?) {
        let own = input.shape.first ?? 0
        let combined = extra.map { Tensor.concatenateRows([input, $0]) } ?? input
        let rows = combined.shape.first ?? 0
        let result: Result<Tensor, ServingError> = await withCheckedContinuation { continuation in
            condition.lock()
            defer { condition.unlock() }
            guard accepting else {
                continuation.resume(returning: .failure(ServingError(.unavailable, "model '\(model.name)' version \(model.version) is being replaced; retry")))
                return
            }
            guard queuedRows + rows <= options.maxQueuedRows else {
                continuation.resume(returning: .failure(ServingError(.unavailable, "model '\(model.name)': the inference queue is full (\(options.maxQueuedRows) rows); retry later")))
                return
            }
            let wasEmpty = queueHead == queue.count
            queue.append(Pending(input: combined, rows: rows, ownRows: own, arrived: .now, continuation: continuation))
            queuedRows += rows
            // A worker needs waking only when it may be waiting without a deadline (the queue was
            // empty) or when the batch is now full. Otherwise a worker is already waiting for the
            // oldest request's deadline, which this one does not move: waking it per request cost
            // a futex wake and a context switch each, for nothing.
            if wasEmpty || (queuedRows >= options.maxBatchRows && queuedRows - rows < options.maxBatchRows) {
                condition.signal()
            }
        }
        let all = try result.get()
        guard extra != nil else { return (all, nil) }
        return (all.rows(0..<own), all.rows(own..<rows))
    }

    /// Refuses new requests, waits until every accepted one is answered, and stops the threads.
    public func drain() async {
        condition.withLock {
            accepting = false
            condition.broadcast()
        }
        while condition.withLock({ threadsAlive > 0 }) {
            try? await Task.sleep(for: .milliseconds(2))
        }
    }

    private func work() {
        while let batch = nextBatch() {
            let input = batch.count == 1 ? batch[0].input : Tensor.concatenateRows(batch.map(\.input))
            let output = model.classifier.logits(input)
            let rows = batch.reduce(0) { $0 + $1.rows }
            condition.withLock {
                running -= 1
                batchesRun += 1
                rowsRun += rows
            }
            guard output.shape == [rows, model.classCount] else {
                for pending in batch {
                    pending.continuation.resume(returning: .failure(ServingError(
                        .modelFailure, "model '\(model.name)' version \(model.version) answered \(output.shape) for \(rows) rows")))
                }
                continue
            }
            var offset = 0
            for pending in batch {
                let answer = output.rows(offset..<offset + pending.rows)
                offset += pending.rows
                // A row the model could not compute (an ONNX graph that fails on this batch or
                // input gives NaN logits) is never answered: the request fails, the others in the
                // batch are served.
                if answer.scalars[0..<pending.ownRows * model.classCount].allSatisfy(\.isFinite) {
                    pending.continuation.resume(returning: .success(answer))
                } else {
                    pending.continuation.resume(returning: .failure(ServingError(
                        .modelFailure, "model '\(model.name)' version \(model.version) could not compute an answer for this input")))
                }
            }
        }
        condition.withLock {
            threadsAlive -= 1
        }
    }

    /// The next batch to run, or `nil` once draining has emptied the queue.
    private func nextBatch() -> [Pending]? {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if queueHead < queue.count {
                let oldest = queue[queueHead].arrived
                let deadline = oldest.advanced(by: options.maxDelay)
                if queuedRows >= options.maxBatchRows || !accepting || ContinuousClock.now >= deadline {
                    return takeBatch()
                }
                let wait = ContinuousClock.now.duration(to: deadline)
                let seconds = Double(wait.components.seconds) + Double(wait.components.attoseconds) * 1e-18
                _ = condition.wait(until: Date().addingTimeInterval(max(0, seconds)))
                continue
            }
            if !accepting { return nil }
            condition.wait()
        }
    }

    private func takeBatch() -> [Pending] {
        var batch: [Pending] = []
        var rows = 0
        while queueHead < queue.count {
            let next = queue[queueHead]
            if !batch.isEmpty && rows + next.rows > options.maxBatchRows { break }
            batch.append(next)
            rows += next.rows
            queueHead += 1
        }
        queuedRows -= rows
        running += 1
        // What is left (a batch's worth arrived at once) is another worker's to take now.
        if queueHead < queue.count { condition.signal() }
        if queueHead > 256 && queueHead * 2 > queue.count {
            queue.removeFirst(queueHead)
            queueHead = 0
        }
        return batch
    }
}
