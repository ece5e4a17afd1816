import CJPEG
import CPNG
import Glibc

/// An 8-bit image decoded from a PNG or JPEG file: `height` rows of `width` pixels of
/// `channels` bytes (1 = grey, 3 = RGB), row-major, top row first.
public struct DecodedImage: Sendable, Equatable {
    /// Pixels per row.
    public let width: Int
    /// Number of rows.
    public let height: Int
    /// 1 (grey) or 3 (RGB).
    public let channels: Int
    /// `height × width × channels` bytes, interleaved (HWC).
    public let pixels: [UInt8]
}

/// PNG and JPEG decoding through the system's libpng (simplified `png_image_*` API) and
/// libjpeg-turbo (decompress API with an error manager that returns instead of exiting).
///
/// Every output is 8-bit grey or RGB:
/// - PNG: grey and grey+alpha files decode to grey, every other colour type (RGB, RGBA,
///   palette) to RGB; an alpha channel is composited onto black; 16-bit samples are reduced
///   to 8 bits by libpng. Values are sRGB-encoded as the simplified API delivers them: a file
///   whose `gAMA`/`cHRM`/`iCCP` chunks say otherwise is converted by libpng (most files have
///   none, and their bytes come out unchanged).
/// - JPEG: greyscale files decode to grey, YCbCr/RGB files to RGB; CMYK is refused.
///
/// Width and height are checked against the limits right after the header is read, before any
/// pixel is decompressed, so a small file cannot claim a huge image (a decompression bomb).
/// Corrupt or truncated files throw ``DataError``; they never abort the process.
public enum ImageDecoder {
    /// The image formats recognised by file extension.
    public enum Format: String, Sendable, CaseIterable {
        /// Portable Network Graphics (`.png`).
        case png
        /// JPEG (`.jpg`, `.jpeg`).
        case jpeg

        /// The format of a file name by its extension (case-insensitive), or nil.
        public init?(fileName: String) {
            let lower = fileName.lowercased()
            if lower.hasSuffix(".png") {
                self = .png
            } else if lower.hasSuffix(".jpg") || lower.hasSuffix(".jpeg") {
                self = .jpeg
            } else {
                return nil
            }
        }
    }

    /// Largest width or height accepted by default.
    public static let defaultMaxDimension = 16_384
    /// Largest pixel count (width × height) accepted by default: 64 megapixels.
    public static let defaultMaxPixels = 1 << 26

    /// Decodes `bytes` as `format`.
    /// - Parameters:
    ///   - label: names the file in error messages.
    ///   - maxDimension: the largest width or height accepted.
    ///   - maxPixels: the largest width × height accepted.
    /// - Throws: ``DataError``: `.malformed` for a corrupt or truncated file,
    ///   `.limitExceeded` for an image above the limits, `.unsupported` for CMYK JPEG.
    public static func decode(_ bytes: [UInt8], format: Format, label: String,
                              maxDimension: Int = defaultMaxDimension, maxPixels: Int = defaultMaxPixels) throws(DataError) -> DecodedImage {
        switch format {
        case .png: try decodePNG(bytes, label: label, maxDimension: maxDimension, maxPixels: maxPixels)
        case .jpeg: try decodeJPEG(bytes, label: label, maxDimension: maxDimension, maxPixels: maxPixels)
        }
    }

    static func decodePNG(_ bytes: [UInt8], label: String, maxDimension: Int, maxPixels: Int) throws(DataError) -> DecodedImage {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        let began = bytes.withUnsafeBytes { raw in
            png_image_begin_read_from_memory(&image, raw.baseAddress, raw.count)
        }
        guard began != 0 else {
            throw DataError(.malformed, "\(label): not a readable PNG (\(pngMessage(image)))")
        }
        let width = Int(image.width), height = Int(image.height)
        guard width > 0, height > 0, width <= maxDimension, height <= maxDimension, width * height <= maxPixels else {
            png_image_free(&image)
            throw DataError(.limitExceeded, "\(label): PNG of \(width)x\(height) pixels exceeds the limit (\(maxDimension) per side, \(maxPixels) in all)")
        }
        let colour = image.format & UInt32(PNG_FORMAT_FLAG_COLOR) != 0 || image.format & UInt32(PNG_FORMAT_FLAG_COLORMAP) != 0
        let channels = colour ? 3 : 1
        image.format = colour ? UInt32(PNG_FORMAT_FLAG_COLOR) : 0  // PNG_FORMAT_RGB : PNG_FORMAT_GRAY, 8-bit, no alpha
        var pixels = [UInt8](repeating: 0, count: width * height * channels)  // zeroed: alpha composites onto black
        let finished = pixels.withUnsafeMutableBytes { raw in
            png_image_finish_read(&image, nil, raw.baseAddress, Int32(width * channels), nil)
        }
        guard finished != 0 else {
            throw DataError(.malformed, "\(label): corrupt PNG (\(pngMessage(image)))")
        }
        return DecodedImage(width: width, height: height, channels: channels, pixels: pixels)
    }

    private static func pngMessage(_ image: png_image) -> String {
        withUnsafeBytes(of: image.message) { raw in
            let text = raw.prefix(while: { $0 != 0 })
            return text.isEmpty ? "libpng gave no reason" : String(decoding: text, as: UTF8.self)
        }
    }

    static func decodeJPEG(_ bytes: [UInt8], label: String, maxDimension: Int, maxPixels: Int) throws(DataError) -> DecodedImage {
        guard !bytes.isEmpty else { throw DataError(.malformed, "\(label): empty JPEG file") }
        var output: UnsafeMutablePointer<UInt8>? = nil
        var width: Int32 = 0, height: Int32 = 0, channels: Int32 = 0
        var message = [CChar](repeating: 0, count: 256)
        let status = bytes.withUnsafeBufferPointer { input in
            message.withUnsafeMutableBufferPointer { text in
                bulwark_jpeg_decode(input.baseAddress, UInt(input.count), UInt(maxDimension), UInt(maxPixels), 1000,
                                    &output, &width, &height, &channels, text.baseAddress, text.count)
            }
        }
        defer { free(output) }
        let reason = String(decoding: message.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        switch Int(status) {
        case BULWARK_JPEG_OK:
            break
        case BULWARK_JPEG_TOO_LARGE:
            throw DataError(.limitExceeded, "\(label): JPEG \(reason)")
        case BULWARK_JPEG_UNSUPPORTED:
            throw DataError(.unsupported, "\(label): JPEG \(reason)")
        default:
            throw DataError(.malformed, "\(label): corrupt JPEG (\(reason))")
        }
        let count = Int(width) * Int(height) * Int(channels)
        guard let output, count > 0, channels == 1 || channels == 3 else {
            throw DataError(.malformed, "\(label): JPEG decoded to \(width)x\(height)x\(channels)")
        }
        let pixels = Array(UnsafeBufferPointer(start: output, count: count))
        return DecodedImage(width: Int(width), height: Int(height), channels: Int(channels), pixels: pixels)
    }
}
