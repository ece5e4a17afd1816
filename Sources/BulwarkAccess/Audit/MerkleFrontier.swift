/// The roots of the complete subtrees that cover the first `size` leaves, largest first: all an
/// append-only tree needs to add a leaf and to know its head (a "compact range").
package struct MerkleFrontier: Sendable {
    /// The number of leaves covered.
    package private(set) var size: UInt64
    /// One hash per set bit of `size`, from the highest bit down.
    package private(set) var hashes: [MerkleHash]

    /// The frontier of `size` leaves whose subtree roots are `hashes` (largest first).
    package init(size: UInt64 = 0, hashes: [MerkleHash] = []) {
        self.size = size
        self.hashes = hashes
    }

    /// Adds a leaf and returns every node that became complete: the leaf itself, then one node
    /// per level it closes, bottom up.
    package mutating func append(_ leafHash: MerkleHash) -> [(MerkleNodeID, MerkleHash)] {
        var hash = leafHash
        var nodes = [(MerkleNodeID(level: 0, index: size), hash)]
        var level = 0
        // Each trailing 1 bit of the old size is a complete subtree the new leaf closes.
        while (size >> UInt64(level)) & 1 == 1, let left = hashes.popLast() {
            hash = .node(left, hash)
            level += 1
            nodes.append((MerkleNodeID(level: level, index: ((size + 1) >> UInt64(level)) - 1), hash))
        }
        hashes.append(hash)
        size += 1
        return nodes
    }

    /// The RFC 6962 root of the covered leaves.
    package var root: MerkleHash { MerkleTree.fold(hashes) }
}
