public import Foundation

/// Writes audit entries as JSON Lines for a SIEM: one canonical JSON object per line (the
/// members of ``AuditEntry/canonicalBytes`` plus `leafHash`, the entry's RFC 6962 leaf hash in
/// hex), in index order, streamed in batches so memory stays flat for any log size.
///
/// ```swift
/// let storage = InMemoryAuditStorage()
/// let count = try await AuditExport.write(from: storage, to: FileHandle.standardOutput)
/// ```
public enum AuditExport {
    /// One export line for `entry`, with its final newline.
    public static func line(for entry: AuditEntry) -> [UInt8] {
        entry.canonicalObject(adding: [("leafHash", .string(entry.leafHash.hex))]).bytes + [0x0A]
    }

    /// Streams entries `range` (all by default) of `storage` to `handle`; returns how many were
    /// written. Throws `.io` when writing fails and `.storage` when reading fails.
    @discardableResult
    public static func write(from storage: any AuditStorage, to handle: FileHandle, range: Range<UInt64>? = nil,
                             batchSize: Int = 4096) async throws(AccessError) -> UInt64 {
        let total = try await storage.count()
        let wanted = range ?? 0..<total
        var offset = wanted.lowerBound
        var written: UInt64 = 0
        while offset < min(wanted.upperBound, total) {
            let limit = Int(min(UInt64(max(1, batchSize)), wanted.upperBound - offset))
            let batch = try await storage.entries(offset: offset, limit: limit)
            if batch.isEmpty { break }
            var chunk: [UInt8] = []
            for entry in batch { chunk += line(for: entry) }
            do {
                try handle.write(contentsOf: Data(chunk))
            } catch {
                throw AccessError(.io, "audit export: cannot write (\(error.localizedDescription))", underlying: error)
            }
            offset += UInt64(batch.count)
            written += UInt64(batch.count)
        }
        return written
    }
}
