public import BulwarkTensor
import Foundation

/// JPEG compression as a defence (Dziugaite et al. 2016; Das et al. 2017; Guo et al. 2018),
/// grayscale baseline JPEG without the entropy coder (which is lossless): each channel is
/// taken to 8-bit integers, level-shifted by 128, cut into 8×8 blocks (edges replicated to a
/// multiple of 8), transformed by the orthonormal 2-D DCT-II, divided by the standard luminance
/// quantisation table (ITU-T T.81 Annex K, scaled by `quality` as libjpeg does), rounded,
/// de-quantised, inverse-transformed, rounded back to 8 bits and mapped to [0, 1].
///
/// Rounding makes its gradient zero almost everywhere (a naive attacker sees nothing); the
/// output is close to the input, so BPDA uses the identity (Athalye et al. 2018).
public struct JPEGCompression: InputTransform {
    /// libjpeg quality, 1…100 (lower compresses harder).
    public let quality: Int
    /// JPEG at `quality`.
    public init(quality: Int = 75) {
        precondition((1...100).contains(quality), "JPEG quality must be 1…100, got \(quality)")
        self.quality = quality
    }
    /// `"jpeg-<quality>"`.
    public var name: String { "jpeg-\(quality)" }
    /// Identity.
    public var bpda: GradientApproximation { .identity }

    /// ITU-T T.81 Table K.1, luminance, row-major.
    static let luminance: [Int] = [
        16, 11, 10, 16, 24, 40, 51, 61,   12, 12, 14, 19, 26, 58, 60, 55,
        14, 13, 16, 24, 40, 57, 69, 56,   14, 17, 22, 29, 51, 87, 80, 62,
        18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
        49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
    ]

    /// The quantisation table at this quality (libjpeg's `jpeg_quality_scaling`, entries 1…255).
    public var quantisationTable: [Float] {
        let scale = quality < 50 ? 5000 / quality : 200 - 2 * quality
        return Self.luminance.map { Float(Swift.min(Swift.max(($0 * scale + 50) / 100, 1), 255)) }
    }

    /// Orthonormal DCT-II basis: `basis[u * 8 + x] = c(u) cos((2x + 1) u π / 16)`.
    static let basis: [Float] = (0..<64).map { i in
        let u = i / 8, x = i % 8
        let c = u == 0 ? (1.0 / 8).squareRoot() : (2.0 / 8).squareRoot()
        return Float(c * cos(Double(2 * x + 1) * Double(u) * Double.pi / 16))
    }

    /// Forward 2-D DCT of one 8×8 block (`inverse` applies the transpose, i.e. the inverse).
    static func dct8x8(_ block: [Float], inverse: Bool) -> [Float] {
        var tmp = [Float](repeating: 0, count: 64), out = [Float](repeating: 0, count: 64)
        let b = basis
        // rows: tmp[r][u] = Σ_x B[u][x] block[r][x]   (inverse: Σ_u B[u][x] block[r][u])
        for r in 0..<8 {
            for u in 0..<8 {
                var s: Float = 0
                for x in 0..<8 { s += (inverse ? b[x * 8 + u] : b[u * 8 + x]) * block[r * 8 + x] }
                tmp[r * 8 + u] = s
            }
        }
        for v in 0..<8 {
            for u in 0..<8 {
                var s: Float = 0
                for y in 0..<8 { s += (inverse ? b[y * 8 + v] : b[v * 8 + y]) * tmp[y * 8 + u] }
                out[v * 8 + u] = s
            }
        }
        return out
    }

    /// The compressed-and-decompressed batch, in [0, 1].
    public func apply(_ input: Tensor, seed: UInt64) -> Tensor {
        let p = ImagePlanes(input.shape, transform: name)
        let q = quantisationTable
        let bh = (p.height + 7) / 8, bw = (p.width + 7) / 8
        var out = [Float](repeating: 0, count: input.count)
        let x = input.scalars
        var block = [Float](repeating: 0, count: 64)
        for plane in 0..<p.planes {
            let base = plane * p.planeSize
            for by in 0..<bh {
                for bx in 0..<bw {
                    for i in 0..<64 {
                        let r = Swift.min(by * 8 + i / 8, p.height - 1), c = Swift.min(bx * 8 + i % 8, p.width - 1)
                        let v = Swift.min(Swift.max(x[base + r * p.width + c], 0), 1)
                        block[i] = (v * 255).rounded() - 128
                    }
                    var coefficients = Self.dct8x8(block, inverse: false)
                    for i in 0..<64 { coefficients[i] = (coefficients[i] / q[i]).rounded() * q[i] }
                    let pixels = Self.dct8x8(coefficients, inverse: true)
                    for i in 0..<64 {
                        let r = by * 8 + i / 8, c = bx * 8 + i % 8
                        guard r < p.height, c < p.width else { continue }
                        out[base + r * p.width + c] = Swift.min(Swift.max((pixels[i] + 128).rounded(), 0), 255) / 255
                    }
                }
            }
        }
        return Tensor(shape: input.shape, scalars: out)
    }

    /// Zero: every path passes through rounding.
    public func plainGradient(input: Variable, output: Tensor) -> Variable { zeroGradient(input: input, output: output) }
}
