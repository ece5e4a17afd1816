import BulwarkTensor

/// Fashion-MNIST (Xiao, Rasul & Vollgraf 2017): 28×28 grey images of clothing in 10 classes,
/// 60 000 for training and 10 000 for testing, read from the IDX files of the Debian package
/// `dataset-fashion-mnist` (or any directory holding the same four `.gz` files; MNIST files
/// with the same names load too).
///
/// ```swift
/// let train = try FashionMNIST.load(.train)            // inputs 60000×1×28×28 in [0, 1]
/// let test = try FashionMNIST.load(.test, limit: 1000)
/// ```
public enum FashionMNIST {
    /// Where the Debian package installs the files.
    public static let defaultDirectory = "/usr/share/datasets/fashion-mnist"

    /// The class names, by label.
    public static let classNames = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]

    /// Which half of the dataset.
    public enum Split: String, Sendable, CaseIterable {
        /// The 60 000 training examples (`train-*`).
        case train
        /// The 10 000 test examples (`t10k-*`).
        case test

        var filePrefix: String { self == .train ? "train" : "t10k" }
    }

    /// Loads a split: images scaled to [0, 1] as `Float`, shaped N×1×28×28, labels 0…9.
    /// - Parameters:
    ///   - split: training or test examples.
    ///   - directory: the folder holding `{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz`.
    ///   - limit: keep only the first `limit` examples.
    /// - Throws: ``DataError`` naming the missing or malformed file.
    public static func load(_ split: Split, directory: String = defaultDirectory, limit: Int? = nil) throws(DataError) -> LabeledDataset {
        let imagesPath = "\(directory)/\(split.filePrefix)-images-idx3-ubyte.gz"
        let labelsPath = "\(directory)/\(split.filePrefix)-labels-idx1-ubyte.gz"
        let images = try readIDX(imagesPath)
        let labels = try readIDX(labelsPath)
        guard images.shape.count == 3, images.shape[1] == 28, images.shape[2] == 28, case .uint8(let pixels) = images.storage else {
            throw DataError(.malformed, "\(imagesPath): expected uint8 images of shape N×28×28, got \(images.dtype.rawValue) \(images.shape)")
        }
        guard labels.shape.count == 1, case .uint8(let classBytes) = labels.storage else {
            throw DataError(.malformed, "\(labelsPath): expected N uint8 labels, got \(labels.dtype.rawValue) \(labels.shape)")
        }
        guard classBytes.count == images.shape[0] else {
            throw DataError(.shapeMismatch, "\(labelsPath): \(classBytes.count) labels for \(images.shape[0]) images in \(imagesPath)")
        }
        let n = min(limit.map { max(0, $0) } ?? classBytes.count, classBytes.count)
        let pixelCount = n * 784
        let inputs = Tensor(shape: [n, 1, 28, 28], unsafeUninitializedCapacity: { out in
            for i in 0..<pixelCount { out[i] = Float(pixels[i]) / 255 }
        })
        do {
            return try LabeledDataset(inputs: inputs, labels: classBytes[0..<n].map { Int($0) }, classCount: 10)
        } catch {
            throw DataError(error.code, "\(labelsPath): \(error.message)", underlying: error)
        }
    }

    private static func readIDX(_ path: String) throws(DataError) -> NDArray {
        do {
            return try IDX.read(path: path)
        } catch {
            if error.code == .io {
                throw DataError(.io, "\(error.message); install the Debian package dataset-fashion-mnist or pass the directory holding the Fashion-MNIST files", underlying: error)
            }
            throw error
        }
    }
}
