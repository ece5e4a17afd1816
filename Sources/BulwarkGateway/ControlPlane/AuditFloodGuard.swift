import BulwarkAccess
import Foundation

/// Keeps refused and failed requests from flooding the audit log.
///
/// Every refused credential, policy denial and failed change is audited — which lets anyone who
/// can reach the gateway make it write (and hash-chain, and sign) an entry per request. The
/// guard lets the first ``limit`` such entries per client address and actor through in each
/// ``window``; the rest are counted, not written, and when the window ends one
/// `audit.suppressed` entry records how many were dropped, of which action, from whom — so the
/// log still says a flood happened, in one line instead of a million. Allowed outcomes are never
/// suppressed. Past ``maximumKeys`` addresses in one window, newcomers share one bucket, so the
/// guard's own memory is bounded too.
///
/// A window's summary is written by the first audited event after it ends (a sweep at most once
/// a second); a flood that stops for good before another request arrives keeps its count until
/// then.
final class AuditFloodGuard: @unchecked Sendable {
    private struct Key: Hashable { var address: String, actor: String }
    private struct Window { var start: Date, written: Int, suppressed: Int, actions: Set<String> }

    /// Entries let through per address and actor per window.
    let limit: Int
    /// Seconds per window.
    let window: TimeInterval
    /// Addresses tracked at once before newcomers share a bucket.
    let maximumKeys: Int
    private let lock = NSLock()
    private var windows: [Key: Window] = [:]
    private var lastSweep = Date.distantPast

    init(limit: Int = 30, window: TimeInterval = 60, maximumKeys: Int = 10_000) {
        self.limit = limit
        self.window = window
        self.maximumKeys = maximumKeys
    }

    /// Whether to write `event` at `now`, and the summaries of windows that have ended.
    func admit(_ event: AuditEvent, now: Date = Date()) -> (write: Bool, summaries: [AuditEvent]) {
        lock.withLock {
            var summaries: [AuditEvent] = []
            if now.timeIntervalSince(lastSweep) >= 1 {
                lastSweep = now
                for (key, w) in windows where now.timeIntervalSince(w.start) >= window {
                    if w.suppressed > 0 { summaries.append(summary(key, w, now: now)) }
                    windows[key] = nil
                }
            }
            guard event.outcome != .allowed else { return (true, summaries) }
            var key = Key(address: event.clientAddress ?? "unknown", actor: event.actor)
            if windows[key] == nil, windows.count >= maximumKeys { key = Key(address: "*", actor: "*") }
            var w = windows[key] ?? Window(start: now, written: 0, suppressed: 0, actions: [])
            if now.timeIntervalSince(w.start) >= window {
                if w.suppressed > 0 { summaries.append(summary(key, w, now: now)) }
                w = Window(start: now, written: 0, suppressed: 0, actions: [])
            }
            let write = w.written < limit
            if write { w.written += 1 } else {
                w.suppressed += 1
                if w.actions.count < 8 { w.actions.insert(event.action) }
            }
            windows[key] = w
            return (write, summaries)
        }
    }

    private func summary(_ key: Key, _ w: Window, now: Date) -> AuditEvent {
        AuditEvent(actor: key.actor, action: "audit.suppressed", resource: "audit", outcome: .denied,
                   clientAddress: key.address == "*" ? nil : key.address,
                   details: ["suppressed": String(w.suppressed), "written": String(w.written), "actions": w.actions.sorted().joined(separator: ","),
                             "windowStartUnixMs": String(Int64(w.start.timeIntervalSince1970 * 1000)),
                             "windowSeconds": String(Int(window)), "bucket": key.address == "*" ? "shared" : "address"])
    }
}
