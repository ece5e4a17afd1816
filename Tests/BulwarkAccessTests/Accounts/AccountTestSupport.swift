@testable import BulwarkAccess
import BulwarkStore
import Foundation
import Testing

/// The engines the account tests run on.
enum AccountEngine: String, Sendable { case sqlite, postgres }

/// `BULWARK_TEST_POSTGRES_URL`, or `nil` (PostgreSQL tests are then skipped).
let accountPostgresURL: String? = {
    guard let url = ProcessInfo.processInfo.environment["BULWARK_TEST_POSTGRES_URL"], !url.isEmpty else { return nil }
    return url
}()

let accountPostgresSkip: Comment = "BULWARK_TEST_POSTGRES_URL is unset (start one with scripts/postgres-server)"

/// Argon2id at its floor (8 MiB, one pass) so tests stay fast; production uses RFC 9106's.
let cheapArgon2: Argon2idParameters = {
    do { return try Argon2idParameters(memoryKiB: 8 * 1024, iterations: 1, parallelism: 1) } catch { preconditionFailure("\(error)") }
}()

let testKey = AccountServerKey.generate()
let t0 = Date(timeIntervalSince1970: 1_800_000_000)

/// A store over a fresh empty database; `body` also gets a function that opens a second,
/// independent handle on the same database (as another server node would).
func withFreshAccountStore(
    _ engine: AccountEngine, throttle: LoginThrottlePolicy = .default, key: AccountServerKey = testKey,
    _ body: (AccountStore, @Sendable () async throws -> (AccountStore, any SQLDatabase)) async throws -> Void
) async throws {
    let location: DatabaseLocation
    var cleanup: () async -> Void = {}
    switch engine {
    case .sqlite:
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bulwark-accounts-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        location = .sqlite(path: directory.appendingPathComponent("accounts.db").path)
        cleanup = { try? FileManager.default.removeItem(at: directory) }
    case .postgres:
        let url = try #require(accountPostgresURL)
        guard case .postgres(var server) = try DatabaseLocation(parsing: url) else { throw AccessError(.invalidParameter, "not a postgres URL") }
        let admin = try await openDatabase(.postgres(server))
        let name = "bulwark_acc_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try await admin.execute(SQLStatement("CREATE DATABASE \(name)"))
        server.database = name
        location = .postgres(server)
        cleanup = {
            try? await admin.execute(SQLStatement("DROP DATABASE IF EXISTS \(name) WITH (FORCE)"))
            await admin.close()
        }
    }
    let db = try await openDatabase(location)
    let store = try await AccountStore.open(database: db, serverKey: key, passwordParameters: cheapArgon2, throttlePolicy: throttle)
    let opened = OpenedHandles()
    let reopen: @Sendable () async throws -> (AccountStore, any SQLDatabase) = {
        let other = try await openDatabase(location)
        await opened.add(other)
        return (try await AccountStore.open(database: other, serverKey: key, passwordParameters: cheapArgon2, throttlePolicy: throttle), other)
    }
    do {
        try await body(store, reopen)
    } catch {
        await opened.closeAll()
        await db.close()
        await cleanup()
        throw error
    }
    await opened.closeAll()
    await db.close()
    await cleanup()
}

actor OpenedHandles {
    var handles: [any SQLDatabase] = []
    func add(_ db: any SQLDatabase) { handles.append(db) }
    func closeAll() async { for handle in handles { await handle.close() } }
}

/// Expects `body` to throw an ``AccessError`` of `code`.
func expectAccessError<T>(_ code: AccessError.Code, sourceLocation: SourceLocation = #_sourceLocation,
                          _ body: () async throws -> T) async {
    do {
        _ = try await body()
        Issue.record("expected AccessError \(code), got success", sourceLocation: sourceLocation)
    } catch let error as AccessError {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        #expect(!error.message.contains("\n"), sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected AccessError \(code), got \(error)", sourceLocation: sourceLocation)
    }
}

extension LoginResult {
    var pending: PendingLogin? { if case .needsMFA(let p) = self { p } else { nil } }
    var session: IssuedSession? { if case .sessionIssued(let s) = self { s } else { nil } }
    var isFailed: Bool { self == .failed }
    var retryAfter: TimeInterval? { if case .throttled(let s) = self { s } else { nil } }
}
