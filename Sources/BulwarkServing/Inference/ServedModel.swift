public import BulwarkModels
public import BulwarkTensor
import Foundation

/// A model version loaded for serving: the classifier, the names the protocol shows and the
/// digest of the artifact it was loaded from.
///
/// The gateway answers with class **probabilities** (the softmax of the model's logits) under
/// the output name ``outputName``, never raw logits: logits reveal more to an extraction attack,
/// and output hardening works on probabilities.
public struct ServedModel: Sendable {
    /// The registry model's name.
    public let name: String
    /// The registry version number.
    public let version: Int
    /// SHA-256 of the artifact (64 lowercase hex digits), as the registry verified it.
    public let sha256: String
    /// `onnx` for an ONNX graph, `bulwark` for a zoo model in safetensors.
    public let platform: String
    /// The input tensor's name (the ONNX graph input's, `input` for zoo models).
    public let inputName: String
    /// The registry stage the version was in when it was loaded (`production` or `staging`), the
    /// stage the access policy sees.
    public var stage: String = "production"
    /// The output tensor's name: always `probabilities`.
    public let outputName: String = "probabilities"
    /// The classifier.
    public let classifier: any DifferentiableClassifier

    /// Shape of one example, without the batch axis.
    public var inputShape: [Int] { classifier.inputShape }
    /// Number of classes.
    public var classCount: Int { classifier.classCount }

    /// A served model around an already loaded classifier.
    public init(name: String, version: Int, sha256: String, platform: String, inputName: String, classifier: any DifferentiableClassifier) {
        self.name = name
        self.version = version
        self.sha256 = sha256
        self.platform = platform
        self.inputName = inputName
        self.classifier = classifier
    }

    /// Loads the model file at `path` (ONNX or a zoo model in safetensors, recognised by content).
    ///
    /// - Throws: ``ServingError`` `.storage` naming the file when it cannot be loaded.
    public static func load(path: String, name: String, version: Int, sha256: String) throws(ServingError) -> ServedModel {
        let classifier: any DifferentiableClassifier
        do {
            classifier = try ModelLoader.classifier(path: path)
        } catch {
            throw ServingError(.storage, "model '\(name)' version \(version): \(error.message)", underlying: error)
        }
        if let onnx = classifier as? ONNXModel {
            return ServedModel(name: name, version: version, sha256: sha256, platform: "onnx",
                               inputName: onnx.summary.inputs.first?.name ?? "input", classifier: onnx)
        }
        return ServedModel(name: name, version: version, sha256: sha256, platform: "bulwark", inputName: "input", classifier: classifier)
    }

    /// Probabilities for a batch `N × inputShape` → `N × classCount`.
    public func probabilities(_ batch: Tensor) -> Tensor {
        classifier.logits(batch).softmax(axis: -1)
    }
}
