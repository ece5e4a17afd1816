public import BulwarkTensor
public import BulwarkModels

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
    public func train<Teacher: TrainableModel, Student: TrainableModel, O: Optimizer>(teacher: inout Teacher, student: inout Student, inputs: Tensor, labels: [Int],
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

    /// Mini-batch training on soft-label cross-entropy at temperature T: the plain trainer
    /// with ``SoftLabelStep`` as its per-step hook.
    func run<Model: TrainableModel>(_ model: inout Model, inputs: Tensor, targets: Tensor, labels: [Int], optimizer: inout some Optimizer,
             seed: UInt64, progress: (TrainingProgress) -> Void) -> [EpochSummary] {
        var plan = configuration
        plan.seed = seed
        return BulwarkModels.train(&model, inputs: inputs, labels: labels, optimizer: &optimizer, configuration: plan,
                                   step: SoftLabelStep(targets: targets, temperature: temperature), progress: progress)
    }

    /// This plan as a procedure of ``ModelTraining``: the model it is given becomes the
    /// student; the teacher is `makeTeacher()`, trained first.
    public func procedure<O: Optimizer>(makeTeacher: @escaping () -> Sequential, makeOptimizer: @escaping () -> O,
                                        progress: @escaping (String, TrainingProgress) -> Void = { _, _ in }) -> DistillationTraining<O> {
        DistillationTraining(distillation: self, makeTeacher: makeTeacher, makeOptimizer: makeOptimizer, progress: progress)
    }

    /// This plan as a procedure for other kinds of models (e.g. an imported `ONNXModel` as the
    /// student, fine-tuned by `ModelTraining.fineTune`, with a copy of it as the teacher).
    public func procedure<Teacher: TrainableModel, Student: TrainableModel, O: Optimizer>(
        student: Student.Type, makeTeacher: @escaping () -> Teacher, makeOptimizer: @escaping () -> O,
        progress: @escaping (String, TrainingProgress) -> Void = { _, _ in }) -> DistillationTrainingOf<Teacher, Student, O> {
        DistillationTrainingOf(distillation: self, makeTeacher: makeTeacher, makeOptimizer: makeOptimizer, progress: progress)
    }
}

/// The trainer's per-step hook of distillation: cross-entropy at temperature T against each
/// example's row of soft targets.
public struct SoftLabelStep: TrainingStep {
    /// One row of targets per training example (rows sum to 1).
    public var targets: Tensor
    /// Softmax temperature T.
    public var temperature: Float

    /// A step against `targets` (shape N × classes).
    public init(targets: Tensor, temperature: Float) {
        self.targets = targets
        self.temperature = temperature
    }

    /// One optimiser step on soft-label cross-entropy at temperature T; draws nothing from `rng`.
    public func step<Model: TrainableModel, O: Optimizer>(_ model: inout Model, optimizer: inout O, batch: TrainingBatch,
                                                          context: inout ForwardContext, rng: inout SeededGenerator) -> (loss: Float, correct: Int) {
        let c = targets.shape[1]
        var tb = [Float]()
        tb.reserveCapacity(batch.indices.count * c)
        for i in batch.indices { tb += targets.scalars[(i * c)..<((i + 1) * c)] }
        let tape = Tape()
        var parameters = model.parameters
        let vars = parameters.map { tape.variable($0) }
        let (z, updates) = model.forward(tape.constant(batch.inputs), parameters: vars, context: &context)
        let loss = TrainingLosses.softCrossEntropy(logits: z, targets: Tensor(shape: [batch.indices.count, c], scalars: tb), temperature: temperature)
        optimizer.update(&parameters, gradients: tape.gradients(of: loss, wrt: vars))
        model.parameters = parameters
        model.applyBufferUpdates(updates)
        return (loss.value.scalar, zip(z.value.argmaxRows(), batch.labels).filter { $0 == $1 }.count)
    }
}

/// Defensive distillation of ``Sequential`` models as a ``TrainingProcedure``
/// (``DistillationTrainingOf`` with both models ``Sequential``).
public typealias DistillationTraining<O: Optimizer> = DistillationTrainingOf<Sequential, Sequential, O>

/// Defensive distillation as a ``TrainingProcedure``: trains a teacher, then the given model as
/// the student, and records the defence (`distillation`, its temperature) in the provenance.
public struct DistillationTrainingOf<Teacher: TrainableModel, Student: TrainableModel, O: Optimizer>: TrainingProcedure {
    /// The plan.
    public var distillation: DefensiveDistillation
    /// Makes the (untrained) teacher.
    public var makeTeacher: () -> Teacher
    /// Makes a fresh optimiser for each of teacher and student.
    public var makeOptimizer: () -> O
    /// Called after every step with the stage (`teacher`, `student`).
    public var progress: (String, TrainingProgress) -> Void

    /// Trains the teacher from `makeTeacher()`, then `model` as the student; returns both runs' epoch summaries.
    public func train(_ model: inout Student, inputs: Tensor, labels: [Int]) throws(ModelError)
        -> (teacher: [EpochSummary], student: [EpochSummary]) {
        var teacher = makeTeacher()
        return distillation.train(teacher: &teacher, student: &model, inputs: inputs, labels: labels,
                                  makeOptimizer: makeOptimizer, progress: progress)
    }

    /// Records epochs, batch size, the optimiser and the defence (`distillation`, T).
    public func record(_ outcome: (teacher: [EpochSummary], student: [EpochSummary]), in provenance: inout ModelProvenance) {
        let optimizer = makeOptimizer()
        provenance.epochs = distillation.configuration.epochs
        provenance.batchSize = distillation.configuration.batchSize
        provenance.optimizer = optimizer.name
        provenance.learningRate = optimizer.learningRate
        provenance.defence = ModelProvenance.Defence(name: "distillation", temperature: distillation.temperature)
    }
}
