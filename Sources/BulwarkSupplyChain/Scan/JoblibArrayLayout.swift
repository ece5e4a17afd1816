/// The layout of a numpy array that joblib writes into its pickle stream.
///
/// `joblib.dump` replaces each numpy array by a `joblib.numpy_pickle.NumpyArrayWrapper` whose
/// `BUILD` state holds `shape`, `dtype`, `order` and (joblib ≥ 1.2) `numpy_array_alignment_bytes`.
/// Right after that `BUILD` the loader reads the array from the stream itself: one padding-length
/// byte and that many padding bytes when an alignment is set, then `prod(shape) × itemsize` raw
/// bytes — or, for an object dtype, a complete protocol-2 pickle of the array.
struct JoblibArrayLayout: Equatable {
    /// What follows the wrapper in the stream.
    enum Payload: Equatable {
        /// `count` raw bytes of array data.
        case raw(count: Int)
        /// A nested pickle (object dtype), loaded with the plain unpickler.
        case pickle
    }
    /// The payload after the optional padding.
    var payload: Payload
    /// Whether a padding-length byte (and its padding) precedes the payload.
    var aligned: Bool

    /// Size in bytes of one element of a dtype given by its pickled descriptor (`'f8'`, `'U5'`,
    /// `'V6'`, `'O8'`, `'M8'`), or nil when it holds Python objects. `flags` is the dtype's
    /// pickled flags field (bit 0: holds objects), when known. Throws a reason when the
    /// descriptor cannot be sized.
    static func itemSize(descr: String, flags: Int?) throws(FormatError) -> Int? {
        var s = Substring(descr)
        if let f = s.first, "<>|=".contains(f) { s = s.dropFirst() }
        guard let kind = s.first else { throw FormatError("empty dtype descriptor") }
        let digits = s.dropFirst().prefix { $0.isASCII && $0.isNumber }
        let n = digits.isEmpty ? nil : Int(digits)
        if let n, n > 1 << 40 { throw FormatError("dtype '\(descr)' has an absurd item size") }
        switch kind {
        case "O": return nil
        case "b", "?": return n ?? 1
        case "i", "u", "f", "c":
            guard let n, [1, 2, 4, 8, 16, 32].contains(n) else { throw FormatError("dtype '\(descr)' has no valid item size") }
            return n
        case "M", "m": return 8
        case "S", "a": return n ?? 0
        case "U": return (n ?? 0) * 4
        case "V":
            guard let flags else { throw FormatError("structured dtype '\(descr)': cannot tell whether it holds objects") }
            return flags & 1 != 0 ? nil : (n ?? 0)
        default: throw FormatError("dtype kind '\(kind)' is not a numpy dtype")
        }
    }

    /// The layout for a wrapper state: `shape` (non-negative ints), the dtype descriptor and
    /// flags, and whether `numpy_array_alignment_bytes` is set. Throws when the sizes are
    /// negative or overflow.
    static func layout(shape: [Int], descr: String, flags: Int?, aligned: Bool) throws(FormatError) -> JoblibArrayLayout {
        guard let item = try itemSize(descr: descr, flags: flags) else { return JoblibArrayLayout(payload: .pickle, aligned: false) }
        var count = item
        for d in shape {
            guard d >= 0 else { throw FormatError("negative dimension \(d) in the array shape") }
            let (m, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow, m <= 1 << 50 else { throw FormatError("array size overflows (shape \(shape), dtype '\(descr)')") }
            count = m
        }
        return JoblibArrayLayout(payload: .raw(count: count), aligned: aligned)
    }
}
