public import BulwarkAccess
internal import BulwarkStore
internal import BulwarkSupplyChain
internal import Foundation

extension ModelRegistry {
    /// The largest signature or attestation bundle accepted with a version (16 MiB).
    public static let maxBundleBytes = 16 << 20

    /// Starts a streamed upload into the blob directory: at most `maxBytes` (capped by
    /// ``RegistryConfiguration/maxUploadBytes``), checked against `expectedSHA256` (64 hex
    /// digits, any case) at the end when given.
    public func beginUpload(maxBytes: Int64? = nil, expectedSHA256: String? = nil) throws(RegistryError) -> PendingUpload {
        let limit = min(maxBytes ?? configuration.maxUploadBytes, configuration.maxUploadBytes)
        guard limit > 0 else { throw RegistryError(.invalidParameter, "upload: the size limit must be positive") }
        var expected: String?
        if let expectedSHA256 {
            let lowered = expectedSHA256.lowercased().replacingOccurrences(of: "sha256:", with: "")
            guard lowered.utf8.count == 64, lowered.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else {
                throw RegistryError(.invalidParameter, "upload: the expected digest must be 64 hex digits of SHA-256")
            }
            expected = lowered
        }
        return try PendingUpload(directory: blobs.temporaryDirectory, maxBytes: limit, expectedSHA256: expected)
    }

    /// Streams `chunks` into a new draft version of `model` (see ``commit(_:model:filename:by:lineage:signatureBundle:attestation:)``).
    /// An error of the sequence, an overflow of the limit or a digest mismatch deletes the
    /// temporary file and leaves no version.
    public func upload<Chunks: AsyncSequence>(
        _ chunks: Chunks, model: String, filename: String, by principal: Principal, lineage: Lineage = Lineage(),
        signatureBundle: [UInt8]? = nil, attestation: [UInt8]? = nil, maxBytes: Int64? = nil, expectedSHA256: String? = nil
    ) async throws(RegistryError) -> ModelVersion where Chunks.Element == [UInt8] {
        // Refuse early what would be refused at the end, before reading any byte.
        _ = try await self.model(named: model)
        try Self.validateFilename(filename)
        let pending = try beginUpload(maxBytes: maxBytes, expectedSHA256: expectedSHA256)
        do {
            for try await chunk in chunks {
                try pending.append(chunk)
            }
        } catch let error as RegistryError {
            pending.abort()
            throw error
        } catch {
            pending.abort()
            throw RegistryError(.invalidUpload, "upload of '\(model)': the stream failed after \(pending.byteCount) bytes", underlying: error)
        }
        return try await commit(pending, model: model, filename: filename, by: principal, lineage: lineage,
                                signatureBundle: signatureBundle, attestation: attestation)
    }

    /// Finishes `upload` and records it as the next draft version of `model`.
    ///
    /// The bytes are `fsync`ed and renamed to their content address first; only then is the
    /// version row (with its number, the next one of the model) inserted with its upload record
    /// in the stage history, in one transaction. Fails with `notFound` for a missing model,
    /// `invalidParameter` for a bad file name, lineage or an oversized bundle, `invalidUpload`
    /// for an empty upload or a digest mismatch. On failure before the rename, the temporary
    /// file is deleted; after it, the blob stays until a sweep (another version may share it).
    public func commit(_ upload: PendingUpload, model: String, filename: String, by principal: Principal, lineage: Lineage = Lineage(),
                       signatureBundle: [UInt8]? = nil, attestation: [UInt8]? = nil) async throws(RegistryError) -> ModelVersion {
        do throws(RegistryError) {
            try Self.validateFilename(filename)
            try Self.validateLineage(lineage)
            for (bundle, what) in [(signatureBundle, "signature bundle"), (attestation, "attestation")] {
                if let bundle, bundle.isEmpty || bundle.count > Self.maxBundleBytes {
                    throw RegistryError(.invalidParameter, "upload of '\(model)': the \(what) must be 1 byte to \(Self.maxBundleBytes) bytes")
                }
            }
            _ = try await self.model(named: model)
        } catch {
            upload.abort()
            throw error
        }
        let (digest, size) = try upload.finish(into: blobs)
        let now = nowMilliseconds
        let number = try await write { tx throws(RegistryError) in
            let modelID = try await lockModel(tx, model)
            if let parent = lineage.parentVersion {
                let rows = try await store { () throws(StoreError) in
                    try await tx.query(SQLStatement("SELECT id FROM registry_versions WHERE model_id = ? AND number = ?", [.integer(modelID), .integer(Int64(parent))]))
                }
                guard !rows.isEmpty else {
                    throw RegistryError(.invalidParameter, "upload of '\(model)': lineage names parent version \(parent), which does not exist")
                }
            }
            let next = try await store { () throws(StoreError) in
                try await tx.query(SQLStatement("SELECT COALESCE(MAX(number), 0) + 1 AS next FROM registry_versions WHERE model_id = ?", [.integer(modelID)]))
                    .first?.int64("next") ?? 1
            }
            let inserted = try await store { () throws(StoreError) in
                try await tx.query(SQLStatement(
                    """
                    INSERT INTO registry_versions (model_id, number, state, uploader, uploader_team, sha256, size, filename,
                        signature_bundle, attestation_bundle, dataset_digest, training_command, parent_version, created_at, uploader_person)
                    VALUES (?, ?, 'draft', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id
                    """,
                    [.integer(modelID), .integer(next), .text(principal.id), SQLValue(principal.team), .text(digest), .integer(size), .text(filename),
                     signatureBundle.map(SQLValue.blob) ?? .null, attestation.map(SQLValue.blob) ?? .null,
                     SQLValue(lineage.datasetManifestDigest), SQLValue(lineage.trainingCommand),
                     lineage.parentVersion.map { SQLValue.integer(Int64($0)) } ?? .null, .integer(now), SQLValue(principal.accountableUser)]))
                    .first?.int64("id")
            }
            guard let versionID = inserted else { throw RegistryError(.storage, "upload of '\(model)': the version row was not returned") }
            try await recordChange(tx, versionID: versionID, from: nil, to: .draft, actor: principal.id, reason: "uploaded \(filename)", at: now)
            return Int(next)
        }
        return try await version(model: model, number: number)
    }

    /// Takes the per-model lock and returns the model's row id; `notFound` when missing.
    func lockModel(_ tx: any SQLTransaction, _ model: String) async throws(RegistryError) -> Int64 {
        try await store { () throws(StoreError) in try await tx.lock(key: "registry.model." + model) }
        let rows = try await store { () throws(StoreError) in
            try await tx.query(SQLStatement("SELECT id FROM registry_models WHERE name = ?", [.text(model)]))
        }
        guard let id = try rows.first.map({ (row: SQLRow) throws(RegistryError) in try decodingValue { () throws(StoreError) in try row.int64("id") } }) else {
            throw RegistryError(.notFound, "model '\(model)' does not exist")
        }
        return id
    }

    func decodingValue<T>(_ body: () throws(StoreError) -> T) throws(RegistryError) -> T {
        do { return try body() } catch { throw Self.mapped(error) }
    }

    /// Appends a stage-history row.
    func recordChange(_ tx: any SQLTransaction, versionID: Int64, from: VersionState?, to: VersionState, actor: String, reason: String?, at: Int64) async throws(RegistryError) {
        try await store { () throws(StoreError) in
            try await tx.execute(SQLStatement(
                "INSERT INTO registry_stage_history (version_id, from_state, to_state, actor, reason, at) VALUES (?, ?, ?, ?, ?, ?)",
                [.integer(versionID), SQLValue(from?.rawValue), .text(to.rawValue), .text(actor), SQLValue(reason), .integer(at)]))
        }
    }

    static func validateFilename(_ filename: String) throws(RegistryError) {
        guard (1...255).contains(filename.utf8.count), filename != ".", filename != "..", !filename.contains("/"),
              !filename.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw RegistryError(.invalidParameter, "upload: the file name must be one path component of 1 to 255 bytes without control characters")
        }
    }

    static func validateLineage(_ lineage: Lineage) throws(RegistryError) {
        if let digest = lineage.datasetManifestDigest {
            let hexPart = digest.hasPrefix("sha256:") ? String(digest.dropFirst(7)) : ""
            guard hexPart.utf8.count == 64, hexPart.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else {
                throw RegistryError(.invalidParameter, "lineage: the dataset manifest digest must be 'sha256:' and 64 lowercase hex digits")
            }
        }
        if let command = lineage.trainingCommand {
            guard !command.isEmpty, command.count <= 4096, !command.contains(where: \.isNewline) else {
                throw RegistryError(.invalidParameter, "lineage: the training command must be 1 to 4096 characters on one line")
            }
        }
        if let parent = lineage.parentVersion, parent < 1 {
            throw RegistryError(.invalidParameter, "lineage: the parent version must be a positive number")
        }
    }
}
