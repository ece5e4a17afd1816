import BulwarkArchive
import Foundation

/// A minimal PNG encoder for 8-bit grayscale images (used to inline images in HTML reports).
enum PNG {
    /// PNG bytes for `image`, scaled up by an integer factor with nearest-neighbour sampling.
    static func encode(_ image: GrayImage, scale: Int = 1) -> [UInt8] {
        let s = max(1, scale)
        let w = image.width * s, h = image.height * s
        var raw = [UInt8]()
        raw.reserveCapacity((w + 1) * h)
        for y in 0..<h {
            raw.append(0)  // filter type: none
            let row = (y / s) * image.width
            for x in 0..<w { raw.append(image.pixels[row + x / s]) }
        }
        var out: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        var ihdr = [UInt8]()
        ihdr += bigEndian(UInt32(w)) + bigEndian(UInt32(h))
        ihdr += [8, 0, 0, 0, 0]  // bit depth 8, grayscale, deflate, adaptive filtering, no interlace
        chunk("IHDR", ihdr, into: &out)
        chunk("IDAT", Compression.zlibCompressed(raw), into: &out)
        chunk("IEND", [], into: &out)
        return out
    }

    /// A `data:` URI for the PNG.
    static func dataURI(_ image: GrayImage, scale: Int = 1) -> String {
        "data:image/png;base64," + Data(encode(image, scale: scale)).base64EncodedString()
    }

    static func bigEndian(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }

    static func chunk(_ type: String, _ data: [UInt8], into out: inout [UInt8]) {
        let typeBytes = Array(type.utf8)
        out += bigEndian(UInt32(data.count))
        out += typeBytes
        out += data
        var crc = CRC32()
        crc.update(typeBytes)
        crc.update(data)
        out += bigEndian(crc.value)
    }
}
