internal import BulwarkArchive
internal import Crypto
internal import Foundation

/// A signed statement that an assessment report belongs to a model: an in-toto v1 Statement
/// whose **subjects** are the model's files (or shards) with their SHA-256 digests, computed
/// exactly as the OpenSSF Model Signing manifest computes them, and whose **predicate** carries
/// the report — its digest, tool and version, the command that reproduces it, the seed, a
/// summary by severity and every finding — inside the same Sigstore bundle (DSSE envelope) that
/// `bulwark sign` writes. Standard in-toto tooling can match the subjects against the model.
///
/// The report is read as JSON bytes (this module sits below the report module), so any report
/// Bulwark writes (`report.json` of `assess`, `evaluate --out`, `privacy audit --out`) works.
///
/// ```swift
/// let key = try ModelSigningPrivateKey(pemFile: "key.pem")
/// let reportBytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: "assessment/report.json")))
/// let attestation = try await AssessmentAttestation.sign(modelAt: "model.safetensors", report: reportBytes, identity: .key(key))
/// try attestation.write(to: "model.attestation.json")
///
/// let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: "model.attestation.json")))
/// let pub = try ModelSigningPublicKey(pemFile: "key.pub.pem")
/// let verified = try await AssessmentAttestation.verify(modelAt: "model.safetensors", attestation: bytes, key: .publicKey(pub))
/// ```
public enum AssessmentAttestation {
    /// The predicate type of a Bulwark assessment attestation.
    public static let predicateType = "urn:bulwark:predicate:assessment:v1"
    /// Largest report accepted, in bytes.
    public static let maxReportBytes = 256 << 20

    /// Hashes the model at `path` and signs a statement binding it to `report` (report.json bytes).
    /// - Throws: ``SigningError`` `.payload` when the report is not a Bulwark report.
    public static func sign(modelAt path: String, report: [UInt8], identity: ModelSigningIdentity, options: HashingOptions = HashingOptions()) async throws(SigningError) -> ModelSignature {
        let manifest = try await ModelHasher.manifest(of: path, options: options)
        let statement = try encode(manifest: manifest, report: report)
        return ModelSignature(bundle: try ModelSigner.bundle(statement: statement, identity: identity), manifest: manifest)
    }

    /// The statement's bytes (JSON, two-space indent).
    static func encode(manifest: ModelManifest, report: [UInt8]) throws(SigningError) -> [UInt8] {
        guard report.count <= maxReportBytes else { throw SigningError(.payload, "the report is larger than \(maxReportBytes) bytes") }
        let json: JSONValue
        do { json = try JSONParser.parse(report, maxDepth: 128) } catch {
            throw SigningError(.payload, "the report is not valid JSON: \(error.description)", underlying: error)
        }
        guard let findings = json["findings"]?.arrayValue, json["title"]?.stringValue != nil else {
            throw SigningError(.payload, "the report is not a Bulwark report (no 'title' and 'findings')")
        }
        var counts: [String: Int] = [:]
        for f in findings { counts[f["severity"]?.stringValue ?? "unknown", default: 0] += 1 }
        let oms: JSONValue
        do { oms = try JSONParser.parse(InTotoStatement.encode(manifest), maxDepth: 64) } catch {
            throw SigningError(.payload, "internal: the manifest statement does not parse (\(error.description))", underlying: error)
        }
        let subjects = manifest.items.map { item in
            JSONValue.object([JSONMember("name", .string(item.key.description)),
                              JSONMember("digest", .object([JSONMember("sha256", .string(item.descriptor.digestHex))]))])
        }
        let predicate = JSONValue.object([
            JSONMember("report", .object([
                JSONMember("sha256", .string(hexString(SHA256.hash(data: report)))),
                JSONMember("title", json["title"] ?? .null),
                JSONMember("tool", json["tool"] ?? .null),
                JSONMember("tool_version", json["toolVersion"] ?? json["tool_version"] ?? .null),
                JSONMember("command", json["command"] ?? .null),
                JSONMember("seed", json["seed"] ?? .null),
                JSONMember("created_at", json["createdAt"] ?? json["created_at"] ?? .null),
            ])),
            JSONMember("summary", .object(counts.sorted { $0.key < $1.key }.map { JSONMember($0.key, .integer($0.value)) })),
            JSONMember("findings", .array(findings)),
            JSONMember("model_manifest", oms),
        ])
        let statement = JSONValue.object([
            JSONMember("_type", .string(InTotoStatement.statementType)),
            JSONMember("subject", .array(subjects)),
            JSONMember("predicateType", .string(predicateType)),
            JSONMember("predicate", predicate),
        ])
        return JSONWriter.encode(statement, style: .indented(2))
    }

    /// Checks an attestation bundle: its signature under `key`, then that the model at `path`
    /// hashes to the attested subjects (every differing file listed), then — when `report` is
    /// given — that the report is byte-for-byte the attested one.
    /// - Throws: ``SigningError``: `.signatureInvalid`/`.keyMismatch`/`.malformedSignature` for
    ///   the bundle, `.payload` for a statement that is not an assessment attestation,
    ///   `.modelMismatch` (with `differences`) for a changed model, `.reportMismatch` for a
    ///   changed report.
    public static func verify(modelAt path: String, attestation bytes: [UInt8], file: String = "attestation", key: ModelVerificationKey,
                              report: [UInt8]? = nil, options: ModelVerificationOptions = ModelVerificationOptions()) async throws(SigningError) -> VerifiedAttestation {
        let (bundle, signer) = try await ModelVerifier.openEnvelope(bytes, file: file, key: key)
        guard bundle.payloadType == InTotoStatement.payloadType, bundle.payload.count <= InTotoStatement.maxPayloadBytes else {
            throw SigningError(.payload, "'\(file)' does not carry an in-toto statement")
        }
        let json: JSONValue
        do { json = try JSONParser.parse(bundle.payload, maxDepth: 160) } catch {
            throw SigningError(.payload, "the attested statement is not valid JSON: \(error.description)", underlying: error)
        }
        guard json["_type"]?.stringValue == InTotoStatement.statementType, json["predicateType"]?.stringValue == predicateType else {
            throw SigningError(.payload, "'\(file)' is not a Bulwark assessment attestation (predicateType \(json["predicateType"]?.stringValue ?? "missing"))")
        }
        guard let predicate = json["predicate"], let omsJSON = predicate["model_manifest"], let subjects = json["subject"]?.arrayValue else {
            throw SigningError(.payload, "the attestation lacks its subjects or model manifest")
        }
        let manifest = try InTotoStatement.decode(JSONWriter.encode(omsJSON, style: .indented(2)))
        let attested = subjects.compactMap { s -> String? in
            guard let n = s["name"]?.stringValue, let d = s["digest"]?["sha256"]?.stringValue else { return nil }
            return n + " " + d
        }
        guard attested == manifest.items.map({ $0.key.description + " " + $0.descriptor.digestHex }) else {
            throw SigningError(.payload, "the attestation's subjects do not match its model manifest")
        }
        let verified = try await ModelVerifier.verify(modelAt: path, against: SignedManifest(manifest: manifest, signer: signer), options: options)
        let reportJSON = predicate["report"]
        let attestedDigest = reportJSON?["sha256"]?.stringValue ?? ""
        if let report {
            let found = hexString(SHA256.hash(data: report))
            guard found == attestedDigest else {
                throw SigningError(.reportMismatch, "the report differs from the attested one (sha256 attested \(attestedDigest.prefix(16))…, found \(found.prefix(16))…)")
            }
        }
        let findings = (predicate["findings"]?.arrayValue ?? []).map { f in
            AttestedFinding(severity: f["severity"]?.stringValue ?? "?", title: f["title"]?.stringValue ?? "?", id: f["id"]?.stringValue ?? "")
        }
        return VerifiedAttestation(manifest: verified.manifest, signer: signer, reportDigestHex: attestedDigest,
                                   reportTitle: reportJSON?["title"]?.stringValue ?? "", command: reportJSON?["command"]?.stringValue ?? "",
                                   toolVersion: reportJSON?["tool_version"]?.stringValue ?? "", seed: reportJSON?["seed"]?.int64Value, findings: findings)
    }
}

/// One finding as an attestation records it.
public struct AttestedFinding: Sendable, Equatable {
    /// `critical`, `high`, `medium`, `low` or `info`.
    public let severity: String
    /// The finding's one-line title.
    public let title: String
    /// Its stable id.
    public let id: String
}

/// An attestation whose signature, model and (when given) report were checked.
public struct VerifiedAttestation: Sendable {
    /// The attested model manifest (equal to the model on disk).
    public let manifest: ModelManifest
    /// Who signed it.
    public let signer: String
    /// The SHA-256 of the attested report.json.
    public let reportDigestHex: String
    /// The report's title.
    public let reportTitle: String
    /// The command that reproduces the report.
    public let command: String
    /// The Bulwark version that wrote the report.
    public let toolVersion: String
    /// The report's seed, when it has one.
    public let seed: Int64?
    /// The attested findings.
    public let findings: [AttestedFinding]
}
