import BulwarkServing
import BulwarkStore
import Foundation
import Synchronization
import Testing

/// A clock the test moves by hand, in seconds.
final class ManualClock: Sendable {
    private let seconds: Mutex<Double>

    init(_ start: Double = 0) { seconds = Mutex(start) }

    var now: Double { seconds.withLock { $0 } }

    func set(_ value: Double) { seconds.withLock { $0 = value } }

    var read: @Sendable () -> Double { { self.now } }
}

/// The engines the shared-store tests run on.
enum RateLimitEngine: String, Sendable {
    case sqlite, postgres
}

/// The PostgreSQL server of `BULWARK_TEST_POSTGRES_URL`, or `nil` (those tests are then skipped).
let rateLimitPostgresURL: String? = {
    guard let url = ProcessInfo.processInfo.environment["BULWARK_TEST_POSTGRES_URL"], !url.isEmpty else { return nil }
    return url
}()

let rateLimitPostgresSkip: Comment = "BULWARK_TEST_POSTGRES_URL is unset (start one with scripts/postgres-server)"

/// A fresh empty database on `engine` (a SQLite file in a new directory, or a new PostgreSQL
/// database beside the test server's); `body` gets its location to open more handles ("replicas").
func withRateLimitDatabase(_ engine: RateLimitEngine,
                           _ body: (any SQLDatabase, DatabaseLocation) async throws -> Void) async throws {
    var options = DatabaseOptions()
    options.sqliteSynchronous = .normal
    switch engine {
    case .sqlite:
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bulwark-ratelimit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let location = DatabaseLocation.sqlite(path: directory.appendingPathComponent("limits.db").path)
        let db = try await openDatabase(location, options: options)
        do { try await body(db, location) } catch {
            await db.close()
            throw error
        }
        await db.close()
    case .postgres:
        guard case .postgres(var location) = try DatabaseLocation(parsing: try #require(rateLimitPostgresURL)) else {
            Issue.record("BULWARK_TEST_POSTGRES_URL is not a postgres:// URL")
            return
        }
        let admin = try await openDatabase(.postgres(location))
        let name = "bulwark_rl_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try await admin.execute(SQLStatement("CREATE DATABASE \(name)"))
        location.database = name
        var failure: (any Error)?
        do {
            let db = try await openDatabase(.postgres(location))
            do { try await body(db, .postgres(location)) } catch { failure = error }
            await db.close()
        } catch {
            failure = error
        }
        try? await admin.execute(SQLStatement("DROP DATABASE IF EXISTS \(name) WITH (FORCE)"))
        await admin.close()
        if let failure { throw failure }
    }
}

/// Expects `body` to fail with a ``ServingError`` of `code`.
func expectServingError(_ code: ServingError.Code, sourceLocation: SourceLocation = #_sourceLocation,
                        _ body: () async throws -> Void) async {
    do {
        try await body()
        Issue.record("expected a ServingError with code \(code), got success", sourceLocation: sourceLocation)
    } catch let error as ServingError {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected a ServingError with code \(code), got \(error)", sourceLocation: sourceLocation)
    }
}

/// A ``RateLimiter`` that counts the calls reaching the limiter it wraps.
final class CountingLimiter: RateLimiter {
    let inner: any RateLimiter
    private let calls = Mutex(0)

    init(_ inner: any RateLimiter) { self.inner = inner }

    var count: Int { calls.withLock { $0 } }

    func acquire(_ key: String, cost: Int, limit: RateLimit) async throws(ServingError) -> RateDecision {
        calls.withLock { $0 += 1 }
        return try await inner.acquire(key, cost: cost, limit: limit)
    }
}

/// A small deterministic generator (SplitMix64) for reproducible schedules.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
