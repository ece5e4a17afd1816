public import BulwarkServing

extension ControlPlane {
    /// Rate-limit and quota counters kept in the control plane's database (SQLite or
    /// PostgreSQL), so that every replica on the same database shares them: the limiter takes
    /// small leases of tokens (``LeasedRateLimiter``) so that most requests need no round trip.
    ///
    /// - Throws: ``ServingError`` `.storage` when the tables cannot be made.
    public func sharedLimiters() async throws(ServingError) -> (limiter: any RateLimiter, quotas: any QuotaCounter) {
        let limiter = LeasedRateLimiter(shared: try await SQLRateLimiter(database: database))
        return (limiter, try await SQLQuotaCounter(database: database))
    }
}
