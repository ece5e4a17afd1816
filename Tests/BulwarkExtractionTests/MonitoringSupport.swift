import BulwarkData
import BulwarkExtraction
import BulwarkModels
import BulwarkTensor
import Foundation

/// Whether the Fashion-MNIST test split is installed (Debian package dataset-fashion-mnist).
let fashionPresent = FileManager.default.fileExists(atPath: FashionMNIST.defaultDirectory + "/t10k-labels-idx1-ubyte.gz")

/// The Fashion-MNIST test split, loaded once: rows 0..<2000 make the victim, 2000..<5000
/// calibrate detectors, 5000..<10000 are benign traffic.
let fashionTest: LabeledDataset? = try? FashionMNIST.load(.test)

/// A victim cheap enough for debug tests: a nearest-centroid classifier over flattened images,
/// answering softmax(−‖x − μ_c‖² / 10).
struct NearestCentroidVictim: QueryClassifier {
    let centroids: Tensor   // C × d
    let centroidNorms: [Float]

    init(_ data: LabeledDataset) {
        let d = data.inputs.count / data.count
        var sums = [Float](repeating: 0, count: data.classCount * d)
        var counts = [Float](repeating: 0, count: data.classCount)
        for (i, label) in data.labels.enumerated() {
            counts[label] += 1
            for k in 0..<d { sums[label * d + k] += data.inputs.scalars[i * d + k] }
        }
        for c in 0..<data.classCount { for k in 0..<d { sums[c * d + k] /= max(counts[c], 1) } }
        centroids = Tensor(shape: [data.classCount, d], scalars: sums)
        centroidNorms = (0..<data.classCount).map { c in (0..<d).reduce(Float(0)) { $0 + sums[c * d + $1] * sums[c * d + $1] } }
    }

    var inputShape: [Int] { [1, 28, 28] }
    var classCount: Int { centroids.shape[0] }

    func probabilities(_ input: Tensor) -> Tensor {
        let n = input.shape[0], c = classCount, d = centroids.shape[1]
        let products = Tensor.matmul(input.reshaped([n, d]), centroids, transposeB: true)
        var logits = [Float](repeating: 0, count: n * c)
        for r in 0..<n {
            var norm: Float = 0
            for k in 0..<d { norm += input.scalars[r * d + k] * input.scalars[r * d + k] }
            for j in 0..<c {
                let squared: Float = norm - 2 * products.scalars[r * c + j] + centroidNorms[j]
                logits[r * c + j] = -squared / 10
            }
        }
        return Tensor(shape: [n, c], scalars: logits).softmax(axis: -1)
    }
}

/// A Jacobian-augmentation-like query stream (Papernot et al. 2017, as PRADA's paper attacks):
/// `seeds` start the set; each round every point so far spawns one new query, itself plus
/// `step` × a random sign per pixel, clipped to [0, 1]. Returns the queries in the order sent.
func syntheticAugmentationStream(seeds: Tensor, rounds: Int, step: Float, seed: UInt64) -> Tensor {
    var rng = SeededGenerator(seed: seed)
    let d = seeds.count / seeds.shape[0]
    var points = seeds.scalars
    for _ in 0..<rounds {
        let count = points.count / d
        for p in 0..<count {
            for k in 0..<d {
                let moved = points[p * d + k] + (rng.next() & 1 == 0 ? step : -step)
                points.append(min(max(moved, 0), 1))
            }
        }
    }
    return Tensor(shape: [points.count / d] + Array(seeds.shape.dropFirst()), scalars: points)
}
