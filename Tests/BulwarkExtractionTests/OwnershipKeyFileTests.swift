import BulwarkExtraction
import BulwarkModels
import BulwarkTensor
import Foundation
import Testing

private func temporaryPath(_ name: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("bulwark-ownership-\(UUID().uuidString)-\(name)").path
}

@Test func ownershipKeyFileRoundTrips() throws {
    let key = OwnershipKey(method: .noise, inputs: Tensor(shape: [3, 1, 2, 2], scalars: (0..<12).map { Float($0) / 12 }), labels: [4, 4, 1],
                           classCount: 10, seed: 99, chanceAgreement: 0.137, chanceFloor: 0.1, referenceAgreements: [0.1, 0.0333],
                           parameters: ["target_class": "4", "noise_std": "0.3"])
    let path = temporaryPath("key.safetensors")
    defer { try? FileManager.default.removeItem(atPath: path) }
    try key.write(to: path)
    #expect(try OwnershipKey.read(from: path) == key)
}

@Test func badKeyFileIsAOneLineError() throws {
    let path = temporaryPath("notakey")
    defer { try? FileManager.default.removeItem(atPath: path) }
    try Data("{\"not\": \"safetensors\"}\n".utf8).write(to: URL(fileURLWithPath: path))
    let error = #expect(throws: ExtractionError.self) { try OwnershipKey.read(from: path) }
    #expect(error?.message.contains(path) == true)
    #expect(error?.message.contains("\n") == false)

    // A model file is safetensors but not a key: the missing field is named.
    try ModelFile.save(ZooArchitecture.mlp.makeModel(seed: 0), architecture: .mlp, to: path)
    let notKey = #expect(throws: ExtractionError.self) { try OwnershipKey.read(from: path) }
    #expect(notKey?.message.contains("bulwark.ownership.format") == true)

    let missing = #expect(throws: ExtractionError.self) { try OwnershipKey.read(from: path + ".absent") }
    #expect(missing?.code == .io)
}

@Test func keyWithLabelsOutsideTheClassesIsRefused() throws {
    let key = OwnershipKey(method: .triggerSet, inputs: Tensor.zeros([2, 4]), labels: [0, 12], classCount: 10, seed: 0,
                           chanceAgreement: 0.1, chanceFloor: 0.1, referenceAgreements: [])
    #expect(throws: ExtractionError.self) { try key.validate() }
}
