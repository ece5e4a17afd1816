internal import CZlib
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
        chunk("IDAT", deflate(raw), into: &out)
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
        var crc = crc32(0, nil, 0)
        crc = typeBytes.withUnsafeBufferPointer { crc32(crc, $0.baseAddress, uInt($0.count)) }
        if !data.isEmpty { crc = data.withUnsafeBufferPointer { crc32(crc, $0.baseAddress, uInt($0.count)) } }
        out += bigEndian(UInt32(truncatingIfNeeded: crc))
    }

    /// zlib-wrapped DEFLATE, as PNG's IDAT requires.
    static func deflate(_ bytes: [UInt8]) -> [UInt8] {
        var destLength = compressBound(uLong(bytes.count))
        var out = [UInt8](repeating: 0, count: Int(destLength))
        let status = out.withUnsafeMutableBufferPointer { o in
            bytes.withUnsafeBufferPointer { i in compress2(o.baseAddress, &destLength, i.baseAddress, uLong(i.count), 9) }
        }
        precondition(status == Z_OK, "zlib compress2 failed with \(status)")  // only out-of-memory can cause this
        return Array(out.prefix(Int(destLength)))
    }
}
