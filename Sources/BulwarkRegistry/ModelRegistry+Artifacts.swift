internal import BulwarkStore
internal import BulwarkSupplyChain
internal import Foundation

extension ModelRegistry {
    /// The artifact of version `number`, verified for sending: refuses a revoked version
    /// (`refused`), re-hashes the blob and fails with `storage` when it is missing or no longer
    /// matches the recorded SHA-256 and size (a tampered blob is never served).
    ///
    /// Cost: one read of the whole artifact.
    public func download(model: String, version number: Int) async throws(RegistryError) -> VersionDownload {
        let version = try await version(model: model, number: number)
        guard version.state != .revoked else {
            throw RegistryError(.refused, "model '\(model)' version \(number) is revoked\(version.revocationReason.map { ": \($0)" } ?? "")")
        }
        let checked = try blobs.check(version.sha256, expectedSize: version.size)
        return VersionDownload(version: version, path: blobs.path(of: version.sha256), size: checked.size, sha256: checked.sha256)
    }

    /// The chain of versions `number` descends from through ``Lineage/parentVersion``: the
    /// version itself first, then its parent, and so on (a cycle cannot occur: a parent must
    /// exist before its child is uploaded).
    public func ancestry(model: String, version number: Int) async throws(RegistryError) -> [ModelVersion] {
        var chain: [ModelVersion] = []
        var next: Int? = number
        var seen = Set<Int>()
        while let current = next, seen.insert(current).inserted {
            let version = try await version(model: model, number: current)
            chain.append(version)
            next = version.lineage.parentVersion
        }
        return chain
    }

    /// A CycloneDX 1.6 ML-BOM (indented JSON) of version `number`, made by ``MLBOMBuilder`` from
    /// the stored artifact (after re-checking its digest) and completed with the registry's
    /// facts: the model and version as name and version, the dataset manifest digest as the
    /// model card's dataset, the parent version as a `pedigree` ancestor with its SHA-256, and
    /// `bulwark:registry:*` properties (file name, uploader, training command, scan verdict,
    /// signer, risk tier, data classification). Timestamped at the upload, so the same version
    /// gives the same BOM.
    public func bom(model: String, version number: Int) async throws(RegistryError) -> [UInt8] {
        let record = try await self.model(named: model)
        let version = try await version(model: model, number: number)
        _ = try blobs.check(version.sha256, expectedSize: version.size)
        var card = ModelCard()
        card.name = model
        card.version = String(number)
        if let dataset = version.lineage.datasetManifestDigest { card.datasets = [dataset] }
        let built: MLBOM
        do {
            built = try await MLBOMBuilder.build(modelAt: blobs.path(of: version.sha256), options: MLBOMOptions(card: card, timestamp: version.createdAt))
        } catch {
            throw RegistryError(.storage, "model '\(model)' version \(number): building the ML-BOM failed: \(error.message)", underlying: error)
        }
        var parent: ModelVersion?
        if let parentNumber = version.lineage.parentVersion {
            parent = try await self.version(model: model, number: parentNumber)
        }
        do {
            guard var document = try JSONSerialization.jsonObject(with: Data(built.json)) as? [String: Any],
                  var metadata = document["metadata"] as? [String: Any], var component = metadata["component"] as? [String: Any] else {
                throw RegistryError(.storage, "model '\(model)' version \(number): the ML-BOM has no metadata.component")
            }
            var properties = component["properties"] as? [[String: Any]] ?? []
            func add(_ name: String, _ value: String?) {
                if let value { properties.append(["name": "bulwark:registry:" + name, "value": value]) }
            }
            add("filename", version.filename)
            add("uploader", version.uploader)
            add("risk-tier", record.riskTier.rawValue)
            add("data-classification", record.dataClassification.rawValue)
            add("dataset-manifest-digest", version.lineage.datasetManifestDigest)
            add("training-command", version.lineage.trainingCommand)
            add("parent-version", version.lineage.parentVersion.map(String.init))
            add("scan-verdict", version.gateReport?.scan.verdict)
            add("signer", version.gateReport?.signature.signer)
            add("signature-publisher", version.gateReport?.signature.publisher)
            component["properties"] = properties
            if let parent {
                component["pedigree"] = ["ancestors": [[
                    "type": "machine-learning-model", "bom-ref": "model-version-\(parent.number)", "name": model, "version": String(parent.number),
                    "hashes": [["alg": "SHA-256", "content": parent.sha256]],
                ]]]
            }
            metadata["component"] = component
            document["metadata"] = metadata
            var json = [UInt8](try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]))
            json.append(0x0A)
            return json
        } catch let error as RegistryError {
            throw error
        } catch {
            throw RegistryError(.storage, "model '\(model)' version \(number): completing the ML-BOM failed", underlying: error)
        }
    }
}
