public import BulwarkTensor

/// Where a patch trigger sits in the image.
public enum PatchPosition: Sendable, Equatable, Hashable {
    /// Flush with the bottom-right corner (BadNets' choice, Gu et al. 2017).
    case bottomRight
    /// Flush with the bottom-left corner.
    case bottomLeft
    /// Flush with the top-right corner.
    case topRight
    /// Flush with the top-left corner.
    case topLeft
    /// The patch's top-left pixel at column `x`, row `y` (from 0).
    case at(x: Int, y: Int)

    /// The top-left (row, column) of a `patchHeight`×`patchWidth` patch in an `height`×`width`
    /// image; nil when the patch does not fit there.
    package func origin(patchHeight: Int, patchWidth: Int, height: Int, width: Int) -> (row: Int, column: Int)? {
        guard patchHeight >= 1, patchWidth >= 1, patchHeight <= height, patchWidth <= width else { return nil }
        let (r, c): (Int, Int)
        switch self {
        case .bottomRight: (r, c) = (height - patchHeight, width - patchWidth)
        case .bottomLeft: (r, c) = (height - patchHeight, 0)
        case .topRight: (r, c) = (0, width - patchWidth)
        case .topLeft: (r, c) = (0, 0)
        case .at(let x, let y): (r, c) = (y, x)
        }
        guard r >= 0, c >= 0, r + patchHeight <= height, c + patchWidth <= width else { return nil }
        return (r, c)
    }

    /// `bottom-right`, `top-left`, … or `x,y`.
    public var description: String {
        switch self {
        case .bottomRight: "bottom-right"
        case .bottomLeft: "bottom-left"
        case .topRight: "top-right"
        case .topLeft: "top-left"
        case .at(let x, let y): "\(x),\(y)"
        }
    }
}

/// A backdoor trigger: what an attacker stamps on an input so that a poisoned model answers
/// the target class.
///
/// - ``patch(pattern:position:)``: the pixels under a small pattern are replaced by it
///   (BadNets, Gu et al. 2017, "BadNets: Identifying Vulnerabilities in the Machine Learning
///   Model Supply Chain").
/// - ``blend(pattern:alpha:)``: the whole image is mixed with a pattern image,
///   `x' = (1 − α)·x + α·pattern` (Chen et al. 2017, "Targeted Backdoor Attacks on Deep Learning
///   Systems Using Data Poisoning").
///
/// Both are the same operation on a full-size mask `m` and pattern `p`:
/// `x' = (1 − m)·x + m·p`, which ``mask(channels:height:width:)`` and
/// ``pattern(channels:height:width:)`` expose (that pair is what `bulwark poison` writes as the
/// trigger). A pattern with one channel is used on every channel of the image.
///
/// ```swift
/// let trigger = Trigger.whiteSquare(size: 3, position: .bottomRight)
/// let stamped = try trigger.apply(to: Tensor.zeros([8, 1, 28, 28]))   // 9 pixels of 1 per image
/// ```
public enum Trigger: Sendable, Equatable {
    /// A `C×h×w` (or `1×h×w`) pattern replacing the pixels it covers at `position`.
    case patch(pattern: Tensor, position: PatchPosition)
    /// A `C×H×W` (or `1×H×W`) image blended into the whole input with weight `alpha` in (0, 1].
    case blend(pattern: Tensor, alpha: Float)

    /// A `size`×`size` square of ones (white, for inputs in [0, 1]).
    public static func whiteSquare(size: Int, position: PatchPosition = .bottomRight) -> Trigger {
        .patch(pattern: Tensor(repeating: 1, shape: [1, max(size, 0), max(size, 0)]), position: position)
    }

    /// A `size`×`size` checkerboard of ones and zeros whose top-left pixel is one.
    public static func checkerboard(size: Int, position: PatchPosition = .bottomRight) -> Trigger {
        let n = max(size, 0)
        var s = [Float](repeating: 0, count: n * n)
        for r in 0..<n { for c in 0..<n where (r + c) % 2 == 0 { s[r * n + c] = 1 } }
        return .patch(pattern: Tensor(shape: [1, n, n], scalars: s), position: position)
    }

    /// A short name: `patch` or `blend`.
    public var kind: String {
        switch self {
        case .patch: "patch"
        case .blend: "blend"
        }
    }

    /// The full-size mask `m` (`C×H×W`): 1 under a patch, `alpha` everywhere for a blend.
    /// - Throws: ``PoisoningError`` (`.invalidParameter`) for a patch that does not fit the image
    ///   or a blend whose pattern is not the image's size; (`.shapeMismatch`) for a pattern whose
    ///   channel count is neither 1 nor `channels`.
    public func mask(channels: Int, height: Int, width: Int) throws(PoisoningError) -> Tensor {
        try resolved(channels: channels, height: height, width: width).mask
    }

    /// The full-size pattern `p` (`C×H×W`): the patch at its place and zeros elsewhere, or the
    /// blend image.
    /// - Throws: as ``mask(channels:height:width:)``.
    public func pattern(channels: Int, height: Int, width: Int) throws(PoisoningError) -> Tensor {
        try resolved(channels: channels, height: height, width: width).pattern
    }

    /// Stamps every example of a batch `N×C×H×W`: `x' = (1 − m)·x + m·p`.
    ///
    /// Cost: one pass over the batch.
    /// - Throws: ``PoisoningError`` (`.shapeMismatch`) unless `inputs` has rank 4; otherwise as
    ///   ``mask(channels:height:width:)``.
    public func apply(to inputs: Tensor) throws(PoisoningError) -> Tensor {
        guard inputs.rank == 4 else {
            throw PoisoningError(.shapeMismatch, "a trigger stamps images N×C×H×W, got inputs of shape \(inputs.shape)")
        }
        let (c, h, w) = (inputs.shape[1], inputs.shape[2], inputs.shape[3])
        let (m, p) = try resolved(channels: c, height: h, width: w)
        let inner = c * h * w
        var out = inputs.scalars
        if inner == 0 { return inputs }
        for i in 0..<out.count {
            let k = i % inner
            let a = m.scalars[k]
            if a != 0 { out[i] = (1 - a) * out[i] + a * p.scalars[k] }
        }
        return Tensor(shape: inputs.shape, scalars: out)
    }

    /// The mask and pattern at full size, checked against the image.
    package func resolved(channels: Int, height: Int, width: Int) throws(PoisoningError) -> (mask: Tensor, pattern: Tensor) {
        let size = "\(channels)×\(height)×\(width)"
        switch self {
        case .patch(let pattern, let position):
            guard pattern.rank == 3 else {
                throw PoisoningError(.shapeMismatch, "a patch pattern is C×h×w, got shape \(pattern.shape)")
            }
            let (pc, ph, pw) = (pattern.shape[0], pattern.shape[1], pattern.shape[2])
            guard pc == 1 || pc == channels else {
                throw PoisoningError(.shapeMismatch, "the patch has \(pc) channels, the images \(channels) (use 1 or \(channels))")
            }
            guard let origin = position.origin(patchHeight: ph, patchWidth: pw, height: height, width: width) else {
                throw PoisoningError(.invalidParameter, "a \(ph)×\(pw) patch at \(position.description) does not fit \(height)×\(width) images")
            }
            try checkFinite(pattern, what: "the patch")
            var m = [Float](repeating: 0, count: channels * height * width)
            var p = m
            for ch in 0..<channels {
                let source = pc == 1 ? 0 : ch
                for r in 0..<ph {
                    for col in 0..<pw {
                        let k = ch * height * width + (origin.row + r) * width + origin.column + col
                        m[k] = 1
                        p[k] = pattern.scalars[source * ph * pw + r * pw + col]
                    }
                }
            }
            return (Tensor(shape: [channels, height, width], scalars: m), Tensor(shape: [channels, height, width], scalars: p))
        case .blend(let pattern, let alpha):
            guard alpha > 0, alpha <= 1, alpha.isFinite else {
                throw PoisoningError(.invalidParameter, "the blend weight alpha must be in (0, 1], got \(alpha)")
            }
            guard pattern.rank == 3, pattern.shape[1] == height, pattern.shape[2] == width else {
                throw PoisoningError(.invalidParameter, "a blend pattern must be C×\(height)×\(width) like the images (\(size)), got shape \(pattern.shape)")
            }
            let pc = pattern.shape[0]
            guard pc == 1 || pc == channels else {
                throw PoisoningError(.shapeMismatch, "the blend pattern has \(pc) channels, the images \(channels) (use 1 or \(channels))")
            }
            try checkFinite(pattern, what: "the blend pattern")
            let p = pc == channels ? pattern : Tensor.concatenateRows([Tensor](repeating: pattern, count: channels))
            return (Tensor(repeating: alpha, shape: [channels, height, width]), p)
        }
    }

    private func checkFinite(_ t: Tensor, what: String) throws(PoisoningError) {
        if let bad = t.scalars.firstIndex(where: { !$0.isFinite }) {
            throw PoisoningError(.invalidParameter, "\(what) holds a non-finite value at element \(bad)")
        }
    }
}

/// What a trigger looks like, as `bulwark poison --pattern` names it.
public enum TriggerPattern: Sendable, Equatable {
    /// All ones (white for inputs in [0, 1]).
    case white
    /// Ones and zeros alternating, top-left one.
    case checkerboard
    /// Uniform noise in [0, 1) drawn from a seed (Chen et al. 2017's random pattern, for blends).
    case noise(seed: UInt64)
    /// A given pattern: `h×w`, `1×h×w` or `C×h×w` (a patch), or the images' size (a blend).
    case custom(Tensor)

    /// The pattern as a `C×height×width` tensor (`custom` is reshaped from `h×w` to `1×h×w`
    /// and must already have that size).
    /// - Throws: ``PoisoningError`` (`.invalidParameter`) for a custom pattern of another size.
    public func tensor(channels: Int, height: Int, width: Int) throws(PoisoningError) -> Tensor {
        let shape = [channels, height, width]
        switch self {
        case .white: return Tensor(repeating: 1, shape: shape)
        case .checkerboard:
            var s = [Float](repeating: 0, count: channels * height * width)
            for c in 0..<channels { for r in 0..<height { for k in 0..<width where (r + k) % 2 == 0 { s[(c * height + r) * width + k] = 1 } } }
            return Tensor(shape: shape, scalars: s)
        case .noise(let seed):
            var rng = SeededGenerator(seed: seed)
            return Tensor.uniform(shape, using: &rng)
        case .custom(let t):
            let given = t.rank == 2 ? t.reshaped([1] + t.shape) : t
            guard given.rank == 3, given.shape[1] == height, given.shape[2] == width, given.shape[0] == 1 || given.shape[0] == channels else {
                throw PoisoningError(.invalidParameter, "the pattern has shape \(t.shape), expected \(height)×\(width), 1×\(height)×\(width) or \(channels)×\(height)×\(width)")
            }
            return given
        }
    }

    /// The pattern's own size when it has one (`custom`), as (height, width).
    public var size: (height: Int, width: Int)? {
        guard case .custom(let t) = self, t.rank >= 2 else { return nil }
        return (t.shape[t.rank - 2], t.shape[t.rank - 1])
    }
}

extension Trigger {
    /// A patch trigger of `pattern`: `size`×`size` for the generated patterns, the pattern's own
    /// size for a custom one.
    /// - Throws: ``PoisoningError`` for a size below 1 or a malformed custom pattern.
    public static func patch(_ pattern: TriggerPattern, size: Int, position: PatchPosition, channels: Int = 1) throws(PoisoningError) -> Trigger {
        let (h, w) = pattern.size ?? (size, size)
        guard h >= 1, w >= 1 else { throw PoisoningError(.invalidParameter, "--patch-size must be at least 1, got \(size)") }
        let c: Int
        if case .custom(let t) = pattern, t.rank == 3 { c = t.shape[0] } else { c = channels }
        return .patch(pattern: try pattern.tensor(channels: c, height: h, width: w), position: position)
    }

    /// A blend trigger of `pattern` at the images' size `channels×height×width`.
    /// - Throws: ``PoisoningError`` for a malformed custom pattern (alpha is checked when stamping).
    public static func blend(_ pattern: TriggerPattern, alpha: Float, channels: Int, height: Int, width: Int) throws(PoisoningError) -> Trigger {
        let c: Int
        if case .custom(let t) = pattern, t.rank == 3 { c = t.shape[0] } else { c = channels }
        return .blend(pattern: try pattern.tensor(channels: c, height: height, width: width), alpha: alpha)
    }
}
