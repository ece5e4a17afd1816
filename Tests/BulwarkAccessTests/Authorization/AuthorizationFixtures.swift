import BulwarkAccess
import Foundation

/// Paths and values shared by the authorization tests.
enum AuthorizationFixtures {
    /// The package root, found from this file's path.
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// examples/policy.yaml, the shipped default policy.
    static var defaultPolicyPath: String { packageRoot.appendingPathComponent("examples/policy.yaml").path }
    /// examples/policy-tests.yaml, its offline cases.
    static var defaultPolicyTestsPath: String { packageRoot.appendingPathComponent("examples/policy-tests.yaml").path }

    /// 2026-12-06T12:00:00Z, a Sunday.
    static let noon = time("2026-12-06T12:00:00Z")

    static func time(_ text: String) -> Date {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text) ?? Date(timeIntervalSince1970: 0)
    }

    static func context(_ time: Date = noon, address: String? = nil) -> AuthorizationContext {
        AuthorizationContext(time: time, address: address.flatMap { IPAddress($0) })
    }

    /// A fresh temporary directory, removed by the caller.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("bulwark-authz-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
