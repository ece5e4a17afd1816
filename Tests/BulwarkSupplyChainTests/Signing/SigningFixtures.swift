import Foundation
import Testing
@testable import BulwarkSupplyChain

/// Paths into Fixtures/signing (made by scripts/sign-interop.sh make-fixtures) and scratch
/// copies of the fixture models for tests that change them.
enum SigningFixtures {
    static func directory() throws -> String {
        let url = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
        return url.appendingPathComponent("signing").path
    }

    static func path(_ name: String) throws -> String { try directory() + "/" + name }

    static func bytes(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: try path(name))))
    }

    static func privateKey() throws -> ModelSigningPrivateKey { try ModelSigningPrivateKey(pemFile: try path("key.pem")) }
    static func publicKey() throws -> ModelSigningPublicKey { try ModelSigningPublicKey(pemFile: try path("key.pub.pem")) }

    /// A fresh directory holding a copy of the fixture `model` (and `single.bin`); removed by `cleanup`.
    static func scratchCopy() throws -> String {
        let base = NSTemporaryDirectory() + "bulwark-sign-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: try path("model"), toPath: base + "/model")
        try FileManager.default.copyItem(atPath: try path("single.bin"), toPath: base + "/single.bin")
        return base
    }

    static func cleanup(_ base: String) { try? FileManager.default.removeItem(atPath: base) }

    static func write(_ bytes: [UInt8], to path: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    static func read(_ path: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: path))) }
}
