import Foundation

// Differentiable operations on `Variable`. Each records its value and a pullback on the tape;
// each is checked against central finite differences in BulwarkTensorTests.

extension Variable {
    @inline(__always)
    func unary(_ value: Tensor, _ pullback: @escaping (Tensor) -> Tensor) -> Variable {
        tape.record(value, inputs: [self]) { (g: Tensor, _: [Bool]) in [pullback(g)] }
    }

    // MARK: arithmetic with broadcasting

    /// Element-wise sum, broadcasting NumPy-style; each gradient is summed back to its operand's shape.
    public static func + (a: Variable, b: Variable) -> Variable {
        let (sa, sb) = (a.shape, b.shape)
        return a.tape.record(a.value + b.value, inputs: [a, b]) { g, needs in
            [needs[0] ? g.summed(toShape: sa) : nil, needs[1] ? g.summed(toShape: sb) : nil]
        }
    }

    /// Element-wise difference, broadcasting NumPy-style; each gradient is summed back to its operand's shape.
    public static func - (a: Variable, b: Variable) -> Variable {
        let (sa, sb) = (a.shape, b.shape)
        return a.tape.record(a.value - b.value, inputs: [a, b]) { g, needs in
            [needs[0] ? g.summed(toShape: sa) : nil, needs[1] ? (-g).summed(toShape: sb) : nil]
        }
    }

    /// Element-wise product, broadcasting NumPy-style; each gradient is summed back to its operand's shape.
    public static func * (a: Variable, b: Variable) -> Variable {
        let (va, vb) = (a.value, b.value)
        return a.tape.record(va * vb, inputs: [a, b]) { g, needs in
            [needs[0] ? (g * vb).summed(toShape: va.shape) : nil, needs[1] ? (g * va).summed(toShape: vb.shape) : nil]
        }
    }

    /// Element-wise quotient, broadcasting NumPy-style; each gradient is summed back to its operand's shape.
    public static func / (a: Variable, b: Variable) -> Variable {
        let (va, vb) = (a.value, b.value)
        return a.tape.record(va / vb, inputs: [a, b]) { g, needs in
            [needs[0] ? (g / vb).summed(toShape: va.shape) : nil,
             needs[1] ? Tensor.zipWith(g * va, vb) { -$0 / ($1 * $1) }.summed(toShape: vb.shape) : nil]
        }
    }

    /// Adds the constant `b` to every element (the gradient passes through unchanged).
    public static func + (a: Variable, b: Float) -> Variable { a.unary(a.value + b) { $0 } }
    /// Subtracts the constant `b` from every element (the gradient passes through unchanged).
    public static func - (a: Variable, b: Float) -> Variable { a.unary(a.value - b) { $0 } }
    /// Scales every element by the constant `b`.
    public static func * (a: Variable, b: Float) -> Variable { a.unary(a.value * b) { $0 * b } }
    /// Scales every element of `b` by the constant `a`.
    public static func * (a: Float, b: Variable) -> Variable { b * a }
    /// Divides every element by the constant `b` (recorded as a product with 1 / `b`).
    public static func / (a: Variable, b: Float) -> Variable { a * (1 / b) }
    /// Negates every element.
    public static prefix func - (a: Variable) -> Variable { a.unary(-a.value) { -$0 } }

    // MARK: element-wise functions

    /// max(x, 0).
    public func relu() -> Variable {
        let y = value.relu()
        return unary(y) { g in Tensor.reluGradient(g, output: y) }
    }

    /// x for x > 0, αx otherwise.
    public func leakyRelu(alpha: Float = 0.01) -> Variable {
        let x = value
        return unary(x.leakyRelu(alpha: alpha)) { g in Tensor.zipWith(g, x) { $1 > 0 ? $0 : alpha * $0 } }
    }

    /// x for x > 0, α(eˣ − 1) otherwise.
    public func elu(alpha: Float = 1) -> Variable {
        let x = value
        return unary(x.elu(alpha: alpha)) { g in Tensor.zipWith(g, x) { $1 > 0 ? $0 : $0 * alpha * Foundation.exp($1) } }
    }

    /// Logistic sigmoid.
    public func sigmoid() -> Variable {
        let y = value.sigmoid()
        return unary(y) { g in Tensor.zipWith(g, y) { $0 * $1 * (1 - $1) } }
    }

    /// Hyperbolic tangent.
    public func tanh() -> Variable {
        let y = value.tanh()
        return unary(y) { g in Tensor.zipWith(g, y) { $0 * (1 - $1 * $1) } }
    }

    /// eˣ.
    public func exp() -> Variable {
        let y = value.exp()
        return unary(y) { g in g * y }
    }

    /// Natural logarithm.
    public func log() -> Variable {
        let x = value
        return unary(x.log()) { g in g / x }
    }

    /// Square root.
    public func squareRoot() -> Variable {
        let y = value.squareRoot()
        return unary(y) { g in Tensor.zipWith(g, y) { $0 / (2 * $1) } }
    }

    /// Absolute value (gradient 0 at 0).
    public func abs() -> Variable {
        let x = value
        return unary(x.abs()) { g in g * x.sign() }
    }

    /// xᵖ for a constant exponent.
    public func pow(_ p: Float) -> Variable {
        let x = value
        return unary(x.pow(p)) { g in Tensor.zipWith(g, x) { $0 * p * Foundation.pow($1, p - 1) } }
    }

    /// The error function.
    public func erf() -> Variable {
        let x = value
        let c = 2 / Float.pi.squareRoot()
        return unary(x.erf()) { g in Tensor.zipWith(g, x) { $0 * c * Foundation.exp(-$1 * $1) } }
    }

    /// Clamps into `[low, high]`; the gradient is zero where clamping happened.
    public func clipped(min low: Float, max high: Float) -> Variable {
        let x = value
        return unary(x.clipped(min: low, max: high)) { g in Tensor.zipWith(g, x) { ($1 >= low && $1 <= high) ? $0 : 0 } }
    }

    // MARK: shape

    /// The same elements with another shape.
    public func reshaped(_ newShape: [Int]) -> Variable {
        let s = shape
        return unary(value.reshaped(newShape)) { g in g.reshaped(s) }
    }

    /// Flattens every axis after the first (N×… → N×D).
    public func flattened() -> Variable { reshaped([shape[0], -1]) }

    /// Permutes axes.
    public func transposed(_ permutation: [Int]) -> Variable {
        var inverse = [Int](repeating: 0, count: permutation.count)
        for (i, p) in permutation.enumerated() { inverse[p] = i }
        return unary(value.transposed(permutation)) { g in g.transposed(inverse) }
    }

    // MARK: reductions

    /// Sum over `axes` (all when `nil`).
    public func sum(axes: [Int]? = nil, keepDims: Bool = false) -> Variable {
        let s = shape
        let kept = value.sum(axes: axes, keepDims: true)
        let y = keepDims ? kept : value.sum(axes: axes, keepDims: false)
        return unary(y) { g in Tensor.zipWith(Tensor.zeros(s), g.reshaped(kept.shape), +) }
    }

    /// Mean over `axes` (all when `nil`).
    public func mean(axes: [Int]? = nil, keepDims: Bool = false) -> Variable {
        let n = value.count / Swift.max(1, value.sum(axes: axes, keepDims: true).count)
        return sum(axes: axes, keepDims: keepDims) * (1 / Float(Swift.max(n, 1)))
    }

    // MARK: softmax

    /// Softmax along `axis`.
    public func softmax(axis: Int = -1) -> Variable {
        let y = value.softmax(axis: axis)
        let a = axis
        return unary(y) { g in
            // dx = y ⊙ (g − Σ g⊙y)
            let dot = (g * y).sum(axes: [a], keepDims: true)
            return y * (g - dot)
        }
    }

    /// log(softmax) along `axis`.
    public func logSoftmax(axis: Int = -1) -> Variable {
        let y = value.logSoftmax(axis: axis)
        let a = axis
        return unary(y) { g in
            // dx = g − softmax ⊙ Σ g
            let s = g.sum(axes: [a], keepDims: true)
            return g - y.exp() * s
        }
    }
}

/// Matrix product of rank-2 variables, optionally transposing either operand.
public func matmul(_ a: Variable, _ b: Variable, transposeA: Bool = false, transposeB: Bool = false) -> Variable {
    let (va, vb) = (a.value, b.value)
    let y = Tensor.matmul(va, vb, transposeA: transposeA, transposeB: transposeB)
    return a.tape.record(y, inputs: [a, b]) { g, needs in
        var da: Tensor?, db: Tensor?
        if needs[0] {
            // C = op(A)·op(B): dA = g·op(B)ᵀ (then transpose back if A was transposed)
            da = transposeA ? Tensor.matmul(vb, g, transposeA: transposeB, transposeB: true)
                            : Tensor.matmul(g, vb, transposeA: false, transposeB: !transposeB)
        }
        if needs[1] {
            db = transposeB ? Tensor.matmul(g, va, transposeA: true, transposeB: transposeA)
                            : Tensor.matmul(va, g, transposeA: !transposeA, transposeB: false)
        }
        return [da, db]
    }
}

/// A fully connected layer: `x·wᵀ + b`, with `x`: N×in, `w`: out×in (PyTorch's layout), `b`: out.
///
/// One `sgemm` forward, two backward; the bias add is fused.
public func dense(_ x: Variable, weight w: Variable, bias b: Variable?) -> Variable {
    let (vx, vw) = (x.value, w.value)
    precondition(vx.rank == 2 && vw.rank == 2 && vx.shape[1] == vw.shape[1],
                 "dense: input \(vx.shape) does not match weight \(vw.shape)")
    let (n, outF) = (vx.shape[0], vw.shape[0])
    var y = Tensor.matmul(vx, vw, transposeB: true)
    if let b {
        precondition(b.shape == [outF], "dense: bias \(b.shape) should be [\(outF)]")
        let vb = b.value.scalars
        y.scalars.withUnsafeMutableBufferPointer { p in
            vb.withUnsafeBufferPointer { pb in
                for r in 0..<n { for c in 0..<outF { p[r * outF + c] += pb[c] } }
            }
        }
    }
    let inputs = b.map { [x, w, $0] } ?? [x, w]
    let hasBias = b != nil  // the pullback must not capture variables: they own the tape (a cycle)
    return x.tape.record(y, inputs: inputs) { g, needs in
        let dx = needs[0] ? Tensor.matmul(g, vw) : nil
        let dw = needs[1] ? Tensor.matmul(g, vx, transposeA: true) : nil
        var out: [Tensor?] = [dx, dw]
        if hasBias { out.append(needs[2] ? g.sum(axes: [0]) : nil) }
        return out
    }
}

/// 2-D convolution of an N×C×H×W input with an O×(C/groups)×kh×kw weight and optional bias.
public func conv2d(_ x: Variable, weight w: Variable, bias b: Variable?, geometry g: Conv2DGeometry, groups: Int = 1) -> Variable {
    let (vx, vw) = (x.value, w.value)
    let y = Convolution.forward(vx, vw, bias: b?.value, geometry: g, groups: groups)
    let inputs = b.map { [x, w, $0] } ?? [x, w]
    let hasBias = b != nil  // the pullback must not capture variables: they own the tape (a cycle)
    return x.tape.record(y, inputs: inputs) { dy, needs in
        let (dx, dw) = Convolution.backward(dy, vx, vw, geometry: g, groups: groups,
                                            needInput: needs[0], needWeight: needs[1])
        var out: [Tensor?] = [dx, dw]
        if hasBias { out.append(needs[2] ? Convolution.biasGradient(dy) : nil) }
        return out
    }
}

/// A convolution followed by max pooling, as one differentiable operation: the values and
/// gradients of `maxPool2d(conv2d(x, …), geometry: pool)`, bit for bit, without the
/// full-resolution convolution output or its error ever being held in memory
/// (``Convolution/forwardMaxPool(_:_:bias:geometry:groups:pool:)``). With `relu`, a ReLU
/// follows the pooling (equal to ReLU before it: ReLU is monotone).
public func conv2dMaxPool(_ x: Variable, weight w: Variable, bias b: Variable?, geometry g: Conv2DGeometry, groups: Int = 1,
                          pool: Conv2DGeometry, relu: Bool = false) -> Variable {
    if !x.requiresGradient && !w.requiresGradient && !(b?.requiresGradient ?? false) {
        // Nothing to differentiate (inference): one pass, the ReLU included, no argmax indices.
        return x.tape.constant(Convolution.fusedForward(x.value, w.value, bias: b?.value, geometry: g, groups: groups,
                                                        maxPool: pool, relu: relu))
    }
    let y = conv2dMaxPoolIndexed(x, weight: w, bias: b, geometry: g, groups: groups, pool: pool).output
    return relu ? y.relu() : y
}

/// ``conv2dMaxPool(_:weight:bias:geometry:groups:pool:relu:)`` that also returns, per pooled output,
/// the flat index of its maximum in the N×O×H×W convolution output: with the pooled output's
/// error, ``Pooling/maxBackward(_:indices:inputShape:)`` rebuilds the convolution's own error
/// (DP-SGD's per-example gradients need it).
public func conv2dMaxPoolIndexed(_ x: Variable, weight w: Variable, bias b: Variable?, geometry g: Conv2DGeometry, groups: Int = 1,
                                 pool: Conv2DGeometry) -> (output: Variable, indices: [Int32]) {
    let (vx, vw) = (x.value, w.value)
    let (y, indices) = Convolution.forwardMaxPool(vx, vw, bias: b?.value, geometry: g, groups: groups, pool: pool)
    let inputs = b.map { [x, w, $0] } ?? [x, w]
    let hasBias = b != nil  // the pullback must not capture variables: they own the tape (a cycle)
    return (x.tape.record(y, inputs: inputs) { dy, needs in
        let (dx, dw, db) = Convolution.backward(pooled: dy, indices: indices, vx, vw, geometry: g, groups: groups,
                                                needInput: needs[0], needWeight: needs[1], needBias: hasBias && needs[2])
        var out: [Tensor?] = [dx, dw]
        if hasBias { out.append(db) }
        return out
    }, indices)
}

/// Max pooling over N×C×H×W.
public func maxPool2d(_ x: Variable, geometry g: Conv2DGeometry) -> Variable {
    let (y, indices) = Pooling.maxForward(x.value, geometry: g)
    let s = x.shape
    return x.unary(y) { dy in Pooling.maxBackward(dy, indices: indices, inputShape: s) }
}

/// Average pooling over N×C×H×W.
public func avgPool2d(_ x: Variable, geometry g: Conv2DGeometry, countIncludePad: Bool = true) -> Variable {
    let y = Pooling.averageForward(x.value, geometry: g, countIncludePad: countIncludePad)
    let s = x.shape
    return x.unary(y) { dy in Pooling.averageBackward(dy, inputShape: s, geometry: g, countIncludePad: countIncludePad) }
}

/// Mean over the spatial axes: N×C×H×W → N×C×1×1.
public func globalAvgPool2d(_ x: Variable) -> Variable { x.mean(axes: [2, 3], keepDims: true) }

/// Mean softmax cross-entropy of `logits` (N×C) against integer `labels` (each in 0..<C).
///
/// Fused and numerically stable: the gradient is (softmax − one-hot) / N.
public func softmaxCrossEntropy(logits: Variable, labels: [Int]) -> Variable {
    let v = logits.value
    precondition(v.rank == 2 && v.shape[0] == labels.count, "softmaxCrossEntropy: logits \(v.shape), \(labels.count) labels")
    let (n, c) = (v.shape[0], v.shape[1])
    for l in labels { precondition(l >= 0 && l < c, "label \(l) outside 0..<\(c)") }
    let logp = v.logSoftmax(axis: 1)
    var loss: Float = 0
    logp.scalars.withUnsafeBufferPointer { p in for r in 0..<n { loss -= p[r * c + labels[r]] } }
    loss /= Float(Swift.max(n, 1))
    return logits.tape.record(Tensor(loss), inputs: [logits]) { (g: Tensor, _: [Bool]) in
        let scale = g.scalar / Float(Swift.max(n, 1))
        var d = logp.exp()
        d.scalars.withUnsafeMutableBufferPointer { p in
            for r in 0..<n { p[r * c + labels[r]] -= 1 }
            for i in 0..<p.count { p[i] *= scale }
        }
        return [d]
    }
}

/// Mean squared error between `prediction` and a constant `target` of the same shape.
public func meanSquaredError(_ prediction: Variable, target: Tensor) -> Variable {
    let d = prediction - prediction.tape.constant(target)
    return (d * d).mean()
}
