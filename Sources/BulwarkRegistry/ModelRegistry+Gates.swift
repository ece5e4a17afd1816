public import BulwarkAccess
internal import BulwarkStore
internal import BulwarkSupplyChain
internal import Foundation

/// An admin's request to let an `unsupported` scan through the scan gate.
///
/// Valid only when ``admin`` holds an admin role, passed MFA within
/// ``RegistryConfiguration/overrideMFAMaxAgeSeconds`` and ``reason`` is not blank. It never lets a
/// `malicious`, `suspicious` or unreadable artifact through, nor a failed signature.
public struct GateOverride: Sendable {
    /// The admin who takes responsibility.
    public var admin: Principal
    /// Why the unsupported artifact is acceptable (recorded).
    public var reason: String

    /// An override by `admin` for `reason`.
    public init(admin: Principal, reason: String) {
        self.admin = admin
        self.reason = reason
    }
}

extension ModelRegistry {
    /// Runs the gates on a draft version and, when they pass, moves it to `staging`.
    ///
    /// 1. The blob is re-hashed (a tampered blob fails with `storage`).
    /// 2. Scan: ``RegistryConfiguration/scanner`` must say `clean`; `unsupported` passes only with
    ///    a valid ``GateOverride`` (recorded with the version); anything else never passes.
    /// 3. Signature: the bundle uploaded with the version must verify (OpenSSF Model Signing)
    ///    against a key registered for the uploader (`user:ID`) or the uploader's team
    ///    (`team:NAME`) and match the artifact.
    /// 4. Attestation (when uploaded): must verify against the same keys and match the artifact.
    ///
    /// The ``GateReport`` is stored with the version either way. Fails with `gateFailed` (the
    /// message lists the failed gates; the report is in ``ModelVersion/gateReport``), `refused`
    /// when the version is not a draft or the override is not allowed.
    @discardableResult
    public func submit(model: String, version number: Int, by principal: Principal, override: GateOverride? = nil) async throws(RegistryError) -> GateReport {
        let current = try await version(model: model, number: number)
        guard current.state == .draft else {
            throw RegistryError(.refused, "model '\(model)' version \(number): only a draft is submitted to the gates (it is \(current.state.rawValue))")
        }
        let now = clock()
        var acceptedOverride: GateOverrideRecord?
        if let override {
            try checkOverride(override, model: model, number: number, now: now)
            acceptedOverride = GateOverrideRecord(by: override.admin.id, reason: override.reason.trimmingCharacters(in: .whitespacesAndNewlines), at: now)
        }
        _ = try blobs.check(current.sha256, expectedSize: current.size)
        let path = blobs.path(of: current.sha256)
        let bundles = try await storedBundles(model: model, number: number)
        let keys = try await candidateKeys(for: current)

        // scan
        let scanned = configuration.scanner.scanFile(path: path)
        let scanPassed = scanned.verdict == .clean || (scanned.verdict == .unsupported && acceptedOverride != nil)
        let usedOverride = scanned.verdict == .unsupported && acceptedOverride != nil
        let scan = GateReport.Scan(
            verdict: scanned.verdict.rawValue, format: scanned.format, reason: scanned.reason,
            findings: scanned.findings.map { "\($0.severity.rawValue) \($0.rule): \($0.detail)" }, passed: scanPassed, overridden: usedOverride)

        // signature
        let signature = await checkSignature(bundles.signature, path: path, keys: keys)

        // attestation
        var attestation: GateReport.Attestation?
        if let bytes = bundles.attestation {
            attestation = await checkAttestation(bytes, path: path, keys: keys)
        }
        let report = GateReport(scan: scan, signature: signature, attestation: attestation, checkedAt: now)
        let reportJSON: String
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            reportJSON = String(decoding: try encoder.encode(report), as: UTF8.self)
        } catch {
            throw RegistryError(.storage, "model '\(model)' version \(number): cannot encode the gate report", underlying: error)
        }
        let stamp = Int64((now.timeIntervalSince1970 * 1000).rounded())
        let recordedOverride = usedOverride ? acceptedOverride : nil
        try await write { tx throws(RegistryError) in
            let modelID = try await lockModel(tx, model)
            let (versionID, state) = try await lockedVersion(tx, modelID: modelID, model: model, number: number)
            guard state == .draft else {
                throw RegistryError(.refused, "model '\(model)' version \(number): it left draft while its gates ran (now \(state.rawValue))")
            }
            try await store { () throws(StoreError) in
                try await tx.execute(SQLStatement(
                    """
                    UPDATE registry_versions SET scan_verdict = ?, signature_ok = ?, signer = ?, gate_report = ?,
                        override_by = ?, override_reason = ?, override_at = ?, state = ? WHERE id = ?
                    """,
                    [.text(scan.verdict), .integer(signature.passed ? 1 : 0), SQLValue(signature.signer), .text(reportJSON),
                     SQLValue(recordedOverride?.by), SQLValue(recordedOverride?.reason), recordedOverride.map { _ in SQLValue.integer(stamp) } ?? .null,
                     .text(report.passed ? VersionState.staging.rawValue : VersionState.draft.rawValue), .integer(versionID)]))
            }
            if report.passed {
                let reason = recordedOverride.map { "gates passed; unsupported scan overridden by \($0.by): \($0.reason)" } ?? "gates passed"
                try await recordChange(tx, versionID: versionID, from: .draft, to: .staging, actor: principal.id, reason: reason, at: stamp)
            }
        }
        guard report.passed else {
            throw RegistryError(.gateFailed, "model '\(model)' version \(number): gates failed: \(report.failures.joined(separator: "; "))")
        }
        return report
    }

    func checkOverride(_ override: GateOverride, model: String, number: Int, now: Date) throws(RegistryError) {
        let what = "model '\(model)' version \(number): override by '\(override.admin.id)'"
        guard !override.admin.roles.isDisjoint(with: configuration.adminRoles) else {
            throw RegistryError(.refused, "\(what) refused: only an admin may override a gate")
        }
        guard let verified = override.admin.mfaVerifiedAt, now.timeIntervalSince(verified) <= configuration.overrideMFAMaxAgeSeconds,
              verified <= now.addingTimeInterval(60) else {
            throw RegistryError(.refused, "\(what) refused: MFA must be verified within the last \(Int(configuration.overrideMFAMaxAgeSeconds)) seconds")
        }
        guard !override.reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, override.reason.count <= 2048 else {
            throw RegistryError(.refused, "\(what) refused: a reason (1 to 2048 characters) is required")
        }
    }

    /// The signature and attestation bundles stored with a version.
    func storedBundles(model: String, number: Int) async throws(RegistryError) -> (signature: [UInt8]?, attestation: [UInt8]?) {
        let rows = try await store { () throws(StoreError) in
            try await database.query(SQLStatement(
                "SELECT v.signature_bundle, v.attestation_bundle FROM registry_versions v JOIN registry_models m ON m.id = v.model_id WHERE m.name = ? AND v.number = ?",
                [.text(model), .integer(Int64(number))]))
        }
        guard let row = rows.first else { throw RegistryError(.notFound, "model '\(model)' has no version \(number)") }
        return try decodingValue { () throws(StoreError) in
            (try row.decode("signature_bundle", as: [UInt8]?.self), try row.decode("attestation_bundle", as: [UInt8]?.self))
        }
    }

    /// The keys that may vouch for `version`: the uploader's, then the uploader's team's.
    func candidateKeys(for version: ModelVersion) async throws(RegistryError) -> [(Publisher, ModelSigningPublicKey)] {
        var publishers: [Publisher] = [.user(version.uploader)]
        if let team = version.uploaderTeam { publishers.append(.team(team)) }
        var out: [(Publisher, ModelSigningPublicKey)] = []
        for publisher in publishers {
            for key in try await publisherKeys(for: publisher) {
                if let parsed = try? ModelSigningPublicKey(pem: Array(key.pem.utf8)) { out.append((publisher, parsed)) }
            }
        }
        return out
    }

    func checkSignature(_ bundle: [UInt8]?, path: String, keys: [(Publisher, ModelSigningPublicKey)]) async -> GateReport.Signature {
        guard let bundle else { return GateReport.Signature(passed: false, publisher: nil, signer: nil, detail: "no signature bundle was uploaded") }
        guard !keys.isEmpty else {
            return GateReport.Signature(passed: false, publisher: nil, signer: nil, detail: "no key is registered for the uploader or their team")
        }
        var lastFailure = "no registered key verifies it"
        for (publisher, key) in keys {
            do {
                let signed = try await ModelVerifier.verifySignature(bundle: bundle, file: "signature bundle", key: .publicKey(key))
                let verified = try await ModelVerifier.verify(modelAt: path, against: signed)
                return GateReport.Signature(passed: true, publisher: publisher.description, signer: verified.signer, detail: nil)
            } catch {
                if error.code == .keyMismatch { continue }
                lastFailure = error.code == .modelMismatch ? "the signature does not cover this artifact" : error.message
            }
        }
        return GateReport.Signature(passed: false, publisher: nil, signer: nil, detail: lastFailure)
    }

    func checkAttestation(_ bytes: [UInt8], path: String, keys: [(Publisher, ModelSigningPublicKey)]) async -> GateReport.Attestation {
        func failed(_ detail: String) -> GateReport.Attestation {
            GateReport.Attestation(passed: false, signer: nil, reportSHA256: nil, reportTitle: nil, findingsBySeverity: [:], detail: detail)
        }
        guard !keys.isEmpty else { return failed("no key is registered for the uploader or their team") }
        var lastFailure = "no registered key verifies it"
        for (_, key) in keys {
            do {
                let verified = try await AssessmentAttestation.verify(modelAt: path, attestation: bytes, key: .publicKey(key))
                var counts: [String: Int] = [:]
                for finding in verified.findings { counts[finding.severity, default: 0] += 1 }
                return GateReport.Attestation(passed: true, signer: verified.signer, reportSHA256: verified.reportDigestHex,
                                              reportTitle: verified.reportTitle, findingsBySeverity: counts, detail: nil)
            } catch {
                if error.code == .keyMismatch { continue }
                lastFailure = error.code == .modelMismatch ? "the attestation does not cover this artifact" : error.message
            }
        }
        return failed(lastFailure)
    }

    /// Reads a version's row id and state inside a transaction that holds the model's lock.
    func lockedVersion(_ tx: any SQLTransaction, modelID: Int64, model: String, number: Int) async throws(RegistryError) -> (Int64, VersionState) {
        let rows = try await store { () throws(StoreError) in
            try await tx.query(SQLStatement("SELECT id, state FROM registry_versions WHERE model_id = ? AND number = ?", [.integer(modelID), .integer(Int64(number))]))
        }
        guard let row = rows.first else { throw RegistryError(.notFound, "model '\(model)' has no version \(number)") }
        return try decodingValue { () throws(StoreError) in
            (try row.int64("id"), VersionState(rawValue: try row.string("state")) ?? .revoked)
        }
    }
}
