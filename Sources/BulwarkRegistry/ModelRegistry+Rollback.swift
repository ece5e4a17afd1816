public import BulwarkAccess
internal import BulwarkStore
internal import Foundation

extension ModelRegistry {
    /// Rolls a model back: the version that was in production before the current one returns to
    /// `production`, and the current one goes back to `staging` — the incident-response move when
    /// a release misbehaves.
    ///
    /// The previous version is found in the stage history: the most recent version other than
    /// the current one that was moved into production and is now in `staging` (a revoked,
    /// rejected or draft version is never brought back, nor one that was itself rolled back, so
    /// a second rollback goes one version further back). Both moves happen in one transaction
    /// under the per-model lock, like ``promoteToProduction(model:version:by:reason:)``, and are
    /// recorded in the history with `reason` (required). The principal must hold an approver role
    /// (``RegistryConfiguration/approverRoles``) and have passed MFA within
    /// ``RegistryConfiguration/approvalMFAMaxAgeSeconds``; no new approval is needed, since the
    /// version was approved for production before.
    ///
    /// - Returns: the version now in production.
    /// - Throws: ``RegistryError`` `.invalidParameter` for an empty reason, `.refused` for a
    ///   principal without the role or fresh MFA, `.notFound` for an unknown model, one without
    ///   a production version, or one with no earlier production version to return to.
    ///
    /// ```swift
    /// let db = try await openDatabase("sqlite:/tmp/bulwark-rollback-example.db")
    /// let registry = try await ModelRegistry.open(database: db, blobDirectory: "/tmp/bulwark-rollback-example.blobs")
    /// let bob = Principal(id: "bob", roles: ["approver"], mfaVerifiedAt: Date())
    /// let restored = try await registry.rollback(model: "cats", by: bob, reason: "v3 misclassifies dogs")
    /// print(restored.number)
    /// ```
    @discardableResult
    public func rollback(model: String, by principal: Principal, reason: String) async throws(RegistryError) -> ModelVersion {
        let what = "model '\(model)'"
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reason.isEmpty, reason.count <= 2048 else {
            throw RegistryError(.invalidParameter, "\(what): a rollback needs a reason of 1 to 2048 characters")
        }
        guard !principal.roles.isDisjoint(with: configuration.approverRoles) else {
            throw RegistryError(.refused, "\(what): '\(principal.id)' holds no approver role to roll back production")
        }
        let now = clock()
        try requireFreshMFA(principal, maxAge: configuration.approvalMFAMaxAgeSeconds, now: now, what: "\(what): rollback by '\(principal.id)'")
        let stamp = Int64((now.timeIntervalSince1970 * 1000).rounded())
        let restored = try await write { tx throws(RegistryError) -> Int in
            let modelID = try await lockModel(tx, model)
            let current = try await store { () throws(StoreError) in
                try await tx.query(SQLStatement("SELECT id, number FROM registry_versions WHERE model_id = ? AND state = 'production'", [.integer(modelID)]))
            }
            guard let currentRow = current.first else {
                throw RegistryError(.notFound, "\(what) has no production version to roll back")
            }
            let (currentID, currentNumber) = try decodingValue { () throws(StoreError) in
                (try currentRow.int64("id"), try currentRow.int("number"))
            }
            // Versions that were in production, most recent first, with their latest history reason.
            let candidates = try await store { () throws(StoreError) in
                try await tx.query(SQLStatement(
                    """
                    SELECT v.id, v.number, (SELECT l.reason FROM registry_stage_history l WHERE l.version_id = v.id ORDER BY l.id DESC LIMIT 1) AS last_reason
                    FROM registry_stage_history h JOIN registry_versions v ON v.id = h.version_id
                    WHERE v.model_id = ? AND h.to_state = 'production' AND v.id <> ? AND v.state = 'staging'
                    ORDER BY h.id DESC
                    """, [.integer(modelID), .integer(currentID)]))
            }
            // A version that was itself rolled back out of production does not return by rollback
            // (rolling back twice goes further back, never forth); it needs a new promotion.
            var previous: SQLRow?
            for row in candidates {
                let last = try decodingValue { () throws(StoreError) in try row.decode("last_reason", as: String?.self) }
                if !(last ?? "").hasPrefix(Self.rolledBackPrefix) { previous = row; break }
            }
            guard let previous else {
                throw RegistryError(.notFound, "\(what): no earlier production version (in staging, not revoked, not rolled back) to roll back to from version \(currentNumber)")
            }
            let (previousID, previousNumber) = try decodingValue { () throws(StoreError) in
                (try previous.int64("id"), try previous.int("number"))
            }
            try await store { () throws(StoreError) in
                try await tx.execute(SQLStatement("UPDATE registry_versions SET state = 'staging' WHERE id = ?", [.integer(currentID)]))
            }
            try await recordChange(tx, versionID: currentID, from: .production, to: .staging, actor: principal.id,
                                   reason: "\(Self.rolledBackPrefix)\(previousNumber): \(reason)", at: stamp)
            try await store { () throws(StoreError) in
                try await tx.execute(SQLStatement("UPDATE registry_versions SET state = 'production' WHERE id = ?", [.integer(previousID)]))
            }
            try await recordChange(tx, versionID: previousID, from: .staging, to: .production, actor: principal.id,
                                   reason: "rollback from version \(currentNumber): \(reason)", at: stamp)
            return previousNumber
        }
        return try await version(model: model, number: restored)
    }

    /// The start of the history reason of a version rolled back out of production.
    static let rolledBackPrefix = "rolled back to version "
}
