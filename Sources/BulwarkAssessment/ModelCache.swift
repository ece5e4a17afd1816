import BulwarkArchive
import BulwarkModels
import BulwarkReport
public import BulwarkSupplyChain
import BulwarkData
import BulwarkTensor
import Foundation

/// A model the assessment is about to use: trained now or found in the cache, then read once
/// and scanned. Only ``admission``'s accepted artifact can be loaded.
public struct ScannedModel: Sendable {
    /// The file.
    public var path: String
    /// Whether it was trained by this run (else reused from the cache).
    public var trainedNow: Bool
    /// Seconds spent training (0 when reused).
    public var trainingSeconds: Double
    /// The scanner's decision on the bytes read: accepted (clean, loadable) or refused.
    public var admission: ScanAdmission
    /// The scanner's result for the file.
    public var scan: ScannedFile { admission.scan }
    /// SHA-256 of the bytes scanned (and loaded), hex.
    public var sha256: String { admission.sha256 }
}

/// Finds, trains, scans and loads the assessment's model.
///
/// The file is read once; those bytes are hashed, scanned and — only when the scanner accepts
/// them — loaded, so the model loaded is exactly the one scanned. Loading takes an
/// ``AcceptedArtifact``, which only a clean scan produces.
enum ModelCache {
    /// Largest model file the assessment reads.
    static let maxModelBytes = 1 << 32

    /// Returns the cached model file or trains and saves one, then reads and scans it.
    static func prepare(_ c: AssessmentConfiguration, progress: (AssessmentProgress) -> Void) throws(AssessmentError) -> ScannedModel {
        let path = c.modelPath
        var trainedNow = false
        var trainingSeconds = 0.0
        if c.retrain || !FileManager.default.fileExists(atPath: path) {
            trainingSeconds = try train(c, to: path, progress: progress)
            trainedNow = true
        } else {
            progress(AssessmentProgress(stage: .train, message: "reusing cached model \(path)"))
        }
        progress(AssessmentProgress(stage: .scan, message: "scanning \(path) before loading it"))
        let admission: ScanAdmission
        do { admission = try ArtifactScanner().admit(path: path, maxBytes: maxModelBytes) } catch {
            throw AssessmentError(.io, "cannot read model file \(error.message)", underlying: error)
        }
        return ScannedModel(path: path, trainedNow: trainedNow, trainingSeconds: trainingSeconds, admission: admission)
    }

    /// Loads the accepted bytes as a zoo model, checking the architecture and, for a cached
    /// file, that it was trained as configured.
    static func load(_ m: AcceptedArtifact, _ c: AssessmentConfiguration) throws(AssessmentError) -> (model: Sequential, provenance: ModelProvenance) {
        let file: (tensors: [String: Tensor], metadata: [String: String])
        do { file = try SafeTensors.read(m.bytes, label: m.path) } catch { throw AssessmentError(error.description, underlying: error) }
        let recorded: ModelProvenance?
        do { recorded = try ModelProvenance(metadata: file.metadata) } catch { throw AssessmentError("\(m.path): \(error.message)", underlying: error) }
        guard let p = recorded, p.architecture == c.architecture else {
            throw AssessmentError("\(m.path) holds a '\(recorded?.architecture.rawValue ?? "unknown")' model, expected '\(c.architecture.rawValue)'; remove it or pass --retrain")
        }
        func show<T>(_ v: T?) -> String { v.map { "\($0)" } ?? "nothing" }
        // in key order, as before: dataset, epochs, seed, train_images
        if p.dataset != "fashion-mnist" { throw AssessmentError("\(m.path) records dataset = \(show(p.dataset)), expected fashion-mnist; remove it or pass --retrain") }
        if p.epochs != c.epochs { throw AssessmentError("\(m.path) records epochs = \(show(p.epochs)), expected \(c.epochs); remove it or pass --retrain") }
        if p.seed != c.seed { throw AssessmentError("\(m.path) records seed = \(show(p.seed)), expected \(c.seed); remove it or pass --retrain") }
        if let limit = c.trainLimit, p.trainImages != min(limit, 60_000) {
            throw AssessmentError("\(m.path) records train_images = \(show(p.trainImages)), expected \(min(limit, 60_000)); remove it or pass --retrain")
        }
        if c.trainLimit == nil, let images = p.trainImages, images != 60_000 {
            throw AssessmentError("\(m.path) was trained on \(images) images, expected all 60000; remove it or pass --retrain")
        }
        var model = c.architecture.makeModel()
        do { try model.load(file.tensors) } catch { throw AssessmentError("\(m.path) is not a '\(c.architecture.rawValue)' model: \(error.message)", underlying: error) }
        return (model, p)
    }

    /// Trains the configured model on Fashion-MNIST and saves it (atomically) to `path`.
    static func train(_ c: AssessmentConfiguration, to path: String, progress: (AssessmentProgress) -> Void) throws(AssessmentError) -> Double {
        let trainSet: LabeledDataset, testSet: LabeledDataset
        do {
            trainSet = try FashionMNIST.load(.train, directory: c.dataDirectory, limit: c.trainLimit)
            testSet = try FashionMNIST.load(.test, directory: c.dataDirectory)
        } catch { throw AssessmentError(error.message, underlying: error) }
        do {
            try FileManager.default.createDirectory(atPath: c.modelDirectory, withIntermediateDirectories: true)
        } catch { throw AssessmentError(.io, "cannot create model directory \(c.modelDirectory): \(error.localizedDescription)", underlying: error) }
        let run = try withoutActuallyEscaping(progress) { (progress) throws(AssessmentError) -> TrainedModel<[EpochSummary]> in
            let plain = SupervisedTraining(configuration: TrainingConfiguration(epochs: c.epochs, batchSize: c.trainBatchSize, seed: c.seed),
                                           optimizer: Adam(learningRate: c.learningRate)) { p in
                progress(AssessmentProgress(stage: .train,
                                            message: String(format: "%@ epoch %d/%d step %d/%d loss %.4f acc %.4f %.0f img/s", c.architecture.rawValue,
                                                            p.epoch, p.epochs, p.step, p.stepsPerEpoch, p.loss, p.accuracy, p.imagesPerSecond),
                                            secondsRemaining: p.secondsRemaining))
            }
            do {
                return try ModelTraining.run(plain, architecture: c.architecture, seed: c.seed, dataset: "fashion-mnist",
                                             training: (trainSet.inputs, trainSet.labels), test: (testSet.inputs, testSet.labels), saveTo: path)
            } catch { throw AssessmentError("\(error)", underlying: error) }
        }
        let seconds = run.trainingSeconds, accuracy = run.testAccuracy
        progress(AssessmentProgress(stage: .train, message: String(format: "trained %@ in %.0fs: test accuracy %.4f → %@",
                                                                   c.architecture.rawValue, seconds, accuracy, path)))
        return seconds
    }
}
