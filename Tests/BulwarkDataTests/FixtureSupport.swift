import Foundation

/// Path of a fixture file made by Fixtures/make_npy_fixtures.py.
func fixturePath(_ name: String) -> String {
    guard let dir = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
        return "/missing-fixtures/\(name)"
    }
    return dir.appendingPathComponent(name).path
}

func fixtureBytes(_ name: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: URL(fileURLWithPath: fixturePath(name))))
}

/// The values the fixture script writes: 0, 1.5, -3, 4.5, -6, …
func fixtureValues(_ n: Int) -> [Double] {
    (0..<n).map { i -> Double in
        let magnitude = Double(i) * 1.5
        return i % 2 == 0 ? -magnitude : magnitude
    }
}

func temporaryPath(_ name: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("bulwark-data-\(getpid())-\(name)").path
}
