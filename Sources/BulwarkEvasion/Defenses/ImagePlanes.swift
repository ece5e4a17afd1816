import BulwarkTensor

/// The layout image transforms work on: a batch whose last two axes are height and width and
/// whose other axes (batch, channels) are flattened into independent planes.
struct ImagePlanes {
    let planes: Int, height: Int, width: Int
    var planeSize: Int { height * width }

    init(_ shape: [Int], transform: String) {
        precondition(shape.count >= 3, "\(transform) needs images (N × [C ×] H × W), got shape \(shape)")
        height = shape[shape.count - 2]
        width = shape[shape.count - 1]
        planes = shape.dropLast(2).reduce(1, *)
    }
}
