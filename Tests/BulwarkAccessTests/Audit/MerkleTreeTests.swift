import BulwarkAccess
import Testing

// Known-answer data: the RFC 6962 reference leaves, roots, node hashes and proofs published in
// github.com/transparency-dev/merkle (testonly/constants.go and proof/verify_test.go), which
// derive from the certificate-transparency reference test vectors.
private let referenceLeaves: [[UInt8]] = [
    [], [0x00], [0x10], [0x20, 0x21], [0x30, 0x31], [0x40, 0x41, 0x42, 0x43],
    [0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57],
    [0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f],
]

private let referenceRoots = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]

/// (level, index, hash) of complete subtrees of the 8-leaf reference tree.
private let referenceNodes: [(Int, UInt64, String)] = [
    (0, 1, "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
    (0, 7, "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1"),
    (1, 1, "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
    (1, 3, "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
    (2, 1, "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
]

/// (leaf index, tree size, proof): the reference inclusion proofs (verify_test.go lists them with
/// 1-based leaf numbers; these are 0-based indices).
private let referenceInclusionProofs: [(UInt64, UInt64, [String])] = [
    (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (1, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]

/// (old size, new size, proof): the reference consistency proofs.
private let referenceConsistencyProofs: [(UInt64, UInt64, [String])] = [
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    (6, 7, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
]

private func hash(_ hex: String) throws -> MerkleHash { try #require(MerkleHash(hex: hex)) }

/// The stored complete-subtree hashes of a tree over `leafHashes`, built the way the log builds
/// them (one level at a time, pairing neighbours), independent of the frontier code.
private func storedNodes(_ leafHashes: [MerkleHash]) -> [MerkleNodeID: MerkleHash] {
    var nodes: [MerkleNodeID: MerkleHash] = [:]
    var level = leafHashes
    var height = 0
    while !level.isEmpty {
        for (index, hash) in level.enumerated() { nodes[MerkleNodeID(level: height, index: UInt64(index))] = hash }
        level = stride(from: 0, to: level.count - 1, by: 2).map { MerkleHash.node(level[$0], level[$0 + 1]) }
        height += 1
    }
    return nodes
}

/// RFC 6962 §2.1 MTH by its recursive definition.
private func naiveRoot(_ leaves: ArraySlice<MerkleHash>) -> MerkleHash {
    if leaves.isEmpty { return .emptyTree }
    if leaves.count == 1 { return leaves[leaves.startIndex] }
    var split = 1
    while split * 2 < leaves.count { split *= 2 }
    let middle = leaves.startIndex + split
    return .node(naiveRoot(leaves[..<middle]), naiveRoot(leaves[middle...]))
}

/// RFC 6962 §2.1.1 PATH by its recursive definition.
private func naivePath(_ index: Int, _ leaves: ArraySlice<MerkleHash>) -> [MerkleHash] {
    if leaves.count <= 1 { return [] }
    var split = 1
    while split * 2 < leaves.count { split *= 2 }
    let middle = leaves.startIndex + split
    if index < split { return naivePath(index, leaves[..<middle]) + [naiveRoot(leaves[middle...])] }
    return naivePath(index - split, leaves[middle...]) + [naiveRoot(leaves[..<middle])]
}

/// RFC 6962 §2.1.2 SUBPROOF by its recursive definition.
private func naiveSubproof(_ old: Int, _ leaves: ArraySlice<MerkleHash>, _ whole: Bool) -> [MerkleHash] {
    if old == leaves.count { return whole ? [] : [naiveRoot(leaves)] }
    var split = 1
    while split * 2 < leaves.count { split *= 2 }
    let middle = leaves.startIndex + split
    if old <= split { return naiveSubproof(old, leaves[..<middle], whole) + [naiveRoot(leaves[middle...])] }
    return naiveSubproof(old - split, leaves[middle...], false) + [naiveRoot(leaves[..<middle])]
}

@Test func merkleRootsMatchTheRFC6962ReferenceVectors() throws {
    let leafHashes = referenceLeaves.map { MerkleHash.leaf($0) }
    let nodes = storedNodes(leafHashes)
    for size in 0...8 {
        let root = MerkleTree.assemble([0..<UInt64(size)], from: nodes)?.first
        #expect(root == (try hash(referenceRoots[size])), "size \(size)")
        #expect(naiveRoot(leafHashes[..<size]) == (try hash(referenceRoots[size])))
    }
    for (level, index, hex) in referenceNodes {
        #expect(nodes[MerkleNodeID(level: level, index: index)] == (try hash(hex)))
    }
    #expect(MerkleHash.emptyTree.hex == referenceRoots[0])
}

@Test func inclusionProofsMatchTheReferenceVectors() throws {
    let leafHashes = referenceLeaves.map { MerkleHash.leaf($0) }
    let nodes = storedNodes(leafHashes)
    for (index, size, hexes) in referenceInclusionProofs {
        let expected = try hexes.map(hash)
        let proof = MerkleTree.assemble(MerkleTree.inclusionRanges(index: index, size: size), from: nodes)
        #expect(proof == expected, "leaf \(index) of \(size)")
        let root = try hash(referenceRoots[Int(size)])
        #expect(MerkleTree.verifyInclusion(leafHash: leafHashes[Int(index)], index: index, size: size, proof: expected, root: root))
        // The reference suite's corruptions: wrong index, wrong size, wrong leaf, extra or missing hashes.
        #expect(!MerkleTree.verifyInclusion(leafHash: leafHashes[Int(index)], index: index + 1, size: size, proof: expected, root: root))
        #expect(!MerkleTree.verifyInclusion(leafHash: leafHashes[Int(index)], index: index, size: size * 2, proof: expected, root: root))
        #expect(!MerkleTree.verifyInclusion(leafHash: .leaf([0x99]), index: index, size: size, proof: expected, root: root))
        #expect(!MerkleTree.verifyInclusion(leafHash: leafHashes[Int(index)], index: index, size: size, proof: expected + [root], root: root))
        #expect(!MerkleTree.verifyInclusion(leafHash: leafHashes[Int(index)], index: index, size: size, proof: Array(expected.dropLast()), root: root))
    }
}

@Test func consistencyProofsMatchTheReferenceVectors() throws {
    let leafHashes = referenceLeaves.map { MerkleHash.leaf($0) }
    let nodes = storedNodes(leafHashes)
    for (old, new, hexes) in referenceConsistencyProofs {
        let expected = try hexes.map(hash)
        #expect(MerkleTree.assemble(MerkleTree.consistencyRanges(from: old, to: new), from: nodes) == expected, "\(old) → \(new)")
        let oldRoot = try hash(referenceRoots[Int(old)])
        let newRoot = try hash(referenceRoots[Int(new)])
        #expect(MerkleTree.verifyConsistency(oldSize: old, newSize: new, oldRoot: oldRoot, newRoot: newRoot, proof: expected))
        #expect(!MerkleTree.verifyConsistency(oldSize: old, newSize: new, oldRoot: newRoot, newRoot: oldRoot, proof: expected))
        #expect(!MerkleTree.verifyConsistency(oldSize: old + 1, newSize: new, oldRoot: oldRoot, newRoot: newRoot, proof: expected))
        #expect(!MerkleTree.verifyConsistency(oldSize: old, newSize: new, oldRoot: oldRoot, newRoot: newRoot, proof: []))
        #expect(!MerkleTree.verifyConsistency(oldSize: old, newSize: new, oldRoot: oldRoot, newRoot: newRoot, proof: [expected[0]] + expected))
    }
    // Trivial cases, as the reference suite states them.
    let any = MerkleHash.leaf([1])
    #expect(MerkleTree.verifyConsistency(oldSize: 0, newSize: 1, oldRoot: any, newRoot: .emptyTree, proof: []))
    #expect(MerkleTree.verifyConsistency(oldSize: 1, newSize: 1, oldRoot: any, newRoot: any, proof: []))
    #expect(!MerkleTree.verifyConsistency(oldSize: 1, newSize: 1, oldRoot: any, newRoot: .emptyTree, proof: []))
    #expect(!MerkleTree.verifyConsistency(oldSize: 2, newSize: 1, oldRoot: any, newRoot: any, proof: []))
    #expect(!MerkleTree.verifyConsistency(oldSize: 1, newSize: 1, oldRoot: any, newRoot: any, proof: [any]))
}

@Test func proofsAgreeWithTheRecursiveDefinitionForAllSizesUpTo64() throws {
    let leafHashes = (0..<64).map { MerkleHash.leaf([UInt8($0), 0xA5]) }
    let nodes = storedNodes(leafHashes)
    for size in 1...64 {
        let root = naiveRoot(leafHashes[..<size])
        #expect(MerkleTree.assemble([0..<UInt64(size)], from: nodes)?.first == root)
        for index in 0..<size {
            let proof = try #require(MerkleTree.assemble(MerkleTree.inclusionRanges(index: UInt64(index), size: UInt64(size)), from: nodes))
            #expect(proof == naivePath(index, leafHashes[..<size]), "leaf \(index) of \(size)")
            #expect(MerkleTree.verifyInclusion(leafHash: leafHashes[index], index: UInt64(index), size: UInt64(size), proof: proof, root: root))
            let other = (index + 1) % size
            if other != index {
                #expect(!MerkleTree.verifyInclusion(leafHash: leafHashes[index], index: UInt64(other), size: UInt64(size), proof: proof, root: root))
            }
            if var flipped = proof.first.map({ $0.bytes }) {
                flipped[0] ^= 8
                let bad = [try #require(MerkleHash(bytes: flipped))] + proof.dropFirst()
                #expect(!MerkleTree.verifyInclusion(leafHash: leafHashes[index], index: UInt64(index), size: UInt64(size), proof: bad, root: root))
            }
        }
        for old in 1...size {
            let oldRoot = naiveRoot(leafHashes[..<old])
            let proof = try #require(MerkleTree.assemble(MerkleTree.consistencyRanges(from: UInt64(old), to: UInt64(size)), from: nodes))
            #expect(proof == naiveSubproof(old, leafHashes[..<size], true), "\(old) → \(size)")
            #expect(MerkleTree.verifyConsistency(oldSize: UInt64(old), newSize: UInt64(size), oldRoot: oldRoot, newRoot: root, proof: proof))
            if old < size {
                #expect(!MerkleTree.verifyConsistency(oldSize: UInt64(old), newSize: UInt64(size), oldRoot: root, newRoot: root, proof: proof))
                #expect(!MerkleTree.verifyConsistency(oldSize: UInt64(old), newSize: UInt64(size), oldRoot: oldRoot, newRoot: root, proof: proof + [root]))
                #expect(!MerkleTree.verifyConsistency(oldSize: UInt64(old), newSize: UInt64(size) * 2, oldRoot: oldRoot, newRoot: root, proof: proof))
            }
        }
    }
}

@Test func hashesParseOnlyFromThirtyTwoBytes() {
    #expect(MerkleHash(bytes: [UInt8](repeating: 0, count: 31)) == nil)
    #expect(MerkleHash(hex: String(repeating: "g", count: 64)) == nil)
    let value = MerkleHash.leaf([1, 2, 3])
    #expect(MerkleHash(hex: value.hex) == value)
    #expect(MerkleHash(bytes: value.bytes) == value)
}
