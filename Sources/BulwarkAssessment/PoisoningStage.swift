public import BulwarkPoisoning
import BulwarkData
import BulwarkModels
import BulwarkReport
import BulwarkTensor
import Foundation

/// What the poisoning stage of an assessment found and how long it took.
///
/// The stage profiles the training subset the model was trained on (corrupt records,
/// duplicates, conflicting labels, and duplicates shared with the evaluation set), then runs
/// activation clustering and spectral signatures on the model's penultimate-layer activations of
/// the first ``detectionExamples`` training examples (one forward pass shared by both).
public struct PoisoningStageResult: Sendable {
    /// The profile of the training subset, with cross-split duplicates against the evaluation set.
    public var profile: DatasetProfile
    /// Activation clustering and spectral signatures, in that order.
    public var detections: [PoisonDetectionResult]
    /// Training examples profiled.
    public var trainingExamples: Int
    /// Training examples the detectors examined (the first N).
    public var detectionExamples: Int
    /// Evaluation examples compared for cross-split duplicates.
    public var evaluationExamples: Int
    /// Wall seconds of reading the training data and profiling it.
    public var profileSeconds: Double
    /// Wall seconds of the forward pass and both detectors.
    public var detectionSeconds: Double
}

/// The poisoning stage of ``Assessment``: a data profile and two poison detectors on the
/// training data, with the assessed model.
enum PoisoningStage {
    /// Runs the stage on the training subset the configuration trains on and on `evaluation`
    /// (the attacked test images).
    /// - Throws: ``AssessmentError`` when the training data cannot be read or a detector refuses
    ///   its inputs.
    static func run(model: Sequential, configuration c: AssessmentConfiguration, evaluation: LabeledDataset,
                    progress: (AssessmentProgress) -> Void) throws(AssessmentError) -> PoisoningStageResult {
        progress(AssessmentProgress(stage: .poisoning, message: "profiling the training data"))
        let start = Date()
        let training: LabeledDataset
        do { training = try FashionMNIST.load(.train, directory: c.dataDirectory, limit: c.trainLimit) } catch {
            throw AssessmentError(error.message, underlying: error)
        }
        return try run(model: model, training: training, evaluation: evaluation, detectionLimit: c.poisoningDetectionLimit,
                       batchSize: c.batchSize, started: start, progress: progress)
    }

    /// Runs the stage on given data; `started` is when reading the training data began.
    static func run(model: Sequential, training: LabeledDataset, evaluation: LabeledDataset, detectionLimit: Int, batchSize: Int,
                    started: Date = Date(), progress: (AssessmentProgress) -> Void = { _ in }) throws(AssessmentError) -> PoisoningStageResult {
        let profile: DatasetProfile
        do { profile = try DatasetProfile.make(ValidationExamples(training), test: ValidationExamples(evaluation)) } catch {
            throw AssessmentError("training-data profile: \(error.message)", underlying: error)
        }
        let profileSeconds = Date().timeIntervalSince(started)

        let n = min(max(detectionLimit, 0), training.count)
        progress(AssessmentProgress(stage: .poisoning, message: "activation clustering and spectral signatures on \(n) training images"))
        let detectStart = Date()
        var detections: [PoisonDetectionResult] = []
        if n > 0 {
            let inputs = training.inputs.rows(0..<n), labels = Array(training.labels[0..<n])
            do throws(PoisoningError) {
                let features: Tensor
                do { features = try model.activations(inputs, afterLayer: nil, batchSize: batchSize) } catch {
                    throw PoisoningError(.invalidParameter, "activations: \(error.message)", underlying: error)
                }
                detections.append(try ActivationClustering(batchSize: batchSize).detect(features: features, labels: labels))
                detections.append(try SpectralSignatures(batchSize: batchSize).detect(features: features, labels: labels))
            } catch {
                throw AssessmentError("poison detection: \(error.message)", underlying: error)
            }
        }
        return PoisoningStageResult(profile: profile, detections: detections, trainingExamples: training.count, detectionExamples: n,
                                    evaluationExamples: evaluation.count, profileSeconds: profileSeconds,
                                    detectionSeconds: Date().timeIntervalSince(detectStart))
    }

    /// The findings of a stage's result.
    static func findings(_ r: PoisoningStageResult, reproduce: String, artifact: String) -> [Finding] {
        PoisoningFindings.findings(profile: r.profile, reproduce: reproduce)
            + PoisoningFindings.findings(detections: r.detections, reproduce: reproduce, artifact: artifact)
    }

    /// The report section of a stage's result.
    static func section(_ r: PoisoningStageResult) -> Section {
        let notes = [
            "The training data the model was trained on (\(r.trainingExamples) images) was profiled, with duplicates checked against the \(r.evaluationExamples) evaluation images"
                + String(format: " (%.2f s).", r.profileSeconds),
            "Activation clustering and spectral signatures examined the model's penultimate-layer activations of the first \(r.detectionExamples) training images"
                + String(format: " (%.2f s); no poison was injected and no ground truth is known, so flags are candidates to inspect.", r.detectionSeconds),
        ]
        return PoisoningFindings.section(detections: r.detections, profile: r.profile, notes: notes)
    }
}
