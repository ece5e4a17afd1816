public import BulwarkAccess
internal import BulwarkStore
internal import Foundation

extension ModelRegistry {
    /// Approves a `staging` version for production: the second person of the two-person rule.
    ///
    /// The approver must not be the uploader, must hold an approver role
    /// (``RegistryConfiguration/approverRoles``) and must have passed MFA within
    /// ``RegistryConfiguration/approvalMFAMaxAgeSeconds``; otherwise `refused`. An approval
    /// counts only while the version stays in the staging period it was given in (a version
    /// demoted from production needs a new one). Approving twice in one period is `conflict`.
    @discardableResult
    public func approve(model: String, version number: Int, by approver: Principal) async throws(RegistryError) -> Approval {
        let what = "model '\(model)' version \(number)"
        guard !approver.roles.isDisjoint(with: configuration.approverRoles) else {
            throw RegistryError(.refused, "\(what): '\(approver.id)' holds no approver role")
        }
        let now = clock()
        try requireFreshMFA(approver, maxAge: configuration.approvalMFAMaxAgeSeconds, now: now, what: "\(what): approval by '\(approver.id)'")
        let stamp = Int64((now.timeIntervalSince1970 * 1000).rounded())
        try await write { tx throws(RegistryError) in
            let modelID = try await lockModel(tx, model)
            let (versionID, state) = try await lockedVersion(tx, modelID: modelID, model: model, number: number)
            guard state == .staging else {
                throw RegistryError(.refused, "\(what): only a staging version is approved (it is \(state.rawValue))")
            }
            let row = try await store { () throws(StoreError) in
                try await tx.query(SQLStatement("SELECT uploader, uploader_person FROM registry_versions WHERE id = ?", [.integer(versionID)])).first
            }
            let uploader = try decodingValue { () throws(StoreError) in try row?.string("uploader") }
            let uploaderPerson: String? = try decodingValue { () throws(StoreError) in try row?.decode("uploader_person") }
            guard uploader != approver.id else {
                throw RegistryError(.refused, "\(what): the uploader '\(approver.id)' cannot approve their own version (two-person rule)")
            }
            // People, not accounts: a person's own service account is not a second person.
            if let person = approver.accountableUser, person == uploader || person == uploaderPerson {
                throw RegistryError(.refused, "\(what): '\(approver.id)' answers to '\(person)', who uploaded it (directly or through their service account): two-person rule")
            }
            let entry = try await stagingEntry(tx, versionID: versionID)
            let existing = try await store { () throws(StoreError) in
                try await tx.query(SQLStatement("SELECT approver FROM registry_approvals WHERE version_id = ? AND staging_entry = ? AND approver = ?",
                                                [.integer(versionID), .integer(entry), .text(approver.id)]))
            }
            guard existing.isEmpty else { throw RegistryError(.conflict, "\(what): '\(approver.id)' already approved it") }
            try await store { () throws(StoreError) in
                try await tx.execute(SQLStatement("INSERT INTO registry_approvals (version_id, staging_entry, approver, approved_at, approver_person) VALUES (?, ?, ?, ?, ?)",
                                                  [.integer(versionID), .integer(entry), .text(approver.id), .integer(stamp), SQLValue(approver.accountableUser)]))
            }
        }
        return Approval(version: number, approver: approver.id, at: date(stamp))
    }

    /// Promotes a `staging` version to `production`.
    ///
    /// Requires an approval given in the current staging period by someone other than the
    /// uploader (see ``approve(model:version:by:)``), and a promoter holding an approver role
    /// with MFA within ``RegistryConfiguration/approvalMFAMaxAgeSeconds``; otherwise `refused`.
    ///
    /// A model has at most one production version: the one there before is moved back to
    /// `staging` in the same transaction (history reason `superseded by version N`), where it
    /// needs a new approval to return. Under the per-model lock, two nodes promoting at once are
    /// serialised: the second sees the first's result (and a unique index backs this up).
    @discardableResult
    public func promoteToProduction(model: String, version number: Int, by promoter: Principal, reason: String? = nil) async throws(RegistryError) -> ModelVersion {
        let what = "model '\(model)' version \(number)"
        guard !promoter.roles.isDisjoint(with: configuration.approverRoles) else {
            throw RegistryError(.refused, "\(what): '\(promoter.id)' holds no approver role to promote to production")
        }
        let now = clock()
        try requireFreshMFA(promoter, maxAge: configuration.approvalMFAMaxAgeSeconds, now: now, what: "\(what): promotion by '\(promoter.id)'")
        let stamp = Int64((now.timeIntervalSince1970 * 1000).rounded())
        try await write { tx throws(RegistryError) in
            let modelID = try await lockModel(tx, model)
            let (versionID, state) = try await lockedVersion(tx, modelID: modelID, model: model, number: number)
            guard state == .staging else {
                throw RegistryError(.refused, "\(what): only a staging version is promoted to production (it is \(state.rawValue))")
            }
            let entry = try await stagingEntry(tx, versionID: versionID)
            let approvers = try await store { () throws(StoreError) in
                try await tx.query(SQLStatement(
                    """
                    SELECT a.approver FROM registry_approvals a JOIN registry_versions v ON v.id = a.version_id
                    WHERE a.version_id = ? AND a.staging_entry = ? AND a.approver <> v.uploader
                      AND (a.approver_person IS NULL OR (a.approver_person <> v.uploader
                           AND (v.uploader_person IS NULL OR a.approver_person <> v.uploader_person)))
                    """, [.integer(versionID), .integer(entry)]))
            }
            guard !approvers.isEmpty else {
                throw RegistryError(.refused, "\(what): production needs an approval by someone other than the uploader (two-person rule)")
            }
            let previous = try await store { () throws(StoreError) in
                try await tx.query(SQLStatement("SELECT id, number FROM registry_versions WHERE model_id = ? AND state = 'production'", [.integer(modelID)]))
            }
            for row in previous {
                let previousID = try decodingValue { () throws(StoreError) in try row.int64("id") }
                try await store { () throws(StoreError) in
                    try await tx.execute(SQLStatement("UPDATE registry_versions SET state = 'staging' WHERE id = ?", [.integer(previousID)]))
                }
                try await recordChange(tx, versionID: previousID, from: .production, to: .staging, actor: promoter.id,
                                       reason: "superseded by version \(number)", at: stamp)
            }
            try await store { () throws(StoreError) in
                try await tx.execute(SQLStatement("UPDATE registry_versions SET state = 'production' WHERE id = ?", [.integer(versionID)]))
            }
            try await recordChange(tx, versionID: versionID, from: .staging, to: .production, actor: promoter.id, reason: reason, at: stamp)
        }
        return try await version(model: model, number: number)
    }

    /// Revokes a version from any stage, for `reason` (required, recorded). A revoked version is
    /// never downloaded or promoted again. Revoking twice is `refused`.
    @discardableResult
    public func revoke(model: String, version number: Int, by principal: Principal, reason: String) async throws(RegistryError) -> ModelVersion {
        let what = "model '\(model)' version \(number)"
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reason.isEmpty, reason.count <= 2048 else {
            throw RegistryError(.invalidParameter, "\(what): revoking needs a reason of 1 to 2048 characters")
        }
        let stamp = nowMilliseconds
        try await write { tx throws(RegistryError) in
            let modelID = try await lockModel(tx, model)
            let (versionID, state) = try await lockedVersion(tx, modelID: modelID, model: model, number: number)
            guard state != .revoked else { throw RegistryError(.refused, "\(what) is already revoked") }
            try await store { () throws(StoreError) in
                try await tx.execute(SQLStatement("UPDATE registry_versions SET state = 'revoked', revocation_reason = ? WHERE id = ?",
                                                  [.text(reason), .integer(versionID)]))
            }
            try await recordChange(tx, versionID: versionID, from: state, to: .revoked, actor: principal.id, reason: reason, at: stamp)
        }
        return try await version(model: model, number: number)
    }

    /// The id of the history row that last moved the version into staging (its staging period).
    func stagingEntry(_ tx: any SQLTransaction, versionID: Int64) async throws(RegistryError) -> Int64 {
        let rows = try await store { () throws(StoreError) in
            try await tx.query(SQLStatement("SELECT MAX(id) AS entry FROM registry_stage_history WHERE version_id = ? AND to_state = 'staging'", [.integer(versionID)]))
        }
        guard let entry = try rows.first.flatMap({ (row: SQLRow) throws(RegistryError) in try decodingValue { () throws(StoreError) in try row.decode("entry", as: Int64?.self) } }) else {
            throw RegistryError(.storage, "version row \(versionID) is in staging without a history record")
        }
        return entry
    }

    func requireFreshMFA(_ principal: Principal, maxAge: Double, now: Date, what: String) throws(RegistryError) {
        guard let verified = principal.mfaVerifiedAt, now.timeIntervalSince(verified) <= maxAge, verified <= now.addingTimeInterval(60) else {
            throw RegistryError(.refused, "\(what) refused: MFA must be verified within the last \(Int(maxAge)) seconds")
        }
    }
}
