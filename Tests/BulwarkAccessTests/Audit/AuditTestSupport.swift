import BulwarkAccess
import Foundation

/// Runs `body` with a SQL audit storage on a new SQLite file in a temporary directory, closing
/// the storage and deleting the directory afterwards.
func withSQLiteAudit(_ body: (SQLAuditStorage) async throws -> Void) async throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bulwark-audit-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let storage = try await SQLAuditStorage.open(directory.appendingPathComponent("audit.db").path)
    do { try await body(storage) } catch {
        await storage.close()
        throw error
    }
    await storage.close()
}
