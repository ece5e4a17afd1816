import BulwarkTensor
import Foundation
import Testing
@testable import BulwarkData

/// A temporary image folder: `layout` maps relative paths to fixture names (or, with a
/// `text:` prefix, to file contents).
func makeImageFolder(_ layout: [String: String]) throws -> String {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("bulwark-images-\(UUID().uuidString)")
    for (relative, source) in layout {
        let url = root.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let bytes = source.hasPrefix("text:") ? Array(source.dropFirst(5).utf8) : try fixtureBytes(source)
        try Data(bytes).write(to: url)
    }
    return root.path
}

/// One sub-folder per class, decoded to N×C×H×W in [0, 1] by the documented size and channel rule.
@Suite struct ImageFolderTests {
    @Test func classesAreSortedFolderNamesAndPixelsAreScaled() throws {
        let root = try makeImageFolder([
            "square/1.png": "rgb_4x3_b.png", "circle/2.PNG": "rgb_4x3.png", "circle/1.png": "rgba_4x3.png",
            "circle/.DS_Store": "text:junk", ".hidden/x.txt": "text:junk",
        ])
        defer { try? FileManager.default.removeItem(atPath: root) }
        let loaded = try Dataset.imageFolder(path: root).load()
        let data = loaded.examples
        #expect(loaded.classNames == ["circle", "square"])
        #expect(data.inputs.shape == [3, 3, 3, 4] && data.labels == [0, 0, 1] && data.classCount == 2)
        // example 2 (square/1.png, seed 5), channel 1, row 2, column 3
        #expect(data.inputs.scalars[2 * 36 + 1 * 12 + 2 * 4 + 3] == Float(fixturePixel(2, 3, 1, seed: 5)) / 255)
        #expect(data.inputs.scalars.allSatisfy { $0 >= 0 && $0 <= 1 })
    }

    @Test func channelsAndSizeAreConvertedOnlyWhenAsked() throws {
        let root = try makeImageFolder(["a/1.png": "grey_4x3.png", "b/1.png": "rgb_8x6.png", "b/2.jpg": "rgb_8x8.jpg"])
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(throws: DataError.self) { try Dataset.imageFolder(path: root).load() }
        let grey = try Dataset.imageFolder(path: root, size: ImageFolder.Size(height: 6, width: 8), channels: 1).load()
        #expect(grey.examples.inputs.shape == [3, 1, 6, 8])
        let rgb = try Dataset.imageFolder(path: root, size: ImageFolder.Size(height: 3, width: 4), channels: 3).load()
        #expect(rgb.examples.inputs.shape == [3, 3, 3, 4])
        // the grey image, copied to 3 channels, at its own size: every channel equals the grey value
        for c in 0..<3 { #expect(rgb.examples.inputs.scalars[c * 12 + 5] == Float(fixturePixel(1, 1, 0)) / 255) }
        // a model that wants 1×28×28 refuses 3×3×4 data with a one-line message
        do {
            _ = try Dataset.imageFolder(path: root, size: ImageFolder.Size(height: 3, width: 4), channels: 3)
                .load(DatasetLoadOptions(exampleShape: [1, 28, 28]))
            Issue.record("shape mismatch accepted")
        } catch {
            #expect(error.code == .shapeMismatch && error.message.contains("examples are 3×3×4, the model expects 1×28×28"), "\(error.message)")
        }
    }

    @Test func resizeIsBilinearWithAlignedCentres() {
        let image = DecodedImage(width: 2, height: 1, channels: 1, pixels: [0, 200])
        #expect(ImageFolder.resize(image, to: ImageFolder.Size(height: 1, width: 4)).pixels == [0, 50, 150, 200])
        let wide = DecodedImage(width: 4, height: 1, channels: 1, pixels: [0, 100, 200, 40])
        #expect(ImageFolder.resize(wide, to: ImageFolder.Size(height: 1, width: 2)).pixels == [50, 120])
        let rgb = DecodedImage(width: 1, height: 1, channels: 3, pixels: [255, 0, 100])
        #expect(ImageFolder.convert(rgb, channels: 1).pixels == [UInt8((0.299 * 255 + 0.114 * 100).rounded())])
    }

    @Test func badFoldersAreOneLineErrorsNamingTheFile() throws {
        let cases: [([String: String], String, DataError.Code)] = [
            (["a/1.png": "rgb_4x3.png", "a/notes.txt": "text:hi"], "a/notes.txt: unknown image extension", .unsupported),
            (["a/1.png": "rgb_4x3.png", "b/1.png": "rgb_8x6.png"], "b/1.png: 6x8 pixels", .shapeMismatch),
            (["a/1.png": "rgb_4x3.png", "b/1.png": "grey_4x3.png"], "b/1.png: 1 channel(s)", .shapeMismatch),
            (["a/1.png": "rgb_4x3.png", "b/1.png": "truncated.png"], "b/1.png: corrupt PNG", .malformed),
            (["a/1.png": "rgb_4x3.png", "b/1.jpg": "truncated.jpg"], "b/1.jpg: corrupt JPEG", .malformed),
            (["a/1.png": "bomb.png"], "a/1.png: PNG of 100000x100000", .limitExceeded),
            (["loose.png": "rgb_4x3.png"], "loose.png: file outside a class folder", .malformed),
            (["a/.keep": "text:"], "a: class folder holds no images", .shapeMismatch),
        ]
        for (layout, text, code) in cases {
            let root = try makeImageFolder(layout)
            defer { try? FileManager.default.removeItem(atPath: root) }
            do {
                _ = try Dataset.imageFolder(path: root).load()
                Issue.record("accepted \(layout)")
            } catch {
                #expect(error.code == code && error.message.contains(text) && !error.message.contains("\n"), "\(error.message)")
            }
        }
        let empty = try makeImageFolder([:])
        #expect(throws: DataError.self) { try Dataset.imageFolder(path: empty).load() }
        var small = ImageFolder.Limits()
        small.maxTotalBytes = 100
        let root = try makeImageFolder(["a/1.png": "rgb_4x3.png", "a/2.png": "rgb_4x3.png", "a/3.png": "rgb_4x3.png"])
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(throws: DataError.self) { try Dataset.imageFolder(path: root).load(DatasetLoadOptions(imageLimits: small)) }
    }
}
