/// The position of a complete subtree in an RFC 6962 tree: `level` 0 is a leaf, and the node at
/// (`level`, `index`) covers leaves `index · 2^level ..< (index + 1) · 2^level`.
///
/// Only complete subtrees are ever stored: their hashes never change once the log has grown
/// past them, so a table keyed by (`level`, `index`) is append-only.
public struct MerkleNodeID: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// Height above the leaves; 0 for a leaf.
    public var level: Int
    /// Position among the nodes of this level, counting from 0 at the left.
    public var index: UInt64

    /// The node at (`level`, `index`).
    public init(level: Int, index: UInt64) {
        self.level = level
        self.index = index
    }

    /// The leaves the node covers.
    public var leaves: Range<UInt64> { (index << UInt64(level))..<((index + 1) << UInt64(level)) }

    /// Orders by level, then index.
    public static func < (lhs: MerkleNodeID, rhs: MerkleNodeID) -> Bool {
        (lhs.level, lhs.index) < (rhs.level, rhs.index)
    }

    /// `(level, index)`.
    public var description: String { "(\(level), \(index))" }
}

/// RFC 6962 / RFC 9162 §2.1 Merkle tree algorithms over stored complete-subtree hashes.
///
/// Proof generation is split in two steps so a database answers it with one query: a *plan* lists
/// the stored nodes a proof needs (O(log² n) at worst, O(log n) typically), then ``assemble(_:from:)``
/// folds them into the proof's hashes. Verification follows RFC 9162 §2.1.3.2 (inclusion) and
/// §2.1.4.2 (consistency) and never trusts the sizes it is given: any mismatch returns `false`.
public enum MerkleTree {
    /// The hash of leaves `range` (a subtree of the RFC 6962 recursion) as the stored complete
    /// subtrees that make it up, largest (leftmost) first.
    ///
    /// Every range the RFC 6962 recursion produces starts at a multiple of the largest power of
    /// two not above its length, so the decomposition is the binary expansion of its length.
    public static func decomposition(of range: Range<UInt64>) -> [MerkleNodeID] {
        var nodes: [MerkleNodeID] = []
        var start = range.lowerBound
        while start < range.upperBound {
            var level = 63 - (range.upperBound - start).leadingZeroBitCount
            // Alignment: a stored node starts at a multiple of its width.
            while level > 0, start & ((UInt64(1) << UInt64(level)) - 1) != 0 { level -= 1 }
            nodes.append(MerkleNodeID(level: level, index: start >> UInt64(level)))
            start += UInt64(1) << UInt64(level)
        }
        return nodes
    }

    /// Folds a decomposition's hashes (largest first) into the range's RFC 6962 hash:
    /// MTH = n₁ ⊕ (n₂ ⊕ (… ⊕ nₖ)). The empty decomposition folds to ``MerkleHash/emptyTree``.
    public static func fold(_ hashes: some BidirectionalCollection<MerkleHash>) -> MerkleHash {
        guard var result = hashes.last else { return .emptyTree }
        for hash in hashes.dropLast().reversed() { result = .node(hash, result) }
        return result
    }

    /// The ranges whose hashes form the inclusion proof of leaf `index` in a tree of `size`
    /// leaves (RFC 9162 §2.1.3.1 PATH), leaf end first; empty when `index >= size`.
    public static func inclusionRanges(index: UInt64, size: UInt64) -> [Range<UInt64>] {
        guard index < size else { return [] }
        var low: UInt64 = 0
        var high = size
        var siblings: [Range<UInt64>] = []
        while high - low > 1 {
            let split = largestPowerOfTwo(below: high - low)
            if index < low + split {
                siblings.append((low + split)..<high)
                high = low + split
            } else {
                siblings.append(low..<(low + split))
                low += split
            }
        }
        return siblings.reversed()
    }

    /// The ranges whose hashes form the consistency proof from `oldSize` to `newSize` (RFC 9162
    /// §2.1.4.1 PROOF), bottom first; empty when `oldSize` is 0, equals `newSize`, or exceeds it.
    public static func consistencyRanges(from oldSize: UInt64, to newSize: UInt64) -> [Range<UInt64>] {
        guard oldSize > 0, oldSize < newSize else { return [] }
        var low: UInt64 = 0
        var high = newSize
        var remaining = oldSize  // the old tree's size, relative to `low`
        var isWholeOldTree = true
        var parts: [Range<UInt64>] = []
        while true {
            let width = high - low
            if remaining == width {
                if !isWholeOldTree { parts.append(low..<high) }
                break
            }
            let split = largestPowerOfTwo(below: width)
            if remaining <= split {
                parts.append((low + split)..<high)
                high = low + split
            } else {
                parts.append(low..<(low + split))
                remaining -= split
                low += split
                isWholeOldTree = false
            }
        }
        return parts.reversed()
    }

    /// The proof hashes for `ranges`, given a lookup of stored node hashes; `nil` when a node
    /// the plan needs is missing.
    public static func assemble(_ ranges: [Range<UInt64>], from nodes: [MerkleNodeID: MerkleHash]) -> [MerkleHash]? {
        var proof: [MerkleHash] = []
        proof.reserveCapacity(ranges.count)
        for range in ranges {
            var hashes: [MerkleHash] = []
            for id in decomposition(of: range) {
                guard let hash = nodes[id] else { return nil }
                hashes.append(hash)
            }
            proof.append(fold(hashes))
        }
        return proof
    }

    /// Every stored node a set of ranges needs, without repeats.
    public static func nodes(for ranges: [Range<UInt64>]) -> [MerkleNodeID] {
        var seen = Set<MerkleNodeID>()
        var nodes: [MerkleNodeID] = []
        for range in ranges {
            for id in decomposition(of: range) where seen.insert(id).inserted { nodes.append(id) }
        }
        return nodes
    }

    /// Whether `proof` shows leaf `leafHash` at `index` in the tree of `size` leaves whose head is
    /// `root` (RFC 9162 §2.1.3.2).
    public static func verifyInclusion(leafHash: MerkleHash, index: UInt64, size: UInt64, proof: [MerkleHash], root: MerkleHash) -> Bool {
        rootFromInclusion(leafHash: leafHash, index: index, size: size, proof: proof) == root
    }

    /// The head that `proof` implies for leaf `leafHash` at `index` in a tree of `size` leaves;
    /// `nil` when the proof has the wrong length for that position.
    public static func rootFromInclusion(leafHash: MerkleHash, index: UInt64, size: UInt64, proof: [MerkleHash]) -> MerkleHash? {
        guard index < size else { return nil }
        var fn = index
        var sn = size - 1
        var result = leafHash
        for sibling in proof {
            guard sn != 0 else { return nil }
            if fn & 1 == 1 || fn == sn {
                result = .node(sibling, result)
                if fn & 1 == 0 {
                    while fn & 1 == 0, fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                result = .node(result, sibling)
            }
            fn >>= 1
            sn >>= 1
        }
        return sn == 0 ? result : nil
    }

    /// Whether `proof` shows the tree of `newSize` leaves with head `newRoot` extends the tree of
    /// `oldSize` leaves with head `oldRoot` (RFC 9162 §2.1.4.2).
    ///
    /// Equal sizes need equal heads and an empty proof; an old size of 0 is consistent with
    /// anything, with an empty proof; an old size above the new one never verifies.
    public static func verifyConsistency(oldSize: UInt64, newSize: UInt64, oldRoot: MerkleHash, newRoot: MerkleHash, proof: [MerkleHash]) -> Bool {
        if oldSize > newSize { return false }
        if oldSize == newSize { return proof.isEmpty && oldRoot == newRoot }
        if oldSize == 0 { return proof.isEmpty }
        guard !proof.isEmpty else { return false }
        var path = proof[...]
        var path0: [MerkleHash] = []
        if oldSize & (oldSize - 1) == 0 {
            path0 = [oldRoot] + proof
            path = path0[...]
        }
        var fn = oldSize - 1
        var sn = newSize - 1
        while fn & 1 == 1 {
            fn >>= 1
            sn >>= 1
        }
        guard let first = path.first else { return false }
        var oldResult = first
        var newResult = first
        for hash in path.dropFirst() {
            guard sn != 0 else { return false }
            if fn & 1 == 1 || fn == sn {
                oldResult = .node(hash, oldResult)
                newResult = .node(hash, newResult)
                if fn & 1 == 0 {
                    while fn & 1 == 0, fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                newResult = .node(newResult, hash)
            }
            fn >>= 1
            sn >>= 1
        }
        return sn == 0 && oldResult == oldRoot && newResult == newRoot
    }

    /// The largest power of two strictly below `value` (`value` ≥ 2).
    static func largestPowerOfTwo(below value: UInt64) -> UInt64 {
        UInt64(1) << UInt64(63 - (value - 1).leadingZeroBitCount)
    }
}
