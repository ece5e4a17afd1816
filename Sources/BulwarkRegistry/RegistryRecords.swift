public import Foundation

/// How much harm a model can do when it misbehaves; set when the model is created.
public enum RiskTier: String, Sendable, Codable, CaseIterable {
    /// Little harm possible (an internal experiment).
    case low
    /// Moderate harm (a user-facing feature with a human in the loop).
    case medium
    /// Serious harm (decisions about people, money or safety).
    case high
    /// Harm that must not happen (regulated, safety-critical use).
    case critical
}

/// The most sensitive data the model was trained on or may reveal.
public enum DataClassification: String, Sendable, Codable, CaseIterable {
    /// Public data.
    case `public`
    /// Internal data.
    case `internal`
    /// Confidential data (customer or business secrets).
    case confidential
    /// Restricted data (personal, health, financial).
    case restricted
}

/// The stage of a model version. Versions move draft → staging → production; any stage may be
/// revoked, and revoked is final.
public enum VersionState: String, Sendable, Codable, CaseIterable {
    /// Uploaded, gates not passed yet.
    case draft
    /// Passed the gates; may be approved and promoted.
    case staging
    /// Serving; at most one version of a model is here.
    case production
    /// Withdrawn; never downloadable again.
    case revoked
}

/// A registered model: the name its versions share and who owns it.
public struct ModelRecord: Sendable, Hashable, Codable {
    /// The unique name (`[a-z0-9][a-z0-9._-]{0,127}`).
    public let name: String
    /// The owning team.
    public let team: String
    /// The risk tier.
    public let riskTier: RiskTier
    /// The data classification.
    public let dataClassification: DataClassification
    /// The id of the principal who created it.
    public let createdBy: String
    /// When it was created.
    public let createdAt: Date
}

/// Where a version came from: the data it was trained on, the command that trained it, and the
/// version it was derived from.
public struct Lineage: Sendable, Hashable, Codable {
    /// The SHA-256 of the dataset manifest (`sha256:` and 64 lowercase hex digits), if known.
    public var datasetManifestDigest: String?
    /// The training command line, if known (at most 4096 characters, one line).
    public var trainingCommand: String?
    /// The number of the version of the same model this one was derived from, if any.
    public var parentVersion: Int?

    /// Lineage with the given facts (all optional).
    public init(datasetManifestDigest: String? = nil, trainingCommand: String? = nil, parentVersion: Int? = nil) {
        self.datasetManifestDigest = datasetManifestDigest
        self.trainingCommand = trainingCommand
        self.parentVersion = parentVersion
    }
}

/// An admin's decision to let a version whose scan is `unsupported` through the scan gate.
public struct GateOverrideRecord: Sendable, Hashable, Codable {
    /// The admin's principal id.
    public let by: String
    /// Why (non-empty).
    public let reason: String
    /// When.
    public let at: Date
}

/// One version of a model: its artifact, gate outcomes, lineage and stage.
public struct ModelVersion: Sendable, Hashable, Codable {
    /// The model's name.
    public let model: String
    /// The number the registry assigned (1, 2, … per model).
    public let number: Int
    /// The current stage.
    public let state: VersionState
    /// The uploader's principal id.
    public let uploader: String
    /// The uploader's team at upload time, if any.
    public let uploaderTeam: String?
    /// SHA-256 of the artifact, 64 lowercase hex digits (also the blob's name).
    public let sha256: String
    /// The artifact's size in bytes.
    public let size: Int64
    /// The file name given at upload (a single path component).
    public let filename: String
    /// The lineage recorded at upload.
    public let lineage: Lineage
    /// The last gate run's report, or `nil` before ``ModelRegistry/submit(model:version:by:override:)``.
    public let gateReport: GateReport?
    /// The scan override, when an admin let an `unsupported` scan through.
    public let override: GateOverrideRecord?
    /// Whether a signature bundle was uploaded with the version.
    public let hasSignature: Bool
    /// Whether an evaluation attestation was uploaded with the version.
    public let hasAttestation: Bool
    /// Why the version was revoked, when it was.
    public let revocationReason: String?
    /// When it was uploaded.
    public let createdAt: Date
}

/// One stage change of a version, as recorded in the stage history.
public struct StageChange: Sendable, Hashable, Codable {
    /// The version's number.
    public let version: Int
    /// The stage before (`nil` for the upload itself).
    public let from: VersionState?
    /// The stage after.
    public let to: VersionState
    /// The principal id that made the change.
    public let actor: String
    /// The reason given, or the registry's note (`superseded by version 4`).
    public let reason: String?
    /// When.
    public let at: Date
}

/// An approval of a staging version for production (the second person of the two-person rule).
public struct Approval: Sendable, Hashable, Codable {
    /// The version's number.
    public let version: Int
    /// The approver's principal id.
    public let approver: String
    /// When.
    public let at: Date
}

/// Who a registered signing key belongs to.
public enum Publisher: Sendable, Hashable, Codable, CustomStringConvertible {
    /// One principal (by id).
    case user(String)
    /// Every member of a team.
    case team(String)

    /// `user:ID` or `team:NAME`.
    public var description: String {
        switch self {
        case .user(let id): "user:\(id)"
        case .team(let name): "team:\(name)"
        }
    }

    var kind: String { if case .user = self { "user" } else { "team" } }
    var name: String { switch self { case .user(let id): id; case .team(let name): name } }
}

/// A public key registered to verify a publisher's model signatures.
public struct PublisherKey: Sendable, Hashable, Codable {
    /// Whose key it is.
    public let publisher: Publisher
    /// The key's model-signing hint (hex SHA-256 of its PEM).
    public let hint: String
    /// The key in PEM.
    public let pem: String
    /// Who registered it.
    public let registeredBy: String
    /// When.
    public let registeredAt: Date
}

/// A verified artifact ready to be sent: the HTTP layer streams ``path`` and sets `Digest` /
/// `Repr-Digest` from ``sha256`` (or ``reprDigestHeader``).
public struct VersionDownload: Sendable, Hashable {
    /// The version.
    public let version: ModelVersion
    /// The blob's path on disk (named by its SHA-256; send it under ``ModelVersion/filename``).
    public let path: String
    /// The size in bytes, as re-measured.
    public let size: Int64
    /// SHA-256, 64 lowercase hex digits, as re-computed from the blob just now.
    public let sha256: String

    /// The RFC 9530 `Repr-Digest` value: `sha-256=:BASE64:`.
    public var reprDigestHeader: String {
        "sha-256=:" + Data(hexBytes(sha256)).base64EncodedString() + ":"
    }
}

/// The bytes of a lowercase hex string (invalid pairs are skipped; only called on digests the
/// registry computed).
func hexBytes(_ hex: String) -> [UInt8] {
    var out: [UInt8] = []
    var iterator = hex.utf8.makeIterator()
    func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        default: nil
        }
    }
    while let high = iterator.next(), let low = iterator.next() {
        if let h = nibble(high), let l = nibble(low) { out.append(h << 4 | l) }
    }
    return out
}

/// Lowercase hex of `bytes`.
func hex(_ bytes: some Sequence<UInt8>) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    for byte in bytes {
        out.append(digits[Int(byte >> 4)])
        out.append(digits[Int(byte & 0x0F)])
    }
    return String(decoding: out, as: UTF8.self)
}
