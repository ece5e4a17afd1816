import CBulwarkKernels

/// 3×3 convolutions with stride 1 and padding 1 through Winograd's minimal filtering
/// F(2×2, 3×3) (Lavin & Gray 2016): each 2×2 block of outputs costs 16 multiplications per
/// channel pair instead of 36. The transforms run in C (`CBulwarkKernels`, eight tiles at a
/// time); the multiplications are 16 matrix products per block of images, one per position of
/// a transformed 4×4 tile:
/// M_ξ (outputs × tiles) = U_ξ (outputs × inputs) · V_ξ (inputs × tiles).
///
/// The sums are those of the direct convolution up to rounding (the transforms add and halve;
/// the relative difference is a few float ulps of the largest term), not bit for bit.
enum Winograd {
    /// Whether a convolution takes this path: a 3×3 kernel, stride 1, dilation 1, padding 1 on
    /// every side and one group, with at least ``minimumChannels`` channels in and out.
    static func applies(_ g: Conv2DGeometry, groups: Int, inputChannels: Int, outputChannels: Int) -> Bool {
        g.kernelHeight == 3 && g.kernelWidth == 3 && g.strideHeight == 1 && g.strideWidth == 1
            && g.dilationHeight == 1 && g.dilationWidth == 1
            && g.padTop == 1 && g.padLeft == 1 && g.padBottom == 1 && g.padRight == 1
            && groups == 1 && inputChannels >= minimumChannels && outputChannels >= minimumChannels
    }

    /// Channels (in or out) below which the direct (im2col) path is faster: the products are
    /// too thin for the transforms to pay (the zoo cnn's first layer has one input channel, and
    /// so its input gradient one output channel).
    static let minimumChannels = 8

    /// The transformed kernels of an O × C × 3 × 3 weight: 16 × O × C for the forward pass, or,
    /// `flipped`, 16 × C × O for the input gradient (the kernels rotated 180°, channels swapped).
    static func kernels(_ w: Tensor, flipped: Bool) -> [Float] {
        let (o, c) = (w.shape[0], w.shape[1])
        return [Float](unsafeUninitializedCapacity: 16 * o * c) { u, initialized in
            w.scalars.withUnsafeBufferPointer { pw in
                bulwark_winograd_kernels(pw.baseAddress!, o, c, flipped ? 1 : 0, u.baseAddress!)
            }
            initialized = 16 * o * c
        }
    }

    /// Work buffers for blocks of at most `images` images of `height`×`width` with `inputs`
    /// channels in and `outputs` out (one per worker; never shared between threads).
    final class Scratch {
        let ld: Int
        let v: UnsafeMutablePointer<Float>, m: UnsafeMutablePointer<Float>
        init(images: Int, height: Int, width: Int, inputs: Int, outputs: Int) {
            ld = images * ((height + 1) / 2) * ((width + 1) / 2) + 8
            v = .allocate(capacity: 16 * inputs * ld)
            m = .allocate(capacity: 16 * outputs * ld)
        }
        deinit {
            v.deallocate()
            m.deallocate()
        }
    }

    /// Convolves `images` images (channel c of image b at `input + b·inputImageStride +
    /// c·inputChannelStride`, each plane `height`×`width` contiguous) with the transformed
    /// kernels `u` (16 × outputs × inputs), writing output channel o of image b (an H×W plane)
    /// at `output + b·outputImageStride + o·outputChannelStride`. Single-threaded: callers
    /// split the batch between workers.
    static func convolve(_ input: UnsafePointer<Float>, imageStride inputImageStride: Int, channelStride inputChannelStride: Int,
                         images: Int, inputs: Int, height: Int, width: Int, kernels u: UnsafePointer<Float>, outputs: Int,
                         scratch: Scratch, pooled: Pooled? = nil,
                         into output: UnsafeMutablePointer<Float>, imageStride outputImageStride: Int, channelStride outputChannelStride: Int) {
        let tiles = images * ((height + 1) / 2) * ((width + 1) / 2)
        let (ld, v, m) = (scratch.ld, scratch.v, scratch.m)
        precondition(tiles + 8 <= ld, "Winograd scratch sized for fewer images")
        bulwark_winograd_input(input, inputImageStride, inputChannelStride, images, inputs, height, width, v, ld)
        multiply(kernels: u, outputs: outputs, inputs: inputs, tiles: tiles, scratch: scratch)
        if let pooled {
            bulwark_winograd_output_pool(m, ld, images, outputs, height, width, pooled.bias, pooled.relu ? 1 : 0,
                                         output, outputImageStride, outputChannelStride)
        } else {
            bulwark_winograd_output(m, ld, images, outputs, height, width, output, outputImageStride, outputChannelStride)
        }
    }

    /// What ``convolve(_:imageStride:channelStride:images:inputs:height:width:kernels:outputs:scratch:pooled:into:imageStride:channelStride:)``
    /// does to each 2×2 output tile instead of writing it: adds `bias` (one per output channel,
    /// or none), takes the tile's maximum (a 2×2 max pooling with stride 2: tiles are its
    /// windows), then ReLU when `relu`. The output planes are then ⌊H/2⌋ × ⌊W/2⌋.
    struct Pooled {
        var bias: UnsafePointer<Float>?
        var relu: Bool
    }

    /// The 16 products M_ξ = U_ξ · V_ξ of a block's transformed tiles (in the scratch's `v`, into
    /// its `m`). With a few dozen input channels the inner dimension is too thin for a general
    /// sgemm, which packs both operands on every call: a kernel that reads them in place does
    /// it (where the CPU has AVX2 and FMA), else BLAS.
    static func multiply(kernels u: UnsafePointer<Float>, outputs: Int, inputs: Int, tiles: Int, scratch: Scratch) {
        let (ld, v, m) = (scratch.ld, scratch.v, scratch.m)
        for xi in 0..<16 {
            let a = u + xi * outputs * inputs, b = v + xi * inputs * ld, c = m + xi * outputs * ld
            if inputs <= thinProductChannels, bulwark_sgemm_small_k_nn(outputs, tiles, inputs, a, inputs, b, ld, c, ld) != 0 {
                continue
            }
            BLAS.serialGemm(false, false, outputs, tiles, inputs, 1, a, inputs, b, ld, 0, c, ld)
        }
    }

    /// Input channels up to which ``multiply(kernels:outputs:inputs:tiles:scratch:)`` reads the
    /// operands in place (a strip of `inputs` × 16 tiles stays in L1 up to here).
    static let thinProductChannels = 128

    /// Adds the gradients of the transformed kernels, dU_ξ (outputs × inputs) += E_ξ · V_ξᵀ, of
    /// `images` images into `du` (16 × outputs × inputs): E the transformed error tiles of the
    /// output error `dy`, V the transformed input tiles of `x` (strides as in
    /// ``convolve(_:imageStride:channelStride:images:inputs:height:width:kernels:outputs:scratch:into:imageStride:channelStride:)``).
    /// ``kernelGradients(_:outputs:inputs:)`` turns the sum into the weight gradient. The scratch
    /// is one made for the input gradient (`inputs` = outputs here, `outputs` = inputs).
    static func accumulateKernelGradients(error dy: UnsafePointer<Float>, imageStride dyImageStride: Int, channelStride dyChannelStride: Int,
                                          input x: UnsafePointer<Float>, imageStride xImageStride: Int, channelStride xChannelStride: Int,
                                          images: Int, inputs: Int, outputs: Int, height: Int, width: Int, scratch: Scratch,
                                          into du: UnsafeMutablePointer<Float>) {
        let tiles = images * ((height + 1) / 2) * ((width + 1) / 2)
        let (ld, e, v) = (scratch.ld, scratch.v, scratch.m)
        precondition(tiles + 8 <= ld, "Winograd scratch sized for fewer images")
        bulwark_winograd_error(dy, dyImageStride, dyChannelStride, images, outputs, height, width, e, ld)
        bulwark_winograd_input(x, xImageStride, xChannelStride, images, inputs, height, width, v, ld)
        for xi in 0..<16 {
            BLAS.serialGemm(false, true, outputs, inputs, tiles, 1, e + xi * outputs * ld, ld,
                            v + xi * inputs * ld, ld, 1, du + xi * outputs * inputs, inputs)
        }
    }

    /// The outputs × inputs × 3 × 3 weight gradient from the summed transformed-kernel gradients
    /// (16 × outputs × inputs).
    static func kernelGradients(_ du: [Float], outputs: Int, inputs: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: outputs * inputs * 9) { dw, initialized in
            du.withUnsafeBufferPointer { pu in bulwark_winograd_kernel_gradients(pu.baseAddress!, outputs, inputs, dw.baseAddress!) }
            initialized = outputs * inputs * 9
        }
    }
}
