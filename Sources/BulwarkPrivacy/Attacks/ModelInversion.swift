public import BulwarkModels
public import BulwarkTensor
import Foundation

/// One class-representative reconstruction.
public struct InversionImage: Sendable, Codable, Equatable {
    /// The class reconstructed.
    public var classIndex: Int
    /// The reconstructed input, flattened, in [low, high].
    public var pixels: [Float]
    /// The model's confidence in `classIndex` on the reconstruction.
    public var confidence: Double
    /// Cosine similarity between the reconstruction and the mean of the reference examples of
    /// this class (e.g. the members), when references were given.
    public var similarityToClassMean: Double?
}

/// Model inversion (Fredrikson, Jha & Ristenpart 2015, "Model Inversion Attacks that Exploit
/// Confidence Information", MI-Face): gradient descent on the input to minimise
/// 1 − p_c(x) (here its smooth surrogate −log p_c(x)) plus an L2 prior, projected onto the valid
/// input box, giving a representative input of class c.
public enum ModelInversion {
    /// Reconstructs one input per class in `classes` (all at once, as one batch).
    public static func reconstruct(_ model: any DifferentiableClassifier, classes: [Int], steps: Int = 300, stepSize: Float = 0.1,
                                   l2: Float = 0.001, low: Float = 0, high: Float = 1,
                                   references: (Tensor, [Int])? = nil) throws(PrivacyError) -> [InversionImage] {
        guard !classes.isEmpty, classes.allSatisfy({ $0 >= 0 && $0 < model.classCount }) else {
            throw PrivacyError(parameter: "classes", message: "expected class indices in 0..<\(model.classCount)")
        }
        guard steps > 0, stepSize > 0, low < high else {
            throw PrivacyError(parameter: "inversion", message: "expected steps > 0, step size > 0 and low < high")
        }
        let shape = [classes.count] + model.inputShape
        let d = model.inputShape.reduce(1, *)
        var x = Tensor(repeating: (low + high) / 2, shape: shape)
        for _ in 0..<steps {
            let (_, g) = model.lossAndInputGradient(x, labels: classes)
            // the mean loss divides each example's gradient by the batch size: undo it
            let scale = Float(classes.count)
            x.scalars.withUnsafeMutableBufferPointer { p in
                g.scalars.withUnsafeBufferPointer { gp in
                    for i in p.indices {
                        p[i] = min(high, max(low, p[i] - stepSize * (scale * gp[i] + l2 * p[i])))
                    }
                }
            }
        }
        let stats = ExampleStatistics.of(model, inputs: x, labels: classes)
        return classes.enumerated().map { k, c in
            let pixels = Array(x.scalars[(k * d)..<((k + 1) * d)])
            var similarity: Double?
            if let (rx, ry) = references {
                let rows = ry.indices.filter { ry[$0] == c }
                if !rows.isEmpty {
                    var mean = [Double](repeating: 0, count: d)
                    for r in rows { for j in 0..<d { mean[j] += Double(rx.scalars[r * d + j]) } }
                    let dot = zip(mean, pixels).reduce(0) { $0 + $1.0 * Double($1.1) }
                    let na = mean.reduce(0) { $0 + $1 * $1 }.squareRoot(), nb = pixels.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot()
                    similarity = na > 0 && nb > 0 ? dot / (na * nb) : 0
                }
            }
            return InversionImage(classIndex: c, pixels: pixels, confidence: stats[k].confidence, similarityToClassMean: similarity)
        }
    }
}
