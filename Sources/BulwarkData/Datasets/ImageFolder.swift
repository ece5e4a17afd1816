import BulwarkTensor
import Foundation

/// A labelled image dataset laid out as one sub-folder per class:
///
/// ```
/// pets/cat/001.png   pets/cat/002.jpg   pets/dog/a.jpeg   …
/// ```
///
/// - **Classes**: the sub-folders, sorted by name (byte order); class index = position, and the
///   folder names are kept as the class names. Within a class, files load in name order.
/// - **Files**: `.png`, `.jpg`, `.jpeg` (any case), decoded by ``ImageDecoder``. Hidden entries
///   (names starting with `.`) are skipped; any other file, a file outside a class folder, a
///   nested folder or a class folder without images is an error naming it.
/// - **Channels**: without `channels`, every image must have the first image's channel count
///   (1 grey or 3 RGB, as ``ImageDecoder`` decodes it). With `channels: 1`, RGB images become
///   grey by the ITU-R BT.601 luma `0.299 R + 0.587 G + 0.114 B`; with `channels: 3`, grey
///   images are copied into all three channels.
/// - **Size**: without `size`, every image must have the first image's height × width. With
///   `size`, every image is resized to it by bilinear interpolation (pixel centres aligned,
///   `src = (dst + ½)·in/out − ½`, clamped at the edges).
/// - **Values**: inputs are N×C×H×W `Float`, byte `v` becomes `v / 255`, so in [0, 1].
/// - **Limits**: each file at most `limits.maxFileBytes`; each image at most
///   `limits.maxDimension` per side and `limits.maxPixels` pixels, checked from its header
///   before decoding; the whole N×C×H×W output at most `limits.maxTotalBytes`.
///
/// ```swift
/// let pets = try ImageFolder.load(path: "pets", size: ImageFolder.Size(height: 32, width: 32), channels: 3)
/// print(pets.dataset.inputs.shape, pets.classNames)   // [N, 3, 32, 32] ["cat", "dog"]
/// ```
public enum ImageFolder {
    /// A target height × width.
    public struct Size: Codable, Sendable, Equatable, CustomStringConvertible {
        /// Rows.
        public let height: Int
        /// Columns.
        public let width: Int
        /// Creates a size.
        public init(height: Int, width: Int) {
            self.height = height
            self.width = width
        }
        /// `HxW`, e.g. `28x28`.
        public var description: String { "\(height)x\(width)" }
    }

    /// Bounds that keep a hostile folder (decompression bombs, huge files) from exhausting memory.
    public struct Limits: Sendable, Equatable {
        /// The largest image file read, in bytes.
        public var maxFileBytes: Int
        /// The largest width or height.
        public var maxDimension: Int
        /// The largest width × height of one image.
        public var maxPixels: Int
        /// The largest size of the whole decoded dataset as `Float`s, in bytes.
        public var maxTotalBytes: Int
        /// Creates limits; the defaults are 64 MiB per file, 16 384 per side, 64 megapixels per
        /// image and 4 GiB in all.
        public init(maxFileBytes: Int = 64 << 20, maxDimension: Int = ImageDecoder.defaultMaxDimension,
                    maxPixels: Int = ImageDecoder.defaultMaxPixels, maxTotalBytes: Int = 4 << 30) {
            self.maxFileBytes = maxFileBytes
            self.maxDimension = maxDimension
            self.maxPixels = maxPixels
            self.maxTotalBytes = maxTotalBytes
        }
    }

    /// What loading a folder produced.
    public struct Folder: Sendable {
        /// Inputs N×C×H×W in [0, 1] and labels.
        public let dataset: LabeledDataset
        /// The class folder names, by label.
        public let classNames: [String]
    }

    /// Loads the folder at `path` by the rule above.
    /// - Parameters:
    ///   - size: resize every image to this; nil to require one size.
    ///   - channels: 1 or 3 to convert every image; nil to require one channel count.
    ///   - classNames: the classes the folders must come from (index = position, as when test
    ///     images must use the training classes); nil for the sorted folder names.
    ///   - limits: size limits.
    /// - Throws: ``DataError``, one line naming the file or folder at fault.
    public static func load(path: String, size: Size? = nil, channels: Int? = nil, classNames: [String]? = nil,
                            limits: Limits = Limits()) throws(DataError) -> Folder {
        if let channels, channels != 1 && channels != 3 {
            throw DataError(.unsupported, "\(path): images can be converted to 1 or 3 channels, not \(channels)")
        }
        if let size, size.height < 1 || size.width < 1 || size.height > limits.maxDimension || size.width > limits.maxDimension {
            throw DataError(.limitExceeded, "\(path): target size \(size) must be between 1 and \(limits.maxDimension) per side")
        }
        let classFolders = try entries(of: path)
        for name in classFolders where !isDirectory(path + "/" + name) {
            throw DataError(.malformed, "\(path)/\(name): file outside a class folder (expected one sub-folder per class)")
        }
        guard !classFolders.isEmpty else {
            throw DataError(.shapeMismatch, "\(path): no class sub-folders (empty dataset)")
        }
        let names = classNames ?? classFolders
        var classIndex: [String: Int] = [:]
        for (i, name) in names.enumerated() where classIndex[name] == nil { classIndex[name] = i }

        var pixels: [Float] = []
        var labels: [Int] = []
        var shape: (c: Int, h: Int, w: Int)? = nil
        var firstFile = ""
        for folder in classFolders {
            let folderPath = path + "/" + folder
            guard let label = classIndex[folder] else {
                throw DataError(.shapeMismatch, "\(folderPath): class '\(folder)' is not one of the \(names.count) known classes")
            }
            let files = try entries(of: folderPath)
            guard !files.isEmpty else { throw DataError(.shapeMismatch, "\(folderPath): class folder holds no images") }
            for file in files {
                let filePath = folderPath + "/" + file
                guard !isDirectory(filePath) else {
                    throw DataError(.malformed, "\(filePath): nested folder inside a class folder")
                }
                guard let format = ImageDecoder.Format(fileName: file) else {
                    throw DataError(.unsupported, "\(filePath): unknown image extension (expected .png, .jpg or .jpeg)")
                }
                let bytes = try FileIO.read(filePath, maxBytes: limits.maxFileBytes)
                var image = try ImageDecoder.decode(bytes, format: format, label: filePath,
                                                    maxDimension: limits.maxDimension, maxPixels: limits.maxPixels)
                if let channels { image = convert(image, channels: channels) }
                if let size { image = resize(image, to: size) }
                if let shape {
                    guard image.channels == shape.c else {
                        throw DataError(.shapeMismatch, "\(filePath): \(image.channels) channel(s), \(firstFile) has \(shape.c); pass a channel count to convert")
                    }
                    guard image.height == shape.h, image.width == shape.w else {
                        throw DataError(.shapeMismatch, "\(filePath): \(image.height)x\(image.width) pixels, \(firstFile) has \(shape.h)x\(shape.w); pass a target size to resize")
                    }
                } else {
                    shape = (image.channels, image.height, image.width)
                    firstFile = filePath
                }
                let (total, overflow) = (pixels.count + image.pixels.count).multipliedReportingOverflow(by: 4)
                guard !overflow, total <= limits.maxTotalBytes else {
                    throw DataError(.limitExceeded, "\(filePath): the decoded images exceed the limit of \(limits.maxTotalBytes) bytes")
                }
                appendPlanar(image, to: &pixels)
                labels.append(label)
            }
        }
        guard let shape else { throw DataError(.shapeMismatch, "\(path): no images (empty dataset)") }
        let flat = pixels
        let inputs = Tensor(shape: [labels.count, shape.c, shape.h, shape.w], unsafeUninitializedCapacity: { out in
            for i in 0..<flat.count { out[i] = flat[i] }
        })
        let dataset = try LabeledDataset(inputs: inputs, labels: labels, classCount: max(1, names.count))
        return Folder(dataset: dataset, classNames: names)
    }

    /// The non-hidden names in a directory, sorted by bytes.
    private static func entries(of path: String) throws(DataError) -> [String] {
        guard isDirectory(path) else { throw DataError(.io, "\(path): not a folder") }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: path)
        } catch {
            throw DataError(.io, "\(path): cannot list the folder (\(error.localizedDescription))", underlying: error)
        }
        return names.filter { !$0.hasPrefix(".") }.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    }

    private static func isDirectory(_ path: String) -> Bool {
        var directory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &directory) && directory.boolValue
    }

    /// Appends the image as C planes of H×W values in [0, 1].
    private static func appendPlanar(_ image: DecodedImage, to out: inout [Float]) {
        let plane = image.height * image.width
        out.reserveCapacity(out.count + plane * image.channels)
        for c in 0..<image.channels {
            for p in 0..<plane { out.append(Float(image.pixels[p * image.channels + c]) / 255) }
        }
    }

    /// The image with `channels` channels (grey ↔ RGB by the rule in the type's documentation).
    package static func convert(_ image: DecodedImage, channels: Int) -> DecodedImage {
        guard image.channels != channels else { return image }
        let n = image.width * image.height
        var out = [UInt8](repeating: 0, count: n * channels)
        if channels == 1 {
            for p in 0..<n {
                let r = Double(image.pixels[3 * p]), g = Double(image.pixels[3 * p + 1]), b = Double(image.pixels[3 * p + 2])
                out[p] = UInt8(min(255, (0.299 * r + 0.587 * g + 0.114 * b).rounded()))
            }
        } else {
            for p in 0..<n { for c in 0..<3 { out[3 * p + c] = image.pixels[p] } }
        }
        return DecodedImage(width: image.width, height: image.height, channels: channels, pixels: out)
    }

    /// The image resized to `size` by bilinear interpolation with aligned pixel centres.
    package static func resize(_ image: DecodedImage, to size: Size) -> DecodedImage {
        guard image.height != size.height || image.width != size.width else { return image }
        let c = image.channels
        func taps(_ outCount: Int, _ inCount: Int) -> [(Int, Int, Double)] {
            let scale = Double(inCount) / Double(outCount)
            return (0..<outCount).map { o in
                let s = min(max((Double(o) + 0.5) * scale - 0.5, 0), Double(inCount - 1))
                let lo = Int(s.rounded(.down))
                return (lo, min(lo + 1, inCount - 1), s - Double(lo))
            }
        }
        let rows = taps(size.height, image.height), cols = taps(size.width, image.width)
        var out = [UInt8](repeating: 0, count: size.height * size.width * c)
        for (y, (y0, y1, fy)) in rows.enumerated() {
            for (x, (x0, x1, fx)) in cols.enumerated() {
                for k in 0..<c {
                    func at(_ yy: Int, _ xx: Int) -> Double { Double(image.pixels[(yy * image.width + xx) * c + k]) }
                    let top = at(y0, x0) * (1 - fx) + at(y0, x1) * fx
                    let bottom = at(y1, x0) * (1 - fx) + at(y1, x1) * fx
                    out[(y * size.width + x) * c + k] = UInt8(min(255, max(0, (top * (1 - fy) + bottom * fy).rounded())))
                }
            }
        }
        return DecodedImage(width: size.width, height: size.height, channels: c, pixels: out)
    }
}
