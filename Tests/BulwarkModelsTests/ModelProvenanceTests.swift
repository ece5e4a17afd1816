import BulwarkArchive
import BulwarkModels
import BulwarkTensor
import Foundation
import Testing

/// A record with every field set, defence and DP included.
private func fullProvenance() -> ModelProvenance {
    var p = ModelProvenance(architecture: .mlp, dataset: "fashion-mnist", seed: 42)
    p.dataSHA256 = String(repeating: "ab", count: 32)
    p.trainImages = 60_000
    p.epochs = 5
    p.batchSize = 128
    p.learningRate = 0.001
    p.optimizer = "adam"
    p.testAccuracy = 0.9012
    p.trainingSeconds = 61.5
    p.toolVersion = BulwarkVersion.current
    p.defence = ModelProvenance.Defence(name: "trades", epsilon: 0.1, steps: 7, beta: 6, warmupEpochs: 1)
    p.differentialPrivacy = ModelProvenance.DifferentialPrivacy(
        mechanism: "dp-sgd", epsilon: 2.6090140670645385, delta: 1e-5, noiseMultiplier: 1, maxGradientNorm: 1,
        samplingRate: 0.008533333333333334, sampler: "poisson", steps: 2340, accountant: "rdp", randomness: "secure (/dev/urandom)")
    return p
}

private func temporaryPath(_ name: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("bulwark-provenance-\(UUID().uuidString)-\(name)").path
}

@Test func provenanceRoundTripsThroughSafetensorsMetadata() throws {
    let p = fullProvenance()
    let path = temporaryPath("full.safetensors")
    defer { try? FileManager.default.removeItem(atPath: path) }
    try ModelFile.save(ZooArchitecture.mlp.makeModel(seed: 1), provenance: p, to: path)
    let loaded = try ModelFile.load(path: path)
    #expect(loaded.architecture == .mlp)
    let read = try #require(try ModelProvenance(metadata: loaded.metadata))
    #expect(read == p)
    #expect(read.differentialPrivacy?.supportsPrivacyClaim == true)
    // Every key written is a bulwark.* key, and the report's fields list each of them once.
    #expect(loaded.metadata.keys.allSatisfy { $0.hasPrefix("bulwark.") })
    #expect(p.fields.count == loaded.metadata.count)
    #expect(p.fields.first?.name == "architecture" && p.fields.first?.value == "mlp")
}

@Test func provenanceIsCodable() throws {
    let p = fullProvenance()
    let decoded = try JSONDecoder().decode(ModelProvenance.self, from: JSONEncoder().encode(p))
    #expect(decoded == p)
}

/// Metadata exactly as `bulwark train --dp` and `bulwark defend train` wrote it before
/// ModelProvenance existed (no tool version, no data digest).
@Test func readsMetadataOfFilesWrittenBeforeProvenanceExisted() throws {
    let dpFile: [String: String] = [
        "bulwark.architecture": "mlp", "bulwark.dataset": "fashion-mnist", "bulwark.epochs": "20", "bulwark.learning_rate": "0.1",
        "bulwark.optimizer": "sgd", "bulwark.seed": "0", "bulwark.train_images": "60000", "bulwark.test_accuracy": "0.8382",
        "bulwark.dp": "dp-sgd", "bulwark.dp.epsilon": "2.6090140670645385", "bulwark.dp.delta": "1e-05",
        "bulwark.dp.noise_multiplier": "1.0", "bulwark.dp.max_grad_norm": "1.0", "bulwark.dp.sampling_rate": "0.008533333333333334",
        "bulwark.dp.sampler": "poisson", "bulwark.dp.steps": "2340",
        "bulwark.dp.accountant": "rdp (Poisson-subsampled Gaussian, dp-accounting orders)",
        "bulwark.dp.randomness": "seeded-insecure: NO PRIVACY GUARANTEE",
    ]
    let path = temporaryPath("old.safetensors")
    defer { try? FileManager.default.removeItem(atPath: path) }
    let model = ZooArchitecture.mlp.makeModel(seed: 2)
    try SafeTensors.write(model.namedTensors.map { (name: $0.name, tensor: $0.tensor) }, metadata: dpFile, to: URL(fileURLWithPath: path))
    let loaded = try ModelFile.load(path: path)
    #expect(loaded.architecture == .mlp)
    let dp = try #require(try ModelProvenance(metadata: loaded.metadata))
    #expect(dp.toolVersion == nil && dp.dataSHA256 == nil && dp.batchSize == nil && dp.defence == nil)
    #expect(dp.seed == 0 && dp.epochs == 20 && dp.learningRate == 0.1 && dp.optimizer == "sgd" && dp.trainImages == 60_000)
    #expect(dp.testAccuracy == 0.8382)
    let privacy = try #require(dp.differentialPrivacy)
    #expect(privacy.epsilon == 2.6090140670645385 && privacy.delta == 1e-5 && privacy.steps == 2340 && privacy.samplingRate == 0.008533333333333334)
    #expect(!privacy.supportsPrivacyClaim)

    let defended = try #require(try ModelProvenance(metadata: [
        "bulwark.architecture": "cnn", "bulwark.dataset": "fashion-mnist", "bulwark.defense": "noise", "bulwark.epochs": "5",
        "bulwark.epsilon": "0.1", "bulwark.seed": "7", "bulwark.test_accuracy": "0.8800", "bulwark.sigma": "0.25",
    ]))
    #expect(defended.defence == ModelProvenance.Defence(name: "noise", epsilon: 0.1, sigma: 0.25))
    #expect(defended.architecture == .cnn && defended.seed == 7 && defended.differentialPrivacy == nil)
}

@Test func provenanceNamesTheKeyItCannotRead() throws {
    #expect(try ModelProvenance(metadata: ["format": "pt"]) == nil)
    #expect(throws: ModelError.self) { try ModelProvenance(metadata: ["bulwark.architecture": "transformer"]) }
    do {
        _ = try ModelProvenance(metadata: ["bulwark.architecture": "mlp", "bulwark.seed": "-1"])
        Issue.record("a negative seed was accepted")
    } catch {
        #expect(error.code == .malformed && error.message.contains("bulwark.seed"))
    }
    do {
        _ = try ModelProvenance(metadata: ["bulwark.architecture": "mlp", "bulwark.dp": "dp-sgd", "bulwark.dp.epsilon": "1"])
        Issue.record("DP metadata without δ was accepted")
    } catch {
        #expect(error.code == .malformed && error.message.contains("bulwark.dp.delta"))
    }
}
