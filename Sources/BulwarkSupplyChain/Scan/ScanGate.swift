public import BulwarkArchive
import Crypto

extension ScanVerdict {
    /// Whether a file with this verdict may be loaded: only `clean` may. A suspicious,
    /// malicious, unsupported or unreadable file is never loaded, because nothing vouches for it.
    public var allowsLoading: Bool { self == .clean }
}

/// A model file's bytes that the scanner read once, hashed and accepted for loading.
///
/// Only ``ArtifactScanner/admit(path:maxBytes:)`` and ``ArtifactScanner/admit(bytes:path:)``
/// make one, and only for a `clean` verdict, so code that loads from an `AcceptedArtifact`
/// cannot load bytes that were not scanned, or were scanned and refused: the gate is a type the
/// compiler checks, not a condition re-tested at each call site. The bytes are the very bytes
/// scanned and hashed; the file is not read again.
public struct AcceptedArtifact: Sendable {
    /// The file's path, as given.
    public let path: String
    /// The bytes scanned, hashed and to be loaded.
    public let bytes: [UInt8]
    /// SHA-256 of ``bytes``, lowercase hex.
    public let sha256: String
    /// The scan (verdict `clean`).
    public let scan: ScannedFile

    fileprivate init(path: String, bytes: [UInt8], sha256: String, scan: ScannedFile) {
        self.path = path
        self.bytes = bytes
        self.sha256 = sha256
        self.scan = scan
    }
}

/// What the scanner decided about a file to be loaded.
public enum ScanAdmission: Sendable {
    /// The file is clean; its bytes may be loaded.
    case accepted(AcceptedArtifact)
    /// The file must not be loaded: its scan (verdict other than `clean`) and the SHA-256 of
    /// the bytes scanned.
    case refused(ScannedFile, sha256: String)

    /// The scan, whichever the decision.
    public var scan: ScannedFile {
        switch self {
        case .accepted(let a): a.scan
        case .refused(let s, _): s
        }
    }

    /// SHA-256 of the bytes scanned, lowercase hex.
    public var sha256: String {
        switch self {
        case .accepted(let a): a.sha256
        case .refused(_, let h): h
        }
    }

    /// The accepted artifact, or `nil` when refused.
    public var accepted: AcceptedArtifact? {
        if case .accepted(let a) = self { return a }
        return nil
    }
}

extension ArtifactScanner {
    /// Scans `bytes` (the contents of `path`, already in memory) and accepts them for loading
    /// when the verdict is `clean`.
    ///
    /// ```swift
    /// let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: "model.safetensors")))
    /// switch ArtifactScanner().admit(bytes: bytes, path: "model.safetensors") {
    /// case .accepted(let artifact): print("load", artifact.bytes.count, "bytes")
    /// case .refused(let scan, _): print("refused:", scan.verdict)
    /// }
    /// ```
    public func admit(bytes: [UInt8], path: String) -> ScanAdmission {
        let scan = scan(bytes: bytes, path: path)
        let digest = SHA256.hash(data: bytes).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
        guard scan.verdict.allowsLoading else { return .refused(scan, sha256: digest) }
        return .accepted(AcceptedArtifact(path: path, bytes: bytes, sha256: digest, scan: scan))
    }

    /// Reads the regular file at `path` once (at most `maxBytes`), then scans and hashes those
    /// bytes as ``admit(bytes:path:)`` does; what is loaded later is what was read here, so a
    /// file replaced on disk after the scan cannot be loaded in its place.
    /// - Throws: ``ArchiveError`` when `path` is not a readable regular file or is larger than
    ///   `maxBytes`.
    public func admit(path: String, maxBytes: Int) throws(ArchiveError) -> ScanAdmission {
        admit(bytes: try FileChecks.readRegularFile(path, maxBytes: maxBytes), path: path)
    }
}
