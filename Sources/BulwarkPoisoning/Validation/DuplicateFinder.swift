import BulwarkTensor

/// A pair of examples closer than the near-duplicate threshold.
public struct NearDuplicatePair: Codable, Sendable, Equatable {
    /// The first example (in the training set).
    public var first: Int
    /// The second example (in the same set, or in the test set for cross-split pairs).
    public var second: Int
    /// Their root-mean-square difference, `‖a − b‖₂ / √D`.
    public var rmsDistance: Double

    /// Creates a pair.
    public init(first: Int, second: Int, rmsDistance: Double) {
        self.first = first
        self.second = second
        self.rmsDistance = rmsDistance
    }

    enum CodingKeys: String, CodingKey {
        case first, second, rmsDistance = "rms_distance"
    }
}

/// Finds exact and near duplicates without comparing every pair.
///
/// - **Exact duplicates**: rows with bit-identical values, grouped by a 64-bit FNV-1a hash of
///   their bytes and confirmed value by value (a hash collision never makes a false duplicate).
/// - **Near duplicates**: pairs whose root-mean-square difference is at most `threshold`
///   (`‖a − b‖₂ ≤ threshold·√D`). Candidates come from random-hyperplane locality-sensitive
///   hashing (Charikar 2002, "Similarity estimation techniques from rounding algorithms"): the
///   rows, centred on the training mean, are projected on `tables × bitsPerTable` seeded Gaussian
///   directions with one matrix product, each table keys a row by the signs of its `bitsPerTable`
///   projections, and only rows sharing a key in some table are compared — first by the
///   sorted-norm bound `|‖a‖ − ‖b‖| ≤ ‖a − b‖` and the projection bound `‖Qᵀ(a − b)‖ ≤ ‖a − b‖`
///   on 16 orthonormal directions near the principal components, then exactly. Every reported pair is within the
///   threshold; a pair within it can be missed with small probability (two rows at angle θ share
///   one table's key with probability `(1 − θ/π)^bits`; for rows at the threshold whose centred
///   norm is ten times their distance, a miss in all 8 tables of 20 bits has probability below 10⁻³).
///   Buckets above `maxBucket` rows are compared only to their first `maxBucket` rows (counted
///   in ``DuplicateReport/truncatedBuckets``), so the cost stays near-linear.
struct DuplicateFinder {
    var threshold: Double
    var tables = 8
    var bitsPerTable = 20
    var maxBucket = 2_000
    var seed: UInt64 = 0x5EED

    /// Rows whose values are all finite.
    static func finiteRows(_ x: ValidationExamples) -> [Bool] {
        let d = x.exampleSize
        return x.values.withUnsafeBufferPointer { v in
            (0..<x.count).map { i in
                var k = i * d
                let end = k + d
                while k < end {
                    if !v[k].isFinite { return false }
                    k += 1
                }
                return true
            }
        }
    }

    /// FNV-1a over the bit patterns of row `i`.
    static func rowHash(_ v: UnsafeBufferPointer<Float>, _ i: Int, _ d: Int) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        var k = i * d
        let end = k + d
        while k < end {
            h = (h ^ UInt64(v[k].bitPattern)) &* 0x0000_0100_0000_01b3
            k += 1
        }
        return h
    }

    static func rowsEqual(_ a: UnsafeBufferPointer<Float>, _ i: Int, _ b: UnsafeBufferPointer<Float>, _ j: Int, _ d: Int) -> Bool {
        var k = 0
        let p = i * d, q = j * d
        while k < d {
            if a[p + k].bitPattern != b[q + k].bitPattern { return false }
            k += 1
        }
        return true
    }

    /// Groups of identical rows (each sorted, groups ordered by first index).
    static func exactGroups(_ x: ValidationExamples) -> [[Int]] {
        let d = x.exampleSize
        var byHash: [UInt64: [Int]] = [:]
        x.values.withUnsafeBufferPointer { v in
            for i in 0..<x.count { byHash[rowHash(v, i, d), default: []].append(i) }
        }
        var groups: [[Int]] = []
        x.values.withUnsafeBufferPointer { v in
            for (_, rows) in byHash where rows.count > 1 {
                var remaining = rows
                while remaining.count > 1 {
                    let head = remaining[0]
                    let same = remaining.filter { rowsEqual(v, head, v, $0, d) }
                    if same.count > 1 { groups.append(same) }
                    remaining = remaining.filter { !rowsEqual(v, head, v, $0, d) }
                }
            }
        }
        return groups.sorted { $0[0] < $1[0] }
    }

    /// Pairs (train row, test row) with identical values.
    static func exactCross(_ train: ValidationExamples, _ test: ValidationExamples) -> [NearDuplicatePair] {
        let d = train.exampleSize
        var byHash: [UInt64: [Int]] = [:]
        train.values.withUnsafeBufferPointer { v in
            for i in 0..<train.count { byHash[rowHash(v, i, d), default: []].append(i) }
        }
        var pairs: [NearDuplicatePair] = []
        train.values.withUnsafeBufferPointer { a in
            test.values.withUnsafeBufferPointer { b in
                for j in 0..<test.count {
                    for i in byHash[rowHash(b, j, d)] ?? [] where rowsEqual(a, i, b, j, d) {
                        pairs.append(NearDuplicatePair(first: i, second: j, rmsDistance: 0))
                    }
                }
            }
        }
        return pairs.sorted { ($0.first, $0.second) < ($1.first, $1.second) }
    }

    /// Principal directions kept per row for the lower-bound prefilter.
    static let boundCoordinates = 16

    /// The bucket keys of every row in every table, from one matrix product.
    /// The rows as an N×D matrix, non-finite values read as 0 (no copy when all are finite).
    static func matrix(_ x: ValidationExamples, finite: [Bool]) -> Tensor {
        let values = finite.allSatisfy { $0 } ? x.values : x.values.map { $0.isFinite ? $0 : 0 }
        return Tensor(shape: [x.count, x.exampleSize], scalars: values)
    }

    /// The bucket keys, row-major N × `tables`: row `i`'s key in table `t` is at `i·tables + t`.
    func keys(_ matrix: Tensor, mean: [Float], planes: Tensor) -> [UInt32] {
        let d = matrix.shape[1], n = matrix.shape[0]
        let projected = Tensor.matmul(matrix, planes)
        let offsets = Tensor.matmul(Tensor(shape: [1, d], scalars: mean), planes).scalars
        let width = tables * bitsPerTable
        var keys = [UInt32](repeating: 0, count: n * tables)
        projected.scalars.withUnsafeBufferPointer { p in
            offsets.withUnsafeBufferPointer { o in
                keys.withUnsafeMutableBufferPointer { out in
                    var i = 0
                    while i < n {
                        var t = 0
                        while t < tables {
                            var key: UInt32 = 0, b = 0
                            while b < bitsPerTable {
                                let c = t * bitsPerTable + b
                                if p[i * width + c] > o[c] { key |= 1 << UInt32(b) }
                                b += 1
                            }
                            out[i * tables + t] = key
                            t += 1
                        }
                        i += 1
                    }
                }
            }
        }
        return keys
    }

    /// `k` orthonormal directions (d×k) close to the top principal components of the centred
    /// rows, by subspace iteration on a strided sample of at most 4096 rows; columns that
    /// vanish are zero. Any orthonormal-or-zero set works: `‖Qᵀ(a − b)‖ ≤ ‖a − b‖`; principal
    /// ones make the bound tight.
    func principalDirections(_ x: ValidationExamples, finite: [Bool], centre: [Float], k: Int) -> Tensor {
        let d = x.exampleSize
        let rows = (0..<x.count).filter { finite[$0] }
        let step = max(1, rows.count / 4096)
        let sample = stride(from: 0, to: rows.count, by: step).prefix(4096).map { rows[$0] }
        var centred = [Float](repeating: 0, count: sample.count * d)
        for (r, i) in sample.enumerated() {
            for c in 0..<d { centred[r * d + c] = x.values[i * d + c] - centre[c] }
        }
        let s = Tensor(shape: [sample.count, d], scalars: centred)
        var rng = SeededGenerator(seed: seed &+ 1)
        var q = Self.orthonormalColumns(Tensor.normal([d, k], using: &rng))
        for _ in 0..<8 {
            q = Self.orthonormalColumns(Tensor.matmul(s, Tensor.matmul(s, q), transposeA: true))
        }
        return q
    }

    /// The columns of `m` (d×k) made orthonormal by Gram–Schmidt run twice in double
    /// precision; a column that vanishes becomes zero.
    static func orthonormalColumns(_ m: Tensor) -> Tensor {
        let d = m.shape[0], k = m.shape[1]
        var columns = (0..<k).map { c in (0..<d).map { Double(m.scalars[$0 * k + c]) } }
        for _ in 0..<2 {
            for c in 0..<k {
                for p in 0..<c {
                    var dot = 0.0
                    for r in 0..<d { dot += columns[c][r] * columns[p][r] }
                    for r in 0..<d { columns[c][r] -= dot * columns[p][r] }
                }
                let norm = columns[c].reduce(0) { $0 + $1 * $1 }.squareRoot()
                columns[c] = norm > 1e-9 ? columns[c].map { $0 / norm } : Array(repeating: 0, count: d)
            }
        }
        var out = [Float](repeating: 0, count: d * k)
        for c in 0..<k { for r in 0..<d { out[r * k + c] = Float(columns[c][r]) } }
        return Tensor(shape: [d, k], scalars: out)
    }

    /// The rows' coordinates (N×k) on `directions`.
    static func coordinates(_ matrix: Tensor, directions: Tensor) -> [Float] {
        Tensor.matmul(matrix, directions).scalars
    }

    /// Near-duplicate pairs within `x` (exact duplicates excluded) and, when `test` is given,
    /// between `x` and `test` (rows of `test` in `second`); and how many buckets were cut.
    func nearPairs(_ x: ValidationExamples, test: ValidationExamples?) -> (within: [NearDuplicatePair], cross: [NearDuplicatePair], truncated: Int) {
        let d = x.exampleSize
        let finite = Self.finiteRows(x)
        var mean = [Double](repeating: 0, count: d)
        var n = 0
        x.values.withUnsafeBufferPointer { v in
            mean.withUnsafeMutableBufferPointer { m in
                for i in 0..<x.count where finite[i] {
                    n += 1
                    var k = 0
                    while k < d {
                        m[k] += Double(v[i * d + k])
                        k += 1
                    }
                }
            }
        }
        let centre = mean.map { Float($0 / Double(max(1, n))) }
        var rng = SeededGenerator(seed: seed)
        var planes = Tensor.normal([d, tables * bitsPerTable], using: &rng)
        let columns = tables * bitsPerTable
        for c in 0..<columns {  // unit columns: the same signs, and projections that bound distances
            var s: Float = 0
            for k in 0..<d { s += planes.scalars[k * columns + c] * planes.scalars[k * columns + c] }
            let scale = s > 0 ? 1 / s.squareRoot() : 0
            for k in 0..<d { planes.scalars[k * columns + c] *= scale }
        }
        let limit = threshold * Double(d).squareRoot()
        let limitSquared = limit * limit
        func norms(_ e: ValidationExamples) -> [Double] {
            e.values.withUnsafeBufferPointer { v in
                (0..<e.count).map { i in
                    var s: Float = 0
                    var k = i * d
                    let end = k + d
                    while k < end {
                        s += v[k] * v[k]
                        k += 1
                    }
                    return Double(s).squareRoot()
                }
            }
        }
        func distanceSquared(_ a: UnsafeBufferPointer<Float>, _ i: Int, _ b: UnsafeBufferPointer<Float>, _ j: Int) -> Double {
            var s: Float = 0
            var k = 0
            let p = i * d, q = j * d
            while k < d {
                let t = a[p + k] - b[q + k]
                s += t * t
                k += 1
            }
            return Double(s)
        }
        let trainMatrix = Self.matrix(x, finite: finite)
        let trainKeys = keys(trainMatrix, mean: centre, planes: planes)
        let m = Self.boundCoordinates
        let directions = principalDirections(x, finite: finite, centre: centre, k: m)
        let trainBounds = Self.coordinates(trainMatrix, directions: directions)
        let slack = Float(limitSquared) * 1.01 + 1e-4  // Float rounding of the projections
        func separated(_ a: [Float], _ i: Int, _ b: [Float], _ j: Int) -> Bool {
            var c = 0, s: Float = 0
            while c < m {
                let t = a[i * m + c] - b[j * m + c]
                s += t * t
                c += 1
            }
            return s > slack
        }
        let trainNorms = norms(x)
        var truncated = 0
        var seen = Set<Int>()
        var within: [NearDuplicatePair] = []
        var buckets: [[UInt32: [Int]]] = Array(repeating: [:], count: tables)
        for i in 0..<x.count where finite[i] {
            for t in 0..<tables { buckets[t][trainKeys[i * tables + t], default: []].append(i) }
        }
        x.values.withUnsafeBufferPointer { v in
            for t in 0..<tables {
                for (_, rows) in buckets[t] where rows.count > 1 {
                    let members = rows.count > maxBucket ? Array(rows.prefix(maxBucket)) : rows
                    if rows.count > maxBucket { truncated += 1 }
                    for p in 0..<members.count {
                        let i = members[p]
                        for q in (p + 1)..<members.count {
                            let j = members[q]
                            guard abs(trainNorms[i] - trainNorms[j]) <= limit, !separated(trainBounds, i, trainBounds, j) else { continue }
                            let pairKey = i * x.count + j
                            guard !seen.contains(pairKey) else { continue }
                            let s = distanceSquared(v, i, v, j)
                            guard s <= limitSquared, s > 0 || !Self.rowsEqual(v, i, v, j, d) else { continue }
                            seen.insert(pairKey)
                            within.append(NearDuplicatePair(first: i, second: j, rmsDistance: (s / Double(d)).squareRoot()))
                        }
                    }
                }
            }
        }
        var cross: [NearDuplicatePair] = []
        if let test, test.exampleSize == d {
            let testFinite = Self.finiteRows(test)
            let testMatrix = Self.matrix(test, finite: testFinite)
            let testKeys = keys(testMatrix, mean: centre, planes: planes)
            let testBounds = Self.coordinates(testMatrix, directions: directions)
            let testNorms = norms(test)
            var crossSeen = Set<Int>()
            x.values.withUnsafeBufferPointer { a in
                test.values.withUnsafeBufferPointer { b in
                    for j in 0..<test.count where testFinite[j] {
                        for t in 0..<tables {
                            for i in (buckets[t][testKeys[j * tables + t]] ?? []).prefix(maxBucket) {
                                guard abs(trainNorms[i] - testNorms[j]) <= limit, !separated(trainBounds, i, testBounds, j),
                                      !crossSeen.contains(i * test.count + j) else { continue }
                                let s = distanceSquared(a, i, b, j)
                                guard s <= limitSquared else { continue }
                                crossSeen.insert(i * test.count + j)
                                cross.append(NearDuplicatePair(first: i, second: j, rmsDistance: (s / Double(d)).squareRoot()))
                            }
                        }
                    }
                }
            }
        }
        let order: (NearDuplicatePair, NearDuplicatePair) -> Bool = { ($0.first, $0.second) < ($1.first, $1.second) }
        return (within.sorted(by: order), cross.sorted(by: order), truncated)
    }
}
