public import BulwarkTensor

extension Trigger {
    /// The trigger a full-size mask `m` and pattern `p` (both `C×H×W`, as `bulwark poison` writes
    /// them to `trigger_mask.npy` and `trigger.npy`) describe: a patch when the mask is ones on
    /// one rectangle and zeros elsewhere, a blend when it holds one value `alpha` everywhere.
    ///
    /// ```swift
    /// let t = Trigger.whiteSquare(size: 3)
    /// let again = try Trigger(mask: try t.mask(channels: 1, height: 28, width: 28),
    ///                         pattern: try t.pattern(channels: 1, height: 28, width: 28))
    /// ```
    /// - Throws: ``PoisoningError`` (`.shapeMismatch`) when the two are not the same `C×H×W`
    ///   shape; (`.invalidParameter`) for a mask that is neither a rectangle of ones nor uniform,
    ///   or non-finite values.
    public init(mask: Tensor, pattern: Tensor) throws(PoisoningError) {
        guard mask.rank == 3, pattern.shape == mask.shape else {
            throw PoisoningError(.shapeMismatch, "the trigger mask (shape \(mask.shape)) and pattern (shape \(pattern.shape)) must both be C×H×W")
        }
        let (c, h, w) = (mask.shape[0], mask.shape[1], mask.shape[2])
        guard c > 0, h > 0, w > 0 else { throw PoisoningError(.shapeMismatch, "the trigger mask is empty (shape \(mask.shape))") }
        guard mask.scalars.allSatisfy({ $0.isFinite && $0 >= 0 && $0 <= 1 }), pattern.scalars.allSatisfy(\.isFinite) else {
            throw PoisoningError(.invalidParameter, "the trigger mask must hold values in [0, 1] and the pattern finite values")
        }
        let first = mask.scalars[0]
        if first > 0, mask.scalars.allSatisfy({ $0 == first }) {
            self = .blend(pattern: pattern, alpha: first)
            return
        }
        guard mask.scalars.allSatisfy({ $0 == 0 || $0 == 1 }) else {
            throw PoisoningError(.invalidParameter, "the trigger mask is neither a patch (ones on a rectangle) nor a blend (one value everywhere)")
        }
        var rows = (lo: h, hi: -1), cols = (lo: w, hi: -1)
        for r in 0..<h {
            for col in 0..<w where mask.scalars[r * w + col] == 1 {
                rows = (min(rows.lo, r), max(rows.hi, r))
                cols = (min(cols.lo, col), max(cols.hi, col))
            }
        }
        guard rows.hi >= 0 else { throw PoisoningError(.invalidParameter, "the trigger mask is all zeros: it stamps nothing") }
        let (ph, pw) = (rows.hi - rows.lo + 1, cols.hi - cols.lo + 1)
        var patch = [Float](repeating: 0, count: c * ph * pw)
        for ch in 0..<c {
            for r in 0..<h {
                for col in 0..<w {
                    let inside = (rows.lo...rows.hi).contains(r) && (cols.lo...cols.hi).contains(col)
                    let m = mask.scalars[ch * h * w + r * w + col]
                    guard (m == 1) == inside else {
                        throw PoisoningError(.invalidParameter, "the trigger mask is not one rectangle of ones on every channel (a patch)")
                    }
                    if inside { patch[ch * ph * pw + (r - rows.lo) * pw + col - cols.lo] = pattern.scalars[ch * h * w + r * w + col] }
                }
            }
        }
        self = .patch(pattern: Tensor(shape: [c, ph, pw], scalars: patch), position: .at(x: cols.lo, y: rows.lo))
    }
}
