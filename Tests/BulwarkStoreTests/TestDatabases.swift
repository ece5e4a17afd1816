import BulwarkStore
import Foundation
import Testing

/// The two engines every contract test runs on.
enum Engine: String, Sendable {
    case sqlite, postgres
}

/// The server the PostgreSQL tests use (`scripts/postgres-server` starts one; `scripts/test` sets
/// the variable), or `nil`, in which case they are skipped.
let postgresTestURL: String? = {
    guard let url = ProcessInfo.processInfo.environment["BULWARK_TEST_POSTGRES_URL"], !url.isEmpty else { return nil }
    return url
}()

/// The one line shown for skipped PostgreSQL tests.
let postgresSkipReason: Comment =
    "BULWARK_TEST_POSTGRES_URL is unset (scripts/test sets it when it can start PostgreSQL; or run scripts/postgres-server run swift test)"

/// Options for test handles: a long SQLite busy timeout, because a loaded CI machine can keep
/// the task holding the write lock off the CPU for longer than the production default.
let testDatabaseOptions: DatabaseOptions = {
    var options = DatabaseOptions()
    options.busyTimeoutSeconds = 120
    return options
}()

/// A fresh, empty database on `engine` for one test: a SQLite file in a new temporary
/// directory, or a new PostgreSQL database created beside the one in `BULWARK_TEST_POSTGRES_URL`
/// (so tests running in parallel never see each other's tables). `body` gets the location so it
/// can open a second handle, as a second server process would. Everything is removed afterwards.
func withFreshDatabase(
    _ engine: Engine, _ body: (any SQLDatabase, DatabaseLocation) async throws -> Void
) async throws {
    switch engine {
    case .sqlite:
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bulwark-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let location = DatabaseLocation.sqlite(path: directory.appendingPathComponent("store.db").path)
        let db = try await openDatabase(location, options: testDatabaseOptions)
        do {
            try await body(db, location)
        } catch {
            await db.close()
            throw error
        }
        await db.close()
    case .postgres:
        let url = try #require(postgresTestURL)
        guard case .postgres(var location) = try DatabaseLocation(parsing: url) else {
            Issue.record("BULWARK_TEST_POSTGRES_URL is not a postgres:// URL")
            return
        }
        let admin = try await openDatabase(.postgres(location))
        let name = "bulwark_t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try await admin.execute(SQLStatement("CREATE DATABASE \(name)"))
        location.database = name
        do {
            let db = try await openDatabase(.postgres(location))
            do {
                try await body(db, .postgres(location))
            } catch {
                await db.close()
                throw error
            }
            await db.close()
        } catch {
            try? await admin.execute(SQLStatement("DROP DATABASE IF EXISTS \(name) WITH (FORCE)"))
            await admin.close()
            throw error
        }
        try await admin.execute(SQLStatement("DROP DATABASE IF EXISTS \(name) WITH (FORCE)"))
        await admin.close()
    }
}

/// Expects `body` to fail with a ``StoreError`` of `code` and returns it.
@discardableResult
func expectStoreError<T>(
    _ code: StoreError.Code, sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> T
) async -> StoreError? {
    do {
        _ = try await body()
        Issue.record("expected a StoreError \(code), got success", sourceLocation: sourceLocation)
        return nil
    } catch let error as StoreError {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        #expect(!error.message.contains("\n"), sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("expected a StoreError \(code), got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}
