import Foundation
import Testing

/// Files of Fixtures/scan/files, made by Fixtures/scan/make_fixtures.sh from the corpus generator.
enum ScanFixtures {
    static func path(_ name: String) throws -> String {
        let url = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
        return url.appendingPathComponent("scan/files/" + name).path
    }
    static func bytes(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: try path(name))))
    }
}
