import Testing
@testable import BulwarkData

/// The pixel formula of make_dataset_fixtures.py for the PNG fixtures.
func fixturePixel(_ y: Int, _ x: Int, _ c: Int, seed: Int = 0) -> UInt8 { UInt8((40 * y + 15 * x + 70 * c + seed) % 256) }
/// The gradient of make_dataset_fixtures.py for the JPEG fixtures.
func fixtureGradient(_ y: Int, _ x: Int, _ c: Int) -> Int { 40 + 12 * y + 8 * x + 30 * c }

/// PNG and JPEG decoding through libpng and libjpeg-turbo, against the pixels the fixture script wrote.
@Suite struct ImageDecoderTests {
    func decode(_ name: String) throws -> DecodedImage {
        let format = try #require(ImageDecoder.Format(fileName: name))
        return try ImageDecoder.decode(try fixtureBytes(name), format: format, label: name)
    }

    @Test func pngPixelsAreExactlyWhatTheScriptWrote() throws {
        let rgb = try decode("rgb_4x3.png")
        #expect(rgb.width == 4 && rgb.height == 3 && rgb.channels == 3)
        let expected = (0..<3).flatMap { y in (0..<4).flatMap { x in (0..<3).map { c in fixturePixel(y, x, c) } } }
        #expect(rgb.pixels == expected)
        let grey = try decode("grey_4x3.png")
        #expect(grey.channels == 1 && grey.pixels == (0..<3).flatMap { y in (0..<4).map { x in fixturePixel(y, x, 0) } })
        #expect(try decode("rgba_4x3.png") == rgb)  // opaque alpha is dropped
        let palette = try decode("palette_2x2.png")
        let a = (0..<3).map { fixturePixel(0, 0, $0) }, b = (0..<3).map { fixturePixel(1, 1, $0) }
        #expect(palette.channels == 3 && palette.pixels == a + b + b + a)
    }

    @Test func jpegPixelsAreCloseToTheGradient() throws {
        let rgb = try decode("rgb_8x8.jpg")
        #expect(rgb.width == 8 && rgb.height == 8 && rgb.channels == 3)
        var worst = 0
        for y in 0..<8 { for x in 0..<8 { for c in 0..<3 {
            worst = max(worst, abs(Int(rgb.pixels[(y * 8 + x) * 3 + c]) - fixtureGradient(y, x, c)))
        } } }
        #expect(worst <= 4, "largest JPEG error \(worst)")
        let grey = try decode("grey_8x8.jpg")
        #expect(grey.channels == 1)
        let greyWorst = (0..<64).map { abs(Int(grey.pixels[$0]) - fixtureGradient($0 / 8, $0 % 8, 0)) }.max() ?? 99
        #expect(greyWorst <= 2, "largest JPEG error \(greyWorst)")
    }

    @Test func corruptTruncatedAndHugeFilesAreOneLineErrors() throws {
        let cases: [(String, DataError.Code)] = [
            ("truncated.png", .malformed), ("crc.png", .malformed), ("notapng.png", .malformed),
            ("bomb.png", .limitExceeded), ("truncated.jpg", .malformed),
        ]
        for (name, code) in cases {
            do {
                _ = try decode(name)
                Issue.record("\(name) decoded")
            } catch let error as DataError {
                #expect(error.code == code && error.message.hasPrefix(name) && !error.message.contains("\n"), "\(error.message)")
            }
        }
        let jpeg = try fixtureBytes("rgb_8x8.jpg")
        for bytes in [[], Array(jpeg.prefix(20)), Array(jpeg.prefix(2)) + Array(repeating: 0xFF, count: 100)] {
            #expect(throws: DataError.self) { try ImageDecoder.decode(bytes, format: .jpeg, label: "x.jpg") }
        }
        #expect(throws: DataError.self) { try ImageDecoder.decode(jpeg, format: .jpeg, label: "x.jpg", maxDimension: 4) }
        #expect(throws: DataError.self) { try ImageDecoder.decode(try fixtureBytes("rgb_8x6.png"), format: .png, label: "x.png", maxPixels: 47) }
    }
}
