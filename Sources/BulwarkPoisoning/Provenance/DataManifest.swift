import BulwarkArchive
import Crypto
import Foundation

/// One data file in a ``DataManifest``.
public struct ManifestEntry: Codable, Sendable, Equatable {
    /// The path: relative to the manifest's directory in directory mode, as given in files mode.
    public var path: String
    /// SHA-256 of the file's bytes, lower-case hex.
    public var sha256: String
    /// The file's size in bytes.
    public var size: Int
    /// Its record count, when the format is known (see ``RecordCounter``); not hashed into the root.
    public var records: Int?

    /// Creates an entry.
    public init(path: String, sha256: String, size: Int, records: Int?) {
        self.path = path
        self.sha256 = sha256
        self.size = size
        self.records = records
    }

    /// The bytes hashed as this entry's Merkle leaf: the path's UTF-8 bytes, a 0x00 byte, the 32
    /// digest bytes, the size as 8 big-endian bytes.
    public var leafBytes: [UInt8] {
        var out = Array(path.utf8) + [0]
        out += MerkleTree.bytes(hex: sha256) ?? []
        out += (0..<8).reversed().map { UInt8(truncatingIfNeeded: UInt64(size) >> (8 * UInt64($0))) }
        return out
    }
}

/// What changed between a manifest and the files on disk.
public struct ManifestDifference: Sendable, Equatable {
    /// Paths whose digest or size differ.
    public var modified: [String]
    /// Paths on disk the manifest does not list (directory mode only).
    public var added: [String]
    /// Paths the manifest lists that are gone.
    public var missing: [String]

    /// Whether nothing changed.
    public var isEmpty: Bool { modified.isEmpty && added.isEmpty && missing.isEmpty }
}

/// A provenance manifest of data files: each file's SHA-256, size and record count, and a
/// Merkle root (``MerkleTree``, RFC 6962 over the entries' ``ManifestEntry/leafBytes`` in
/// path order), written as JSON that `bulwark sign` can sign as any file.
///
/// Two modes: **directory** — one directory walked recursively, entries relative to it, in
/// byte order of their paths, so added files are noticed; **files** — the files (or
/// directories, walked) given, by the paths given. Symbolic links are refused, as are FIFOs,
/// sockets and devices: a manifest covers regular files it read, never what a link points to.
///
/// ```swift
/// let manifest = try DataManifest.make(paths: ["data/"])
/// try manifest.write(to: "manifest.json")
/// try DataManifest.read(from: "manifest.json").verify()   // throws .dataChanged on any change
/// ```
public struct DataManifest: Codable, Sendable, Equatable {
    /// The version of this JSON layout.
    public static let currentVersion = 1

    /// How the entries were collected.
    public enum Mode: String, Codable, Sendable {
        /// One directory, entries relative to ``DataManifest/base``.
        case directory
        /// Files as given.
        case files
    }

    /// Layout version.
    public var version: Int
    /// The tool that made it, e.g. `bulwark 0.1.0`.
    public var createdBy: String
    /// Directory or files mode.
    public var mode: Mode
    /// Directory mode: the directory as given (resolved from the current directory when checked).
    public var base: String?
    /// The leaf and node hashing, `rfc6962-sha256`.
    public var treeHash: String
    /// The Merkle root over the entries, lower-case hex.
    public var root: String
    /// The files, sorted by path bytes.
    public var files: [ManifestEntry]
    /// The sum of the known record counts.
    public var totalRecords: Int

    enum CodingKeys: String, CodingKey {
        case version, createdBy = "created_by", mode, base, treeHash = "tree_hash", root, files, totalRecords = "total_records"
    }

    /// Hashes the files at `paths`: one directory makes a directory-mode manifest; anything
    /// else (files, or several paths) a files-mode one.
    /// - Throws: ``PoisoningError`` `.io` naming a path that is missing, a symbolic link, not a
    ///   regular file or unreadable; `.invalidParameter` for no paths or one path given twice.
    public static func make(paths: [String]) throws(PoisoningError) -> DataManifest {
        guard !paths.isEmpty else { throw PoisoningError(.invalidParameter, "give at least one data file or directory") }
        let entries: [ManifestEntry]
        let mode: Mode
        var base: String?
        if paths.count == 1, let only = paths.first, try kind(only) == .directory {
            mode = .directory
            base = only
            entries = try walk(only).map { (relative: String) throws(PoisoningError) -> ManifestEntry in
                try entry(path: relative, at: join(only, relative))
            }
        } else {
            mode = .files
            var collected: [ManifestEntry] = []
            for path in paths {
                if try kind(path) == .directory {
                    for relative in try walk(path) { collected.append(try entry(path: join(path, relative), at: join(path, relative))) }
                } else {
                    collected.append(try entry(path: path, at: path))
                }
            }
            entries = collected
        }
        let sorted = entries.sorted { Array($0.path.utf8).lexicographicallyPrecedes(Array($1.path.utf8)) }
        for (a, b) in zip(sorted, sorted.dropFirst()) where a.path == b.path {
            throw PoisoningError(.invalidParameter, "\(a.path): given twice")
        }
        return DataManifest(version: currentVersion, createdBy: "bulwark \(BulwarkVersion.current)", mode: mode, base: base,
                            treeHash: "rfc6962-sha256", root: MerkleTree.hex(MerkleTree.root(leaves: sorted.map(\.leafBytes))),
                            files: sorted, totalRecords: sorted.compactMap(\.records).reduce(0, +))
    }

    /// The root recomputed from ``files``.
    public var computedRoot: String { MerkleTree.hex(MerkleTree.root(leaves: files.map(\.leafBytes))) }

    /// Whether `path` (compared by its standardised absolute path) is one of the files listed.
    public func covers(_ path: String) -> Bool {
        let target = URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
        return files.contains { entry in
            let full = mode == .directory ? Self.join(base ?? ".", entry.path) : entry.path
            return URL(fileURLWithPath: full).standardizedFileURL.resolvingSymlinksInPath().path == target
        }
    }

    /// Whether this is a directory-mode manifest of `directory` (compared by standardised
    /// absolute path), so that every file under it is covered.
    public func isManifest(ofDirectory directory: String) -> Bool {
        guard mode == .directory, let base else { return false }
        func canonical(_ p: String) -> String { URL(fileURLWithPath: p).standardizedFileURL.resolvingSymlinksInPath().path }
        return canonical(base) == canonical(directory)
    }

    /// Re-hashes the files and lists what changed.
    /// - Throws: ``PoisoningError`` `.io` when the directory cannot be walked.
    public func difference() throws(PoisoningError) -> ManifestDifference {
        let now: DataManifest
        var missing: [String] = []
        if mode == .directory {
            guard let base, (try? Self.kind(base)) == .directory else {
                return ManifestDifference(modified: [], added: [], missing: files.map(\.path))
            }
            now = try Self.make(paths: [base])
        } else {
            var present: [String] = []
            for entry in files {
                if FileManager.default.fileExists(atPath: entry.path) { present.append(entry.path) } else { missing.append(entry.path) }
            }
            now = present.isEmpty ? DataManifest(version: version, createdBy: createdBy, mode: mode, base: nil, treeHash: treeHash,
                                                 root: "", files: [], totalRecords: 0)
                                  : try Self.make(paths: present)
        }
        let recorded = Dictionary(files.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
        let found = Dictionary(now.files.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
        let modified = files.filter { e in found[e.path].map { $0.sha256 != e.sha256 || $0.size != e.size } ?? false }.map(\.path)
        if mode == .directory { missing = files.filter { found[$0.path] == nil }.map(\.path) }
        let added = now.files.filter { recorded[$0.path] == nil }.map(\.path)
        return ManifestDifference(modified: modified, added: added, missing: missing)
    }

    /// Checks that the manifest is consistent (its root matches its entries) and that every file
    /// is unchanged.
    /// - Throws: ``PoisoningError`` `.dataChanged`, one line naming the first modified, added or
    ///   missing file and the counts of each; `.io` when the files cannot be read.
    public func verify(label: String = "manifest") throws(PoisoningError) {
        guard computedRoot == root else {
            throw PoisoningError(.dataChanged, "\(label): the root \(root.prefix(16))… does not match the listed files (\(computedRoot.prefix(16))…); the manifest was edited")
        }
        let diff = try difference()
        guard diff.isEmpty else {
            let first: String
            if let path = diff.modified.first, let entry = files.first(where: { $0.path == path }) {
                first = "modified '\(path)' (sha256 recorded \(entry.sha256.prefix(16))…)"
            } else if let path = diff.added.first {
                first = "added '\(path)' (not in the manifest)"
            } else {
                first = "missing '\(diff.missing.first ?? "")'"
            }
            throw PoisoningError(.dataChanged, "\(label): data changed since the manifest was made: \(first); \(diff.modified.count) modified, \(diff.added.count) added, \(diff.missing.count) missing")
        }
    }

    /// The manifest as pretty-printed JSON with sorted keys.
    public func jsonBytes() throws(PoisoningError) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        do { return Array(try encoder.encode(self)) } catch {
            throw PoisoningError(.invalidParameter, "manifest cannot be encoded as JSON: \(error)", underlying: error)
        }
    }

    /// Reads a manifest from JSON, refusing unknown versions and tree hashes.
    public static func decode(_ bytes: [UInt8], label: String = "manifest.json") throws(PoisoningError) -> DataManifest {
        let manifest: DataManifest
        do { manifest = try JSONDecoder().decode(DataManifest.self, from: Data(bytes)) } catch {
            throw PoisoningError(.shapeMismatch, "\(label): not a Bulwark data manifest (\(JSONErrorText.describe(error)))", underlying: error)
        }
        guard manifest.version == currentVersion, manifest.treeHash == "rfc6962-sha256" else {
            throw PoisoningError(.shapeMismatch, "\(label): manifest version \(manifest.version) with tree hash '\(manifest.treeHash)' is not supported (version \(currentVersion), rfc6962-sha256)")
        }
        if let bad = manifest.files.first(where: { MerkleTree.bytes(hex: $0.sha256)?.count != 32 || $0.size < 0 }) {
            throw PoisoningError(.shapeMismatch, "\(label): entry '\(bad.path)' needs a 64-digit sha256 and a size ≥ 0")
        }
        return manifest
    }

    /// Reads the manifest at `path`.
    public static func read(from path: String) throws(PoisoningError) -> DataManifest {
        try decode(try FileBytes.read(path, maxBytes: 256 << 20), label: path)
    }

    /// Writes the manifest to `path` (atomically).
    public func write(to path: String) throws(PoisoningError) {
        try FileBytes.write(try jsonBytes() + [0x0A], to: path)
    }

    // MARK: walking and hashing

    enum Kind { case file, directory }

    static func join(_ base: String, _ relative: String) -> String {
        base.hasSuffix("/") ? base + relative : base + "/" + relative
    }

    /// Whether `path` is a regular file or a directory; refuses links and special files.
    static func kind(_ path: String) throws(PoisoningError) -> Kind {
        let attributes: [FileAttributeKey: Any]
        do { attributes = try FileManager.default.attributesOfItem(atPath: path) } catch {
            throw PoisoningError(.io, "\(path): no such file or directory", underlying: error)
        }
        switch attributes[.type] as? FileAttributeType {
        case .typeRegular?: return .file
        case .typeDirectory?: return .directory
        case .typeSymbolicLink?: throw PoisoningError(.io, "\(path): symbolic links are refused; list the file it points to")
        default: throw PoisoningError(.io, "'\(path)' is not a regular file or directory")
        }
    }

    /// The regular files under `directory`, relative to it, recursively, sorted by path bytes.
    static func walk(_ directory: String) throws(PoisoningError) -> [String] {
        var out: [String] = []
        var pending = [""]
        while let relative = pending.popLast() {
            let full = relative.isEmpty ? directory : join(directory, relative)
            let names: [String]
            do { names = try FileManager.default.contentsOfDirectory(atPath: full) } catch {
                throw PoisoningError(.io, "\(full): cannot list the directory", underlying: error)
            }
            for name in names {
                let child = relative.isEmpty ? name : relative + "/" + name
                switch try kind(join(directory, child)) {
                case .file: out.append(child)
                case .directory: pending.append(child)
                }
            }
        }
        return out.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    }

    /// Hashes the file at `location`, recording it as `path`.
    static func entry(path: String, at location: String) throws(PoisoningError) -> ManifestEntry {
        do {
            let source = try FileSource(path: location)
            var hasher = SHA256()
            let chunk = 8 << 20
            var offset = 0
            while offset < source.size {
                let n = min(chunk, source.size - offset)
                hasher.update(data: try source.read(offset: offset, count: n))
                offset += n
            }
            return ManifestEntry(path: path, sha256: MerkleTree.hex(Array(hasher.finalize())), size: source.size,
                                 records: RecordCounter.count(path: location, source: source))
        } catch {
            throw PoisoningError(.io, error.message, underlying: error)
        }
    }
}
