/// Matrix products over ℤ/2⁶⁴ℤ (wrapping), row-major: the local kernel of secret-shared matrix
/// products. BLAS cannot do this (it has no modular integer arithmetic).
///
/// ```swift
/// let c = RingMatrix.multiply([1, 2, 3, 4], [5, 6, 7, 8], rows: 2, inner: 2, columns: 2)
/// print(c)  // [19, 22, 43, 50]
/// ```
public enum RingMatrix {
    /// The product of `a` (`rows` × `inner`) and `b` (`inner` × `columns`), wrapping modulo 2⁶⁴.
    ///
    /// Cost: rows·inner·columns multiply-adds; the loop runs i-k-j over blocks of the inner
    /// dimension so that rows of b stay in cache. Precondition: the arrays have those sizes.
    public static func multiply(_ a: [UInt64], _ b: [UInt64], rows: Int, inner: Int, columns: Int) -> [UInt64] {
        precondition(a.count == rows * inner && b.count == inner * columns, "ring matrix shapes do not match their arrays")
        var c = [UInt64](repeating: 0, count: rows * columns)
        let block = 64
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    var k0 = 0
                    while k0 < inner {
                        let k1 = min(k0 + block, inner)
                        for i in 0..<rows {
                            let rowC = i * columns
                            for k in k0..<k1 {
                                let scalar = pa[i * inner + k]
                                let rowB = k * columns
                                for j in 0..<columns { pc[rowC + j] = pc[rowC + j] &+ scalar &* pb[rowB + j] }
                            }
                        }
                        k0 = k1
                    }
                }
            }
        }
        return c
    }
}
