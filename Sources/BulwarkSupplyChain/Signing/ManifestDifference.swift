/// One way a model on disk differs from the manifest it was signed with.
public enum ManifestDifference: Sendable, Hashable, CustomStringConvertible {
    /// A file on disk that the signature does not cover.
    case added(path: String)
    /// A signed file that is no longer there.
    case removed(path: String)
    /// A file whose content changed (per-file hashing).
    case modified(path: String, expected: String, found: String)
    /// A signed file that now lives under another name, content unchanged.
    case renamed(from: String, to: String)
    /// A file whose size changed, so its shards no longer line up (shard hashing).
    case resized(path: String, expectedBytes: Int64, foundBytes: Int64)
    /// One shard of a file whose content changed (shard hashing).
    case shardMismatch(path: String, range: Range<Int64>, expected: String, found: String)

    /// The file the difference is about (the new name for a rename).
    public var path: String {
        switch self {
        case .added(let path), .removed(let path), .modified(let path, _, _), .resized(let path, _, _),
             .shardMismatch(let path, _, _, _): path
        case .renamed(_, let to): to
        }
    }

    /// One line a person can act on, naming the file.
    public var description: String {
        switch self {
        case .added(let path): "added: '\(path)' is not covered by the signature"
        case .removed(let path): "removed: '\(path)' was signed but is missing"
        case .modified(let path, let expected, let found): "modified: '\(path)' (sha256 signed \(expected.prefix(16))…, found \(found.prefix(16))…)"
        case .renamed(let from, let to): "renamed: '\(from)' is now '\(to)' (same content)"
        case .resized(let path, let expected, let found): "resized: '\(path)' was signed at \(expected) bytes, found \(found) bytes"
        case .shardMismatch(let path, let range, let expected, let found):
            "shard digest mismatch: '\(path)' bytes \(range.lowerBound)..<\(range.upperBound) (sha256 signed \(expected.prefix(16))…, found \(found.prefix(16))…)"
        }
    }

    /// Every difference between the `expected` (signed) and `actual` (on disk) manifests, sorted
    /// by path; empty when they are equal.
    public static func between(expected: ModelManifest, actual: ModelManifest) -> [ManifestDifference] {
        let expectedFiles = FileEntry.group(expected)
        let actualFiles = FileEntry.group(actual)
        var differences: [ManifestDifference] = []
        var removed: [String] = []
        var added: [String] = []
        for (path, signed) in expectedFiles {
            guard let found = actualFiles[path] else {
                removed.append(path)
                continue
            }
            differences += compare(path: path, signed: signed, found: found)
        }
        for path in actualFiles.keys where expectedFiles[path] == nil { added.append(path) }
        // A removed file whose exact content reappears under a new name is a rename.
        removed.sort(by: ModelPath.precedes)
        added.sort(by: ModelPath.precedes)
        var addedByContent: [[FileEntry.Piece]: [String]] = [:]
        for path in added.reversed() {
            if let pieces = actualFiles[path]?.pieces { addedByContent[pieces, default: []].append(path) }
        }
        var renamedTo = Set<String>()
        for path in removed {
            if let signed = expectedFiles[path], let to = addedByContent[signed.pieces]?.popLast() {
                differences.append(.renamed(from: path, to: to))
                renamedTo.insert(to)
            } else {
                differences.append(.removed(path: path))
            }
        }
        differences += added.filter { !renamedTo.contains($0) }.map { .added(path: $0) }
        return differences.sorted { ModelPath.precedes($0.path, $1.path) || ($0.path == $1.path && $0.description < $1.description) }
    }

    private static func compare(path: String, signed: FileEntry, found: FileEntry) -> [ManifestDifference] {
        guard signed.pieces != found.pieces else { return [] }
        let signedRanges = signed.pieces.map(\.range)
        let foundRanges = found.pieces.map(\.range)
        if signedRanges == [nil] || foundRanges == [nil] || signedRanges != foundRanges {
            if let signedSize = signed.size, let foundSize = found.size, signedSize != foundSize {
                return [.resized(path: path, expectedBytes: signedSize, foundBytes: foundSize)]
            }
            return [.modified(path: path, expected: signed.summaryHex, found: found.summaryHex)]
        }
        var result: [ManifestDifference] = []
        for (a, b) in zip(signed.pieces, found.pieces) where a != b {
            result.append(.shardMismatch(path: path, range: a.range ?? 0..<0, expected: hexString(a.digest), found: hexString(b.digest)))
        }
        return result
    }

    /// The items of one file: one piece per file, or one per shard in order.
    private struct FileEntry {
        struct Piece: Hashable {
            let range: Range<Int64>?
            let algorithm: String
            let digest: [UInt8]
        }
        var pieces: [Piece] = []

        /// The file size implied by its shards (`nil` for whole-file items).
        var size: Int64? { pieces.last?.range?.upperBound }

        var summaryHex: String { pieces.count == 1 ? hexString(pieces[0].digest) : "\(pieces.count) shards" }

        static func group(_ manifest: ModelManifest) -> [String: FileEntry] {
            var files: [String: FileEntry] = [:]
            for item in manifest.items {
                files[item.key.path, default: FileEntry()].pieces.append(
                    Piece(range: item.key.range, algorithm: item.descriptor.algorithm, digest: item.descriptor.digest))
            }
            return files
        }
    }
}
