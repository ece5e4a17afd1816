import BulwarkTensor

/// im2col for one image, for per-example convolution gradients.
enum ConvolutionUnfolding {
    /// Writes the patches of a C×H×W image into `cols`, a (C·kh·kw) × (oh·ow) row-major matrix
    /// (zero where the window overlaps padding), in the row order of an O×C×kh×kw weight.
    static func unfold(_ image: UnsafePointer<Float>, channels: Int, height: Int, width: Int, geometry g: Conv2DGeometry,
                       outputHeight oh: Int, outputWidth ow: Int, into cols: UnsafeMutablePointer<Float>) {
        let (kh, kw) = (g.kernelHeight, g.kernelWidth)
        let pixels = oh * ow
        for row in 0..<(channels * kh * kw) {
            let ch = row / (kh * kw), ki = (row / kw) % kh, kj = row % kw
            let plane = image + ch * height * width
            let dst = cols + row * pixels
            for i in 0..<oh {
                let y = i * g.strideHeight - g.padTop + ki * g.dilationHeight
                let line = dst + i * ow
                guard y >= 0 && y < height else {
                    line.update(repeating: 0, count: ow)
                    continue
                }
                let src = plane + y * width
                for j in 0..<ow {
                    let x = j * g.strideWidth - g.padLeft + kj * g.dilationWidth
                    line[j] = (x >= 0 && x < width) ? src[x] : 0
                }
            }
        }
    }
}
