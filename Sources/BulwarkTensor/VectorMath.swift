/// Sums over whole Float vectors that detectors and monitors run once per query: squared norms
/// and squared distances.
///
/// Each sums in eight running lanes (`SIMD8<Float>`), eight components apart, then adds the lanes
/// and the tail in order. One serial sum runs at one term per add latency; eight independent
/// lanes let the adds overlap. Every caller sums this way, so a value computed here and one
/// computed elsewhere through these functions agree bit for bit.
///
/// ```swift
/// let a: [Float] = [1, 2, 3], b: [Float] = [1, 0, 3]
/// let d = a.withUnsafeBufferPointer { x in b.withUnsafeBufferPointer { y in VectorMath.squaredDistance(x, y) } }   // 4
/// ```
public enum VectorMath {
    /// `Σ (aₖ − bₖ)²` over the first `min(a.count, b.count)` components.
    @inlinable
    public static func squaredDistance(_ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>) -> Float {
        let n = Swift.min(a.count, b.count)
        guard n > 0, let pa = a.baseAddress, let pb = b.baseAddress else { return 0 }
        let ra = UnsafeRawPointer(pa), rb = UnsafeRawPointer(pb)
        var lanes = SIMD8<Float>()
        var k = 0
        while k + 8 <= n {
            let t = ra.loadUnaligned(fromByteOffset: k * 4, as: SIMD8<Float>.self) - rb.loadUnaligned(fromByteOffset: k * 4, as: SIMD8<Float>.self)
            lanes += t * t
            k += 8
        }
        var s = lanes.sum()
        while k < n {
            let t = pa[k] - pb[k]
            s += t * t
            k += 1
        }
        return s
    }

    /// `Σ aₖ²`.
    @inlinable
    public static func squaredNorm(_ a: UnsafeBufferPointer<Float>) -> Float {
        let n = a.count
        guard n > 0, let pa = a.baseAddress else { return 0 }
        let ra = UnsafeRawPointer(pa)
        var lanes = SIMD8<Float>()
        var k = 0
        while k + 8 <= n {
            let t = ra.loadUnaligned(fromByteOffset: k * 4, as: SIMD8<Float>.self)
            lanes += t * t
            k += 8
        }
        var s = lanes.sum()
        while k < n {
            s += pa[k] * pa[k]
            k += 1
        }
        return s
    }
}
