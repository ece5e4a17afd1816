import BulwarkTensor

/// The random streams of one attack call: one stream per example when the configuration gives
/// ``AttackConfiguration/exampleSeeds`` (results independent of batch composition), else one
/// stream seeded by ``AttackConfiguration/seed`` shared by the batch in the order the attack
/// draws (the behaviour before per-example seeds, kept for callers that rely on it).
struct ExampleRandomness {
    private var shared: SeededGenerator
    private var own: [SeededGenerator]

    init(_ c: AttackConfiguration) {
        shared = SeededGenerator(seed: c.seed)
        own = c.exampleSeeds.map { $0.map { SeededGenerator(seed: $0) } } ?? []
    }

    /// Whether every example has its own stream.
    var perExample: Bool { !own.isEmpty }

    /// The stream example `i` draws from (the shared one without per-example seeds).
    subscript(i: Int) -> SeededGenerator {
        get { perExample ? own[i] : shared }
        set { if perExample { own[i] = newValue } else { shared = newValue } }
    }

    /// A fresh stream for example `i`'s own use: a split of the shared stream, or example `i`'s
    /// stream itself (HopSkipJump's per-example state).
    mutating func split(for i: Int) -> SeededGenerator {
        perExample ? own[i] : shared.split()
    }

    /// A random start in the ε-ball for each listed example, rows in the order given: the same
    /// draws as one ``Geometry/randomPerturbation(rows:dimension:norm:epsilon:rng:)`` call over
    /// the rows when the stream is shared.
    mutating func perturbations(for rows: [Int], dimension d: Int, norm: PerturbationNorm, epsilon: Float) -> [Float] {
        var out: [Float] = []
        out.reserveCapacity(rows.count * d)
        for i in rows {
            out += Geometry.randomPerturbation(rows: 1, dimension: d, norm: norm, epsilon: epsilon, rng: &self[i])
        }
        return out
    }
}
