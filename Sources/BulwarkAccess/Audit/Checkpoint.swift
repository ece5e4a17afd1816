/// A transparency-log checkpoint (c2sp.org/tlog-checkpoint): the body of a signed note naming
/// the log (origin), its size and its RFC 6962 root hash.
///
/// ```text
/// bulwark.example/audit
/// 1024
/// 3ZC2R3lmSVmfEXjqR6HIRKxyN55pBhaf6aSW1GxnNWk=
/// ```
///
/// A checkpoint taken from ``open(_:origin:verifier:)`` has had its signature checked; one built
/// from parts or from ``init(body:)`` has not.
public struct Checkpoint: Hashable, Sendable {
    /// The log's identity, such as `bulwark.example/audit`.
    public var origin: String
    /// The number of entries the tree head covers.
    public var size: UInt64
    /// The RFC 6962 root hash of the first ``size`` entries.
    public var rootHash: MerkleHash
    /// Opaque extension lines after the root hash (none, by default; not recommended).
    public var extensions: [String]

    /// A checkpoint of a tree of `size` entries with head `rootHash`.
    public init(origin: String, size: UInt64, rootHash: MerkleHash, extensions: [String] = []) {
        self.origin = origin
        self.size = size
        self.rootHash = rootHash
        self.extensions = extensions
    }

    /// The note text: origin, size in decimal, base64 root hash and any extension lines, each
    /// ending in a newline.
    public var body: String {
        ([origin, String(size), rootHash.base64] + extensions).map { $0 + "\n" }.joined()
    }

    /// Parses a note text strictly; throws `.malformed` naming the first line that breaks the
    /// format (at least three non-empty lines; a decimal size without leading zeros; a base64
    /// 32-byte root hash; non-empty extension lines).
    public init(body: String) throws(AccessError) {
        guard body.utf8.count <= SignedNote.maximumBytes, body.utf8.last == 0x0A else {
            throw AccessError(.malformed, "checkpoint: expected lines ending in a newline")
        }
        let lines = body.utf8.dropLast().split(separator: 0x0A, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        guard lines.count >= 3 else { throw AccessError(.malformed, "checkpoint: expected origin, size and root hash lines") }
        guard !lines[0].isEmpty else { throw AccessError(.malformed, "checkpoint: line 1: empty origin") }
        let sizeText = lines[1]
        guard sizeText.utf8.allSatisfy({ (0x30...0x39).contains($0) }), !sizeText.isEmpty, sizeText.utf8.count <= 20,
              sizeText == "0" || sizeText.utf8.first != 0x30, let size = UInt64(sizeText) else {
            throw AccessError(.malformed, "checkpoint: line 2: expected a tree size in decimal without leading zeros")
        }
        guard let rootBytes = Base64.decode(lines[2]), let root = MerkleHash(bytes: rootBytes) else {
            throw AccessError(.malformed, "checkpoint: line 3: expected a base64 32-byte root hash")
        }
        for (offset, line) in lines.dropFirst(3).enumerated() where line.isEmpty {
            throw AccessError(.malformed, "checkpoint: line \(offset + 4): empty extension line")
        }
        self.init(origin: lines[0], size: size, rootHash: root, extensions: Array(lines.dropFirst(3)))
    }

    /// The checkpoint as a signed note by `signer`.
    public func signed(by signer: NoteSigner) throws(AccessError) -> SignedNote {
        try SignedNote.sign(body, by: [signer])
    }

    /// Parses a signed checkpoint, checks its signature by `verifier` and that its origin is
    /// `origin`.
    ///
    /// Throws `.malformed` for a malformed note or body, `.tampered` for a signature that fails,
    /// `.unauthenticated` when `verifier` did not sign it, and `.tampered` for another origin.
    public static func open(_ note: String, origin: String, verifier: NoteVerifier) throws(AccessError) -> Checkpoint {
        let text = try SignedNote.parse(note).verifiedText(by: [verifier])
        let checkpoint = try Checkpoint(body: text)
        guard checkpoint.origin == origin else {
            throw AccessError(.tampered, "checkpoint: origin '\(checkpoint.origin)' is not the expected '\(origin)'")
        }
        return checkpoint
    }
}
