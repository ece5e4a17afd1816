/// Parses a transform description such as `"jpeg:75"` or `"bit-depth:1"` (the CLI's and a
/// report's way to name a pre-processing defence).
public enum TransformSpec {
    /// The names understood, with their parameter.
    public static let help = "bit-depth:BITS, median:SIZE, smoothing:SIGMA, jpeg:QUALITY, tv:LAMBDA, thermometer:LEVELS"

    /// The transform `text` names.
    /// - Throws: ``EvasionError`` naming the bad part.
    public static func parse(_ text: String) throws(EvasionError) -> any InputTransform {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        let name = parts.first ?? ""
        let arg = parts.count > 1 ? parts[1] : nil
        func int(_ d: Int, _ range: ClosedRange<Int>) throws(EvasionError) -> Int {
            guard let a = arg else { return d }
            guard let v = Int(a), range.contains(v) else { throw EvasionError("transform '\(text)': parameter must be an integer in \(range)") }
            return v
        }
        func float(_ d: Float) throws(EvasionError) -> Float {
            guard let a = arg else { return d }
            guard let v = Float(a), v > 0, v.isFinite else { throw EvasionError("transform '\(text)': parameter must be a positive number") }
            return v
        }
        switch name {
        case "bit-depth": return BitDepthReduction(bits: try int(1, 1...16))
        case "median": return MedianFilter(size: try int(2, 2...7))
        case "smoothing": return SpatialSmoothing(sigma: try float(1))
        case "jpeg": return JPEGCompression(quality: try int(75, 1...100))
        case "tv": return TotalVariationMinimization(lambda: try float(0.03))
        case "thermometer": return ThermometerEncoding(levels: try int(16, 2...256))
        default: throw EvasionError("unknown transform '\(text)' (supported: \(help))")
        }
    }
}
