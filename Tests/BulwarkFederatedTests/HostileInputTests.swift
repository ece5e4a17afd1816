import BulwarkData
import BulwarkTensor
@testable import BulwarkFederated
import Foundation
import SwiftProtobuf
import Testing

/// Seeded byte mutations (flips, truncations, insertions, length-field damage) of valid wire
/// messages from a coordinator and a Flower SuperLink: every decode either succeeds or throws a
/// one-line `FederatedError` — no trap, no hang, no unbounded allocation.
@Suite struct HostileInputTests {
    static func mutate(_ bytes: [UInt8], using rng: inout SeededGenerator) -> [UInt8] {
        var out = bytes
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            switch Int.random(in: 0..<5, using: &rng) {
            case 0 where !out.isEmpty:
                out[Int.random(in: 0..<out.count, using: &rng)] ^= UInt8.random(in: 1...255, using: &rng)
            case 1 where !out.isEmpty:
                out.removeLast(Int.random(in: 0...out.count, using: &rng))
            case 2:
                out.insert(contentsOf: (0..<Int.random(in: 1...8, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) },
                           at: Int.random(in: 0...out.count, using: &rng))
            case 3 where !out.isEmpty:
                // A varint length or count pushed to its largest values.
                out[Int.random(in: 0..<out.count, using: &rng)] = [0xFF, 0x7F, 0x80, 0x00][Int.random(in: 0..<4, using: &rng)]
            default:
                if !out.isEmpty { out.swapAt(Int.random(in: 0..<out.count, using: &rng), Int.random(in: 0..<out.count, using: &rng)) }
            }
        }
        return out
    }

    @Test func coordinatorTasksSurviveMutation() throws {
        let weights = try ModelWeights(tensors: [.init(name: "w", shape: [3, 2], values: [1, 2, 3, 4, 5, 6]), .init(name: "t", shape: [], values: [7])])
        var task = Bulwark_Federated_V1_Task()
        task.kind = .train
        task.round = 3
        task.weights = WireCodec.message(weights)
        let valid: [UInt8] = try task.serializedBytes()
        var rng = SeededGenerator(seed: 21)
        var decoded = 0, refused = 0
        for _ in 0..<5000 {
            let bytes = Self.mutate(valid, using: &rng)
            guard let message = try? Bulwark_Federated_V1_Task(serializedBytes: bytes) else { continue }
            decoded += 1
            do {
                let back = try WireCodec.weights(message.weights, what: "global model")
                #expect(back.count <= WireCodec.maximumParameters)
            } catch {
                refused += 1
                #expect(!error.description.contains("\n"))
            }
        }
        #expect(decoded > 100 && refused > 10)
        let floats = (try? WireCodec.floats(Data([1, 2, 3]), what: "update")) == nil
        #expect(floats)
    }

    @Test func flowerMessagesSurviveMutation() throws {
        var metadata = Flwr_Proto_Metadata()
        metadata.messageType = "train"
        let message = try FlowerObjects.deflateMessage(metadata: metadata, content: FlowerCodecTests.sample(), error: nil)
        let objects = FlowerCodecTests.objects(message)
        let ids = objects.keys.sorted()
        var rng = SeededGenerator(seed: 22)
        var refused = 0
        for _ in 0..<3000 {
            var hostile = objects
            let id = ids[Int.random(in: 0..<ids.count, using: &rng)]
            hostile[id] = Self.mutate(objects[id] ?? [], using: &rng)
            do {
                _ = try FlowerObjects.inflateContent(messageID: message.id, objects: hostile)
            } catch {
                refused += 1
                #expect(!error.description.contains("\n"))
            }
        }
        #expect(refused > 1000)
    }
}
