/// One entry of a ZIP archive's central directory, as declared (not yet verified).
public struct ZipEntry: Sendable, Equatable, Hashable {
    /// The name decoded as UTF-8 (invalid sequences replaced by U+FFFD).
    public let name: String
    /// The name's bytes as stored.
    public let rawName: [UInt8]
    /// The compression method (0 stored, 8 deflate, 12 bzip2, 14 LZMA; others are unsupported here).
    public let method: UInt16
    /// The general-purpose flag bits (bit 0 encrypted, bit 3 data descriptor, bit 11 UTF-8).
    public let flags: UInt16
    /// Declared CRC-32 of the uncompressed data.
    public let crc32: UInt32
    /// Declared compressed size in bytes.
    public let compressedSize: UInt64
    /// Declared uncompressed size in bytes.
    public let uncompressedSize: UInt64
    /// Offset of the local file header from the start of the source.
    public let localHeaderOffset: UInt64
    /// Offset of the entry's data, from its local header; nil when the local header could not
    /// be read (such an entry cannot be extracted).
    public let dataOffset: UInt64?
    /// Position of this entry in the central directory.
    public let index: Int

    /// Whether the entry is marked encrypted (flag bit 0).
    public var isEncrypted: Bool { flags & 1 != 0 }
    /// Whether the name ends with `/` (a directory entry).
    public var isDirectory: Bool { rawName.last == UInt8(ascii: "/") }
    /// Whether ``method`` is one this module can extract: stored (0), deflate (8), bzip2 (12)
    /// or LZMA (14) — the methods Python's `zipfile` reads.
    public var isMethodSupported: Bool { method == 0 || method == 8 || method == 12 || method == 14 }
}

/// A structural problem found while parsing a ZIP archive. Parsing records these instead of
/// failing so that a scanner can report every one of them.
public struct ZipIssue: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// What kind of problem.
    public enum Kind: String, Sendable, Equatable, Hashable, CaseIterable {
        /// A name has a `..` path component.
        case pathTraversal
        /// A name starts with `/` (absolute path).
        case absolutePath
        /// A name holds a backslash or a drive letter (`C:`), Windows path syntax.
        case windowsPath
        /// A name holds a NUL or other control character.
        case controlCharacterInName
        /// Two entries share a name.
        case duplicateName
        /// Two entries' byte ranges overlap (the overlap zip-bomb technique, or a forged
        /// directory), or an entry overlaps the central directory.
        case overlappingEntries
        /// A declared size is above the configured limit.
        case sizeBeyondLimit
        /// An entry's data runs past the end of the file, or an offset points outside it.
        case sizeBeyondArchive
        /// The declared uncompressed / compressed ratio is above the configured limit.
        case suspiciousCompressionRatio
        /// The local header disagrees with the central directory (name, method, sizes, CRC).
        case headerMismatch
        /// The entry is encrypted.
        case encrypted
        /// The compression method is not stored or deflate.
        case unsupportedMethod
        /// The archive is cut short (directory or headers missing).
        case truncated
        /// More entries than the configured limit; the rest were not parsed.
        case tooManyEntries
        /// The end-of-central-directory records disagree with each other or with the file
        /// (wrong counts, bytes before the first entry, multi-disk archives).
        case inconsistentDirectory
        /// Bytes precede the archive (a self-extracting stub or a polyglot file); entry
        /// offsets were adjusted as Python's `zipfile` does. See ``ZipArchive/leadingBytes``.
        case leadingData
    }

    /// The kind of problem.
    public let kind: Kind
    /// The entry concerned, if any.
    public let entry: String?
    /// One line describing it (control characters escaped).
    public let message: String

    /// Creates an issue.
    public init(_ kind: Kind, entry: String?, _ message: String) {
        self.kind = kind
        self.entry = entry
        self.message = message.oneLine()
    }

    /// `kind: message`.
    public var description: String { "\(kind.rawValue): \(message)" }
}

/// Limits applied while parsing and reading a ZIP archive. The defaults suit model archives
/// (PyTorch checkpoints, `.npz`, `.keras`) of up to a few gigabytes.
public struct ZipLimits: Sendable, Equatable {
    /// Entries parsed at most; more are reported as ``ZipIssue/Kind/tooManyEntries``.
    public var maxEntries: Int
    /// Largest central directory read, in bytes; a larger one is an error.
    public var maxCentralDirectoryBytes: Int
    /// Declared uncompressed size of one entry above which an issue is recorded.
    public var maxEntryUncompressedBytes: UInt64
    /// Declared total uncompressed size above which an issue is recorded.
    public var maxTotalUncompressedBytes: UInt64
    /// Declared uncompressed/compressed ratio above which an issue is recorded. DEFLATE
    /// cannot exceed about 1032:1, so any larger declared ratio is a lie or a bomb.
    public var maxCompressionRatio: UInt64
    /// Most issues recorded (a hostile archive can produce one per entry pair).
    public var maxIssues: Int

    /// Creates limits; every argument has a default.
    public init(maxEntries: Int = 100_000,
                maxCentralDirectoryBytes: Int = 64 << 20,
                maxEntryUncompressedBytes: UInt64 = 16 << 30,
                maxTotalUncompressedBytes: UInt64 = 64 << 30,
                maxCompressionRatio: UInt64 = 1_100,
                maxIssues: Int = 1_000) {
        self.maxEntries = maxEntries
        self.maxCentralDirectoryBytes = maxCentralDirectoryBytes
        self.maxEntryUncompressedBytes = maxEntryUncompressedBytes
        self.maxTotalUncompressedBytes = maxTotalUncompressedBytes
        self.maxCompressionRatio = maxCompressionRatio
        self.maxIssues = maxIssues
    }
}
