public import BulwarkTensor
public import BulwarkModels
import Foundation

/// Defensive distillation (Papernot, McDaniel, Wu, Jha & Swami, "Distillation as a Defense to
/// Adversarial Perturbations against Deep Neural Networks", IEEE S&P 2016): train a teacher
/// with softmax at temperature `T`, then a student of the same architecture on the teacher's
/// soft labels `softmax(z_teacher / T)` at the same temperature; deploy the student at T = 1.
///
/// Known to be broken (Carlini & Wagner 2016/2017): at T = 1 the student's logits are about
/// T times larger, softmax saturates and cross-entropy gradients vanish in `Float` — gradient
/// masking that ``GradientMaskingChecklist``'s gradient-health and black-box checks are meant
/// to expose. Shipped so that evaluations can show exactly that.
public struct DefensiveDistillation: Sendable {
    /// Softmax temperature T (> 0; the paper uses 20–100).
    public var temperature: Float
    /// Epochs, batch size and seed of each of the two training runs.
    public var configuration: TrainingConfiguration

    /// A distillation plan.
    public init(temperature: Float = 20, configuration: TrainingConfiguration = TrainingConfiguration()) {
        precondition(temperature > 0 && temperature.isFinite, "distillation temperature must be positive")
        self.temperature = temperature
        self.configuration = configuration
    }

    /// Trains `teacher` at temperature T on hard labels, then `student` on its soft labels.
    /// Returns the per-epoch summaries of (teacher, student).
    @discardableResult
    public func train<O: Optimizer>(teacher: inout Sequential, student: inout Sequential, inputs: Tensor, labels: [Int],
                                    makeOptimizer: () -> O,
                                    progress: (String, TrainingProgress) -> Void = { _, _ in }) -> (teacher: [EpochSummary], student: [EpochSummary]) {
        let n = labels.count
        let c = teacher.classCount
        var hard = [Float](repeating: 0, count: n * c)
        for (i, y) in labels.enumerated() { hard[i * c + y] = 1 }
        var opt = makeOptimizer()
        let t = run(&teacher, inputs: inputs, targets: Tensor(shape: [n, c], scalars: hard), labels: labels, optimizer: &opt,
                    seed: configuration.seed) { progress("teacher", $0) }
        // Soft labels of the teacher at temperature T, in batches.
        var soft: [Float] = []
        soft.reserveCapacity(n * c)
        for start in stride(from: 0, to: n, by: 512) {
            soft += (teacher.logits(inputs.rows(start..<min(n, start + 512))) * (1 / temperature)).softmax(axis: 1).scalars
        }
        var opt2 = makeOptimizer()
        let s = run(&student, inputs: inputs, targets: Tensor(shape: [n, c], scalars: soft), labels: labels, optimizer: &opt2,
                    seed: configuration.seed &+ 1) { progress("student", $0) }
        return (t, s)
    }

    /// Mini-batch training on soft-label cross-entropy at temperature T.
    func run(_ model: inout Sequential, inputs: Tensor, targets: Tensor, labels: [Int], optimizer: inout some Optimizer,
             seed: UInt64, progress: (TrainingProgress) -> Void) -> [EpochSummary] {
        let n = labels.count
        let c = targets.shape[1]
        var rng = SeededGenerator(seed: seed)
        var context = ForwardContext(training: true, seed: rng.next())
        let steps = (n + configuration.batchSize - 1) / configuration.batchSize
        var out: [EpochSummary] = []
        for epoch in 1...max(configuration.epochs, 1) where configuration.epochs > 0 {
            let order = randomPermutation(n, using: &rng)
            let start = Date()
            var lossSum = 0.0, correct = 0, seen = 0
            for step in 0..<steps {
                let idx = Array(order[(step * configuration.batchSize)..<min(n, (step + 1) * configuration.batchSize)])
                let x = inputs.gatherRows(idx)
                var tb = [Float](); tb.reserveCapacity(idx.count * c)
                for i in idx { tb += targets.scalars[(i * c)..<((i + 1) * c)] }
                let tape = Tape()
                var parameters = model.parameters
                let vars = parameters.map { tape.variable($0) }
                let (z, updates) = model.forward(tape.constant(x), parameters: vars, context: &context)
                let loss = TrainingLosses.softCrossEntropy(logits: z, targets: Tensor(shape: [idx.count, c], scalars: tb), temperature: temperature)
                optimizer.update(&parameters, gradients: tape.gradients(of: loss, wrt: vars))
                model.parameters = parameters
                model.applyBufferUpdates(updates)
                lossSum += Double(loss.value.scalar) * Double(idx.count)
                correct += zip(z.value.argmaxRows(), idx.map { labels[$0] }).filter { $0 == $1 }.count
                seen += idx.count
                let elapsed = Date().timeIntervalSince(start)
                progress(TrainingProgress(reportingEpoch: epoch, epochs: configuration.epochs, step: step + 1, stepsPerEpoch: steps,
                                          loss: lossSum / Double(seen), accuracy: Double(correct) / Double(seen),
                                          imagesPerSecond: Double(seen) / max(elapsed, 1e-9),
                                          secondsRemaining: 0))
            }
            let seconds = Date().timeIntervalSince(start)
            out.append(EpochSummary(recordingEpoch: epoch, loss: lossSum / Double(max(seen, 1)), trainAccuracy: Double(correct) / Double(max(seen, 1)),
                                    seconds: seconds, imagesPerSecond: Double(seen) / max(seconds, 1e-9)))
        }
        return out
    }
}
