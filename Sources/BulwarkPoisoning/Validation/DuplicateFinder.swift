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
///   sorted-norm bound `|‖a‖ − ‖b‖| ≤ ‖a − b‖`, then exactly. Every reported pair is within the
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
                for k in (i * d)..<((i + 1) * d) where !v[k].isFinite { return false }
                return true
            }
        }
    }

    /// FNV-1a over the bit patterns of row `i`.
    static func rowHash(_ v: UnsafeBufferPointer<Float>, _ i: Int, _ d: Int) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for k in (i * d)..<((i + 1) * d) {
            h = (h ^ UInt64(v[k].bitPattern)) &* 0x0000_0100_0000_01b3
        }
        return h
    }

    static func rowsEqual(_ a: UnsafeBufferPointer<Float>, _ i: Int, _ b: UnsafeBufferPointer<Float>, _ j: Int, _ d: Int) -> Bool {
        for k in 0..<d where a[i * d + k].bitPattern != b[j * d + k].bitPattern { return false }
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

    /// The bucket keys of every row in every table, from one matrix product.
    func keys(_ x: ValidationExamples, mean: [Float], planes: Tensor) -> [[UInt32]] {
        let d = x.exampleSize
        let projected = Tensor.matmul(Tensor(shape: [x.count, d], scalars: x.values.map { $0.isFinite ? $0 : 0 }), planes)
        let offsets = Tensor.matmul(Tensor(shape: [1, d], scalars: mean), planes).scalars
        let width = tables * bitsPerTable
        return projected.scalars.withUnsafeBufferPointer { p in
            (0..<x.count).map { i in
                (0..<tables).map { t in
                    var key: UInt32 = 0
                    for b in 0..<bitsPerTable {
                        let c = t * bitsPerTable + b
                        if p[i * width + c] > offsets[c] { key |= 1 << UInt32(b) }
                    }
                    return key
                }
            }
        }
    }

    /// Near-duplicate pairs within `x` (exact duplicates excluded) and, when `test` is given,
    /// between `x` and `test` (rows of `test` in `second`); and how many buckets were cut.
    func nearPairs(_ x: ValidationExamples, test: ValidationExamples?) -> (within: [NearDuplicatePair], cross: [NearDuplicatePair], truncated: Int) {
        let d = x.exampleSize
        let finite = Self.finiteRows(x)
        var mean = [Double](repeating: 0, count: d)
        var n = 0
        x.values.withUnsafeBufferPointer { v in
            for i in 0..<x.count where finite[i] {
                n += 1
                for k in 0..<d { mean[k] += Double(v[i * d + k]) }
            }
        }
        let centre = mean.map { Float($0 / Double(max(1, n))) }
        var rng = SeededGenerator(seed: seed)
        let planes = Tensor.normal([d, tables * bitsPerTable], using: &rng)
        let limit = threshold * Double(d).squareRoot()
        let limitSquared = limit * limit
        func norms(_ e: ValidationExamples) -> [Double] {
            e.values.withUnsafeBufferPointer { v in
                (0..<e.count).map { i in
                    var s = 0.0
                    for k in (i * d)..<((i + 1) * d) { s += Double(v[k]) * Double(v[k]) }
                    return s.squareRoot()
                }
            }
        }
        func distanceSquared(_ a: UnsafeBufferPointer<Float>, _ i: Int, _ b: UnsafeBufferPointer<Float>, _ j: Int) -> Double {
            var s: Float = 0
            for k in 0..<d {
                let t = a[i * d + k] - b[j * d + k]
                s += t * t
            }
            return Double(s)
        }
        let trainKeys = keys(x, mean: centre, planes: planes)
        let trainNorms = norms(x)
        var truncated = 0
        var seen = Set<Int>()
        var within: [NearDuplicatePair] = []
        var buckets: [[UInt32: [Int]]] = Array(repeating: [:], count: tables)
        for i in 0..<x.count where finite[i] {
            for t in 0..<tables { buckets[t][trainKeys[i][t], default: []].append(i) }
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
                            guard abs(trainNorms[i] - trainNorms[j]) <= limit else { continue }
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
            let testKeys = keys(test, mean: centre, planes: planes)
            let testNorms = norms(test)
            var crossSeen = Set<Int>()
            x.values.withUnsafeBufferPointer { a in
                test.values.withUnsafeBufferPointer { b in
                    for j in 0..<test.count where testFinite[j] {
                        for t in 0..<tables {
                            for i in (buckets[t][testKeys[j][t]] ?? []).prefix(maxBucket) {
                                guard abs(trainNorms[i] - testNorms[j]) <= limit, !crossSeen.contains(i * test.count + j) else { continue }
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
