import BulwarkCrypto
import Foundation
import Testing

/// The plaintext bound `he infer` checks before encrypting: it is an upper bound of the logits,
/// below ``CKKSInferencePlan/valueLimit`` decryption is right, and a model whose bound is far
/// above it really does decrypt to garbage (so the check is needed, not decorative).
@Suite struct CKKSInferenceBoundTests {
    static func parameters() throws -> CKKSParameters {
        try CKKSParameters.insecureForTesting(polyDegree: 1024, coefficientModulusBits: [55, 40, 40, 40, 55], scale: 0x1p40)
    }

    static func values(_ count: Int, seed: UInt8, range: Double) throws -> [Double] {
        var generator = try ChaCha20Generator(seed: [UInt8](repeating: seed, count: 32))
        return (0..<count).map { _ in Double.random(in: -range...range, using: &generator) }
    }

    static func model(outputScale: Double) throws -> CKKSSquareMLP {
        let w1 = try values(16 * 64, seed: 40, range: 0.25), w2 = try values(10 * 16, seed: 41, range: 0.5)
        return try CKKSSquareMLP(hiddenWeights: (0..<16).map { Array(w1[$0 * 64..<($0 + 1) * 64]) }, hiddenBias: values(16, seed: 42, range: 0.1),
                                 outputWeights: (0..<10).map { Array(w2[$0 * 16..<($0 + 1) * 16]).map { $0 * outputScale } },
                                 outputBias: values(10, seed: 43, range: 0.1))
    }

    @Test func boundCoversTheLogitsAndDecides() throws {
        let images = try (0..<6).map { try Self.values(64, seed: UInt8(50 + $0), range: 0.5).map { $0 + 0.5 } }
        let plan = try CKKSInferencePlan(parameters: Self.parameters(), inputCount: 64, hiddenCount: 16, outputCount: 10)
        #expect(plan.valueLimit == 8192)
        #expect(try CKKSInferencePlan(parameters: .n8192Depth3, inputCount: 784, hiddenCount: 32, outputCount: 10).valueLimit == 4096)
        let client = try CKKSInferenceClient(plan: plan)
        let keys = client.evaluationKeys()
        for scale in [1.0, 1e6] {
            let model = try Self.model(outputScale: scale)
            let bound = model.outputMagnitudeBound(images: images, plan: plan)
            let plain = images.map { model.logits($0) }
            let largest = plain.flatMap(\.self).map(abs).max() ?? 0
            #expect(bound >= largest && largest > 0)
            let server = try CKKSInferenceServer(model: model, plan: plan, context: client.context, keys: keys)
            let decrypted = try client.decrypt(client.encrypt(images: images).map { try server.evaluate($0) })
            let error = zip(decrypted.flatMap(\.self), plain.flatMap(\.self)).map { abs($0 - $1) }.max() ?? .infinity
            if scale == 1 {
                #expect(bound < plan.valueLimit, "bound \(bound)")
                #expect(error < 1e-3, "error \(error)")
            } else {
                #expect(bound > plan.valueLimit, "bound \(bound)")
                #expect(error > 1, "above the limit decryption wraps around q0: error \(error), largest \(largest)")
            }
        }
        // A NaN input makes the bound infinite, never small.
        #expect(try Self.model(outputScale: 1).outputMagnitudeBound(images: [[Double](repeating: .nan, count: 64)], plan: plan) == .infinity)
    }
}
