public import BulwarkModels
public import BulwarkTensor
import Foundation

/// The per-example gradients of a batch, held in factored form — each trainable layer's input
/// activations `a_i` and the backpropagated errors `δ_i = ∂ℓ_i/∂z_i` of its output — and
/// **not clipped**.
///
/// One forward and one backward pass give the factors for the whole batch; nothing is looped
/// per example through autodiff. From them:
/// - Dense: `g_i = δ_i a_iᵀ`, so `‖g_i‖² = ‖a_i‖²·‖δ_i‖²` (the ghost-norm identity, Goodfellow
///   2015) and the bias part is `‖δ_i‖²`.
/// - Conv2D: with `U_i` the unfolded input (rows × pixels) and `Δ_i` the error (channels × pixels),
///   `g_i = Δ_i U_iᵀ`. Where that costs fewer operations than the ghost norm
///   `⟨Δ_iᵀΔ_i, U_iᵀU_i⟩` (every layer of the zoo cnn), the per-example weight gradients are
///   materialised in one batched kernel (``Convolution/perExampleWeightGradients(_:_:weightShape:geometry:)``)
///   and kept, so the clipped sum is one weighted sum of them; otherwise (small feature maps, many
///   channels: ghost norms; or too many floats to keep: direct norms in chunks) only the norms
///   are kept and the clipped sum is a second weight-gradient pass with c-scaled errors.
///
/// The only way to turn this into something an optimiser accepts is ``clipped(maxNorm:)``, which
/// returns a ``ClippedGradientSum``: an unclipped gradient cannot be passed where a clipped one
/// is expected.
public struct PerExampleGradients {
    /// One trainable layer's factors.
    struct LayerFactors {
        enum Kind {
            case dense
            case conv(Conv2DGeometry, weightShape: [Int])
        }
        var kind: Kind
        /// Layer input (N×in for Dense, N×C×H×W for Conv2D).
        var input: Tensor
        /// ∂(Σ_i ℓ_i)/∂(layer output), same shape as the output.
        var outputError: Tensor
        /// Conv2D only, when materialised: example i's weight gradient, N × O × (C·kh·kw).
        var perExampleWeight: Tensor? = nil
        /// Conv2D only: example i's bias gradient (its error summed over pixels), N × O.
        var perExampleBias: Tensor? = nil
    }

    let layers: [LayerFactors]
    /// An imported ONNX graph's factors (then `layers` is empty).
    var graph: GraphFactors?
    /// Examples in the batch.
    public let batchSize: Int
    /// Per-example losses ℓ_i (softmax cross-entropy).
    public let losses: [Float]
    /// Predicted class per example (from the training-mode forward pass).
    public let predictions: [Int]
    /// Squared L2 norm of each example's full gradient (all parameters).
    public let squaredNorms: [Float]

    /// Per-example gradient norms ‖g_i‖₂.
    public var norms: [Float] { squaredNorms.map { $0.squareRoot() } }

    /// Runs one forward and one backward pass of `model` on a batch and collects the factors.
    ///
    /// - Throws: ``PrivacyError`` when a layer mixes examples in training (batch normalisation,
    ///   alone or inside a ``ResidualBlock``: no per-example gradient exists, so clipping bounds
    ///   nothing), when the model has another trainable layer than Dense or Conv2D with
    ///   groups = 1, or when the inputs do not fit the model.
    public init(model: Sequential, inputs: Tensor, labels: [Int]) throws(PrivacyError) {
        let n = labels.count
        guard inputs.shape.first == n, Array(inputs.shape.dropFirst()) == model.inputShape else {
            throw PrivacyError(parameter: "inputs", message: "expected \(n)×\(model.inputShape) inputs, got \(inputs.shape)")
        }
        try Self.checkLayers(of: model)
        if let bad = labels.first(where: { $0 < 0 || $0 >= model.classCount }) {
            throw PrivacyError(parameter: "labels", message: "label \(bad) outside 0..<\(model.classCount)")
        }
        batchSize = n
        if n == 0 {
            layers = []; losses = []; predictions = []; squaredNorms = []
            return
        }
        let tape = Tape()
        // A leaf that requires a gradient: each tap depends on it, so the backward pass records
        // exactly the ops after the first trainable layer and computes only input errors.
        let anchor = tape.variable(Tensor(0))
        var captures: [ErrorCapture] = []
        var inputsSeen: [Tensor] = []
        var kinds: [LayerFactors.Kind] = []
        var outputShapes: [[Int]] = []
        // per tapped layer: when its convolution ran fused with the max pooling after it, the
        // pooling's indices (the tap then sees the pooled error) and the convolution's output shape
        var pooled: [(indices: [Int32], shape: [Int])?] = []
        var context = ForwardContext(training: true)
        var x = tape.constant(inputs)
        var skip = 0
        for (i, layer) in model.layers.enumerated() {
            if skip > 0 { skip -= 1; continue }
            let params = layer.parameters.map { tape.constant($0) }
            context.updatedBuffers = nil
            let next = i + 1 < model.layers.count ? model.layers[i + 1] : nil
            let reluNext = (next as? Activation)?.kind == .relu
            let poolAt = reluNext ? i + 2 : i + 1
            let pool = poolAt < model.layers.count ? model.layers[poolAt] as? MaxPool2D : nil
            if let conv = layer as? Conv2D, let pool {
                // a convolution whose output only a max pooling reads (ReLU between them moves
                // after the pooling, as in `Sequential.forward`): one fused operation, tapped
                // after the pooling; its own error is rebuilt from the pooled one and the indices
                inputsSeen.append(x.value)
                kinds.append(.conv(conv.geometry, weightShape: conv.weight.shape))
                let capture = ErrorCapture()
                captures.append(capture)
                let (y, indices) = conv2dMaxPoolIndexed(x, weight: params[0], bias: params[1], geometry: conv.geometry,
                                                        groups: conv.groups, pool: pool.geometry)
                let (oh, ow) = conv.geometry.outputSize(height: x.shape[2], width: x.shape[3])
                pooled.append((indices, [x.shape[0], conv.outputChannels, oh, ow]))
                x = tap(y, anchor: anchor, capture: capture)
                outputShapes.append(x.shape)
                if reluNext { x = x.relu() }
                skip = reluNext ? 2 : 1
            } else if (layer as? Activation)?.kind == .relu, let pool = next as? MaxPool2D {
                // ReLU then max pooling: pool first, as `Sequential.forward` does (ReLU is monotone:
                // the same values and errors, with ReLU on the pooled map)
                x = maxPool2d(x, geometry: pool.geometry).relu()
                skip = 1
            } else if let conv = layer as? Conv2D {
                pooled.append(nil)
                inputsSeen.append(x.value)
                kinds.append(.conv(conv.geometry, weightShape: conv.weight.shape))
                let capture = ErrorCapture()
                captures.append(capture)
                x = tap(layer.forward(x, parameters: params[...], context: &context), anchor: anchor, capture: capture)
                outputShapes.append(x.shape)
            } else if layer is Dense {
                pooled.append(nil)
                inputsSeen.append(x.value)
                kinds.append(.dense)
                let capture = ErrorCapture()
                captures.append(capture)
                x = tap(layer.forward(x, parameters: params[...], context: &context), anchor: anchor, capture: capture)
                outputShapes.append(x.shape)
            } else {
                x = layer.forward(x, parameters: params[...], context: &context)
            }
        }
        let logits = x
        // Σ_i ℓ_i, so each error row is example i's own gradient (no 1/N).
        let total = softmaxCrossEntropy(logits: logits, labels: labels) * Float(n)
        _ = tape.gradients(of: total, wrt: [anchor])
        var factors: [LayerFactors] = []
        var sq = [Float](repeating: 0, count: n)
        for k in kinds.indices {
            var error = captures[k].value ?? Tensor.zeros(outputShapes[k])
            if let (indices, shape) = pooled[k] { error = Pooling.maxBackward(error, indices: indices, inputShape: shape) }
            var f = LayerFactors(kind: kinds[k], input: inputsSeen[k], outputError: error)
            let part: [Float]
            switch f.kind {
            case .dense:
                part = Self.denseSquaredNorms(input: f.input, error: f.outputError)
            case let .conv(g, weightShape):
                (part, f.perExampleWeight, f.perExampleBias) = Self.convSquaredNorms(input: f.input, error: f.outputError, geometry: g,
                                                                   weightShape: weightShape)
            }
            for i in 0..<n { sq[i] += part[i] }
            factors.append(f)
        }
        layers = factors
        let logp = logits.value.logSoftmax(axis: 1)
        let c = model.classCount
        losses = (0..<n).map { -logp.scalars[$0 * c + labels[$0]] }
        predictions = logits.value.argmaxRows()
        squaredNorms = sq
    }

    /// Refuses a model DP-SGD cannot train: one with a layer that mixes examples in training
    /// (batch normalisation) or with a trainable layer other than Dense or Conv2D with groups 1.
    static func checkLayers(of model: Sequential) throws(PrivacyError) {
        for (i, layer) in model.layers.enumerated() where layer.mixesExamplesInTraining {
            // Opacus refuses batch normalisation for the same reason.
            throw PrivacyError(parameter: "model", message: "layer \(i) \(layer.summary) uses batch statistics, which mix examples, so per-example clipping does not bound DP-SGD's sensitivity; train a model without batch normalisation (mlp, cnn, tabular)")
        }
        for (i, layer) in model.layers.enumerated() where !layer.parameterNames.isEmpty {
            if layer is Dense { continue }
            if let c = layer as? Conv2D, c.groups == 1 { continue }
            throw PrivacyError(parameter: "model", message: "layer \(i) \(layer.summary) has no per-example gradient in DP-SGD (supported: Dense, Conv2D with groups 1)")
        }
    }

    /// The clipped sum Σ_i min(1, C/‖g_i‖)·g_i, one tensor per model parameter (in the model's
    /// `parameters` order), computed per layer as one weighted product:
    /// Dense `(c⊙Δ)ᵀA`, Conv2D the weight gradient of the convolution with errors scaled by c.
    public func clipped(maxNorm: Float) throws(PrivacyError) -> ClippedGradientSum {
        guard maxNorm.isFinite, maxNorm > 0 else {
            throw PrivacyError(parameter: "maxGradNorm", message: "expected a finite clipping norm > 0, got \(maxNorm)")
        }
        let factors = squaredNorms.map { sq -> Float in
            let norm = sq.squareRoot()
            return norm > maxNorm ? maxNorm / norm : 1
        }
        if let graph {
            return ClippedGradientSum(gradients: graph.clippedSum(factors), maxNorm: maxNorm, batchSize: batchSize,
                                      clippedCount: factors.filter { $0 < 1 }.count)
        }
        var gradients: [Tensor] = []
        for f in layers {
            switch f.kind {
            case .dense:
                let scaled = Self.scaleRows(f.outputError, by: factors)
                gradients.append(Tensor.matmul(scaled, f.input, transposeA: true))
                gradients.append(scaled.sum(axes: [0]))
            case let .conv(g, weightShape):
                if let perExample = f.perExampleWeight {
                    // Σ_i c_i·g_i: a 1×N by N×|w| product
                    gradients.append(Self.weightedSum(perExample, factors: factors, shape: weightShape))
                } else {
                    let scaled = Self.scaleRows(f.outputError, by: factors)
                    let weight = Tensor.zeros(weightShape)  // only its shape is read by the weight gradient
                    let dw = Convolution.backward(scaled, f.input, weight, geometry: g, groups: 1, needInput: false, needWeight: true).dw
                    gradients.append(dw ?? Tensor.zeros(weightShape))
                }
                if let biases = f.perExampleBias {
                    gradients.append(Self.weightedSum(biases, factors: factors, shape: [weightShape[0]]))
                } else {
                    gradients.append(Convolution.biasGradient(Self.scaleRows(f.outputError, by: factors)))
                }
            }
        }
        return ClippedGradientSum(gradients: gradients, maxNorm: maxNorm, batchSize: batchSize,
                                  clippedCount: factors.filter { $0 < 1 }.count)
    }

    // MARK: kernels

    /// Σ_i factors[i]·rows[i] of an N × K tensor, as a tensor of `shape` (K elements): one
    /// 1×N by N×K product.
    static func weightedSum(_ rows: Tensor, factors: [Float], shape: [Int]) -> Tensor {
        let count = rows.count / Swift.max(factors.count, 1)
        return Tensor(shape: shape, unsafeUninitializedCapacity: { out in
            factors.withUnsafeBufferPointer { pf in
                rows.scalars.withUnsafeBufferPointer { pg in
                    BLAS.gemm(transposeA: false, transposeB: false, m: 1, n: count, k: factors.count,
                              a: pf.baseAddress!, b: pg.baseAddress!, c: out.baseAddress!)
                }
            }
        })
    }

    static func scaleRows(_ t: Tensor, by factors: [Float]) -> Tensor {
        let n = t.shape[0]
        let inner = n == 0 ? 0 : t.count / n
        var out = t
        out.scalars.withUnsafeMutableBufferPointer { p in
            for i in 0..<n where factors[i] != 1 {
                let f = factors[i]
                for j in (i * inner)..<((i + 1) * inner) { p[j] *= f }
            }
        }
        return out
    }

    /// Σ_j t[i, j]² per row, 16 SIMD lanes at a time.
    static func rowSquaredNorms(_ t: Tensor) -> [Float] {
        let n = t.shape[0]
        let inner = n == 0 ? 0 : t.count / n
        var out = [Float](repeating: 0, count: n)
        t.scalars.withUnsafeBufferPointer { p in
            out.withUnsafeMutableBufferPointer { po in
                let (p, po) = (UncheckedBox(p.baseAddress!), SharedPointer(po.baseAddress!))
                parallelChunks(n, costPerItem: inner) { range in
                    for i in range { po.base[i] = squaredSum(p.value + i * inner, count: inner) }
                }
            }
        }
        return out
    }

    /// Σ_j p[j]², 16 SIMD lanes at a time.
    static func squaredSum(_ p: UnsafePointer<Float>, count inner: Int) -> Float {
        let row = UnsafeRawPointer(p)
        var acc = SIMD16<Float>()
        var j = 0
        while j + 16 <= inner {
            let v = row.loadUnaligned(fromByteOffset: j * 4, as: SIMD16<Float>.self)
            acc += v * v
            j += 16
        }
        var s = acc.sum()
        while j < inner { let v = p[j]; s += v * v; j += 1 }
        return s
    }

    /// ‖a_i‖²·‖δ_i‖² + ‖δ_i‖² per example.
    static func denseSquaredNorms(input: Tensor, error: Tensor) -> [Float] {
        let a = rowSquaredNorms(input), d = rowSquaredNorms(error)
        return zip(a, d).map { $0 * $1 + $1 }
    }

    /// Largest per-example weight-gradient tensor (floats) kept for one conv layer: 64 Mi floats,
    /// 256 MiB — a batch of 3 600 for the zoo cnn's second convolution.
    static let materialisedLimit = 1 << 26

    /// Per-example ‖Δ_i U_iᵀ‖² + ‖Δ_i·1‖², by the cheaper of the direct and ghost forms; the
    /// direct form also returns the per-example weight gradients (N × O × rows) when they fit in
    /// ``materialisedLimit``. Always returns the per-example bias gradients Δ_i·1 (N × O).
    static func convSquaredNorms(input: Tensor, error: Tensor, geometry g: Conv2DGeometry,
                                 weightShape: [Int], limit: Int = materialisedLimit) -> ([Float], Tensor?, Tensor) {
        let (n, c, h, w) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
        let (o, oh, ow) = (error.shape[1], error.shape[2], error.shape[3])
        let rows = c * g.kernelHeight * g.kernelWidth
        let pixels = oh * ow
        let errorSize = o * pixels
        var out = [Float](repeating: 0, count: n)
        // bias part: Δ_i·1 and its squared norm, examples in parallel
        let biases = Tensor(shape: [n, o], unsafeUninitializedCapacity: { pb in
            let pb = SharedPointer(pb.baseAddress!)
            error.scalars.withUnsafeBufferPointer { pe in
                out.withUnsafeMutableBufferPointer { po in
                    let (pe, po) = (UncheckedBox(pe.baseAddress!), SharedPointer(po.baseAddress!))
                    parallelChunks(n, costPerItem: errorSize) { range in
                        for i in range {
                            var sq: Float = 0
                            for oc in 0..<o {
                                let b = sumContiguous(pe.value + i * errorSize + oc * pixels, count: pixels)
                                pb.base[i * o + oc] = b
                                sq += b * b
                            }
                            po.base[i] = sq
                        }
                    }
                }
            }
        })
        let useGhost = pixels * pixels * (o + rows) < o * rows * pixels
        if !useGhost {
            // direct form, in chunks of examples so that at most `limit` floats are live
            let chunk = Swift.max(1, limit / Swift.max(o * rows, 1))
            var kept: Tensor?
            var start = 0
            while start < n {
                let end = Swift.min(n, start + chunk)
                let whole = start == 0 && end == n
                let part = Convolution.perExampleWeightGradients(whole ? error : error.rows(start..<end),
                                                                 whole ? input : input.rows(start..<end),
                                                                 weightShape: weightShape, geometry: g)
                let norms = rowSquaredNorms(part)
                for i in start..<end { out[i] += norms[i - start] }
                if whole { kept = part }
                start = end
            }
            return (out, kept, biases)
        }
        // ghost form: ⟨U_iᵀU_i, Δ_iᵀΔ_i⟩, two pixels × pixels products per example
        let imageSize = c * h * w
        input.scalars.withUnsafeBufferPointer { px in
            error.scalars.withUnsafeBufferPointer { pe in
                out.withUnsafeMutableBufferPointer { po in
                    let (px, pe, po) = (UncheckedBox(px.baseAddress!), UncheckedBox(pe.baseAddress!), SharedPointer(po.baseAddress!))
                    parallelChunks(n, costPerItem: pixels * pixels * (o + rows)) { range in
                        var cols = [Float](repeating: 0, count: rows * pixels)
                        var work = [Float](repeating: 0, count: 2 * pixels * pixels)
                        cols.withUnsafeMutableBufferPointer { pc in
                            work.withUnsafeMutableBufferPointer { pw in
                                for i in range {
                                    let delta = pe.value + i * errorSize
                                    ConvolutionUnfolding.unfold(px.value + i * imageSize, channels: c, height: h, width: w, geometry: g,
                                                                outputHeight: oh, outputWidth: ow, into: pc.baseAddress!)
                                    let uu = pw.baseAddress!, dd = pw.baseAddress! + pixels * pixels
                                    BLAS.gemm(transposeA: true, transposeB: false, m: pixels, n: pixels, k: rows,
                                              a: pc.baseAddress!, b: pc.baseAddress!, c: uu)
                                    BLAS.gemm(transposeA: true, transposeB: false, m: pixels, n: pixels, k: o,
                                              a: delta, b: delta, c: dd)
                                    var s: Float = 0
                                    for j in 0..<(pixels * pixels) { s += uu[j] * dd[j] }
                                    po.base[i] += s
                                }
                            }
                        }
                    }
                }
            }
        }
        return (out, nil, biases)
    }
}

/// Holds the error that reaches a tapped layer output during the backward pass.
final class ErrorCapture {
    var value: Tensor?
}

/// Identity on `z` that records the gradient flowing into it (and passes it on); depends on `anchor` so that it
/// (and everything after it) is differentiated even when parameters and inputs are constants.
func tap(_ z: Variable, anchor: Variable, capture: ErrorCapture) -> Variable {
    z.tape.record(z.value, inputs: [z, anchor]) { (g: Tensor, _: [Bool]) in
        capture.value = g
        return [g, nil]
    }
}
