// libFuzzer harness: the PNG (libpng) and JPEG (libjpeg-turbo) decoders on arbitrary bytes.
// Properties: no trap or abort; a decoded image has width × height × channels bytes, 1 or 3
// channels and sides within the limits; converting and resizing it keeps those invariants.
import BulwarkData

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzImage(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    for format in ImageDecoder.Format.allCases {
        guard let image = try? ImageDecoder.decode(bytes, format: format, label: "fuzz", maxDimension: 512, maxPixels: 1 << 16) else { continue }
        guard image.channels == 1 || image.channels == 3, image.width >= 1, image.height >= 1,
              image.width <= 512, image.height <= 512, image.pixels.count == image.width * image.height * image.channels else {
            fatalError("\(format) decoded to \(image.width)x\(image.height)x\(image.channels) with \(image.pixels.count) bytes")
        }
        let grey = ImageFolder.convert(image, channels: 1)
        let small = ImageFolder.resize(grey, to: ImageFolder.Size(height: 5, width: 7))
        guard grey.pixels.count == image.width * image.height, small.pixels.count == 35 else {
            fatalError("convert/resize lost pixels")
        }
    }
    return 0
}
