import BulwarkAccess
import BulwarkExtraction
import BulwarkGateway
import BulwarkServing
import Foundation
import Hummingbird
import HummingbirdTesting
import HTTPTypes
import NIOCore
import Testing

/// A snapshot as a serving runtime would report it: `cats` served with a drift monitor that
/// saw input drift and two clients (one with an id that is HTML), `dogs` killed with no drift
/// monitor and no clients, one open incident. Whole seconds, so that ISO 8601 round-trips.
private func monitoringFixture() -> MonitoringSnapshot {
    let at = Date(timeIntervalSince1970: 1_800_000_000)
    let hostile = "<script>alert(1)</script>"
    let drift = DriftReport(
        model: "cats", time: at, examplesSeen: 1500, windowSize: 500,
        statistics: [
            DriftStatisticResult(kind: .inputPSI, value: 0.4312, threshold: 0.25, drifted: true, windowSize: 500, time: at),
            DriftStatisticResult(kind: .inputKS, value: 0.2, threshold: 0.0125, drifted: false, windowSize: 500, time: at),
        ],
        features: [FeatureDrift(name: "f0", psi: 0.0123, ksStatistic: 0.05, ksPValue: 0.7),
                   FeatureDrift(name: "f1", psi: 0.4312, ksStatistic: 0.31, ksPValue: 0.001)],
        alertsRaised: 2)
    let alert = ExtractionAlert(client: hostile, detector: "prada", clientQueryIndex: 140, streamIndex: 900, statistic: "shapiro-wilk-w",
                                value: 0.8123, threshold: 0.9, direction: "below")
    let clients = [
        ClientStanding(client: hostile, level: .throttled, peakLevel: .throttled, cause: alert, queries: 420, consecutiveAlarms: 2, lastScore: 0.8123),
        ClientStanding(client: "benign-7", queries: 37, lastScore: 0.97),
    ]
    return MonitoringSnapshot(
        takenAt: at,
        models: [
            .init(name: "cats", version: 3, status: "serving", requests: ["ok": 1200, "rate_limited": 45, "invalid": 3],
                  detections: ["feature_squeezing": 7, "prada": 2], drift: drift, topClients: clients),
            .init(name: "dogs", version: 1, status: "killed", requests: [:], detections: [:], drift: nil, topClients: []),
        ],
        incidents: [.init(id: "inc-1", kind: "kill", target: "dogs/1", openedBy: "ada", openedAt: at, reason: "suspected backdoor <b>trigger</b>")])
}

/// Adds `dora`, an auditor (`metrics.read` in the example policy) without a second factor.
private func addAuditor(_ fixture: WebUIFixture) async throws {
    try await fixture.plane.accounts.createUser(NewUser(username: "dora", team: "risk", roles: ["auditor"]), password: webUIPassword, now: Date())
}

@Test func webUIMonitoringPageShowsModelsDriftClientsAndIncidents() async throws {
    let fixture = try await WebUIFixture()
    try await addAuditor(fixture)
    let snapshot = monitoringFixture()
    fixture.plane.setMonitoringSource { snapshot }
    try await fixture.test { client in
        let (cookie, _) = try await uiLogin(client, "dora", totp: nil)
        try await client.execute(uri: "/ui/monitoring", method: .get, headers: [.cookie: cookie]) { response in
            #expect(response.status == .ok)
            let html = String(buffer: response.body)
            #expect(html.contains("<h1>Monitoring</h1>"))
            #expect(html.contains(#"<a href="/ui/monitoring" class="current">Monitoring</a>"#))
            // Versions and status.
            #expect(html.contains(#"cats <span class="small">version 3</span> <span class="badge pass">serving</span>"#))
            #expect(html.contains(#"dogs <span class="small">version 1</span> <span class="badge fail">killed</span>"#))
            // Requests by outcome, sorted, with the total; detections by kind.
            #expect(html.contains(#"<tr><td>invalid</td><td class="num">3</td></tr><tr><td>ok</td><td class="num">1200</td></tr><tr><td>rate_limited</td><td class="num">45</td></tr>"#))
            #expect(html.contains(#"<td>total</td><td class="num">1248</td>"#))
            #expect(html.contains(#"<tr><td>feature_squeezing</td><td class="num">7</td></tr><tr><td>prada</td><td class="num">2</td></tr>"#))
            // Drift: the drifted statistic highlighted, the other not.
            #expect(html.contains(#"<tr class="drifted"><td>input PSI (largest over features)</td><td class="num">0.4312</td><td>drift above 0.25</td>"#))
            #expect(html.contains(#"<tr class="steady"><td>input KS p-value (smallest over features)</td><td class="num">0.2</td><td>drift below 0.0125</td>"#))
            #expect(html.contains("drift detected"))
            #expect(html.contains("1500 seen, 2 alerts raised"))
            let f1 = try #require(html.range(of: "<td>f1</td>")), f0 = try #require(html.range(of: "<td>f0</td>"))
            #expect(f1.lowerBound < f0.lowerBound, "features are listed highest PSI first")
            // Top clients with their standing and cause; the second model's empty states.
            #expect(html.contains(#"<td class="num">420</td><td><span class="level throttled">throttled</span></td>"#))
            #expect(html.contains("prada: shapiro-wilk-w 0.8123 below 0.9 at query 140"))
            #expect(html.contains("<td><code>benign-7</code></td><td class=\"num\">37</td>"))
            #expect(html.contains("No drift monitor runs for this model."))
            #expect(html.contains("No client has queried this model."))
            // The incident.
            #expect(html.contains("<td><code>inc-1</code></td><td>kill</td><td>dogs/1</td><td>ada</td><td>2027-01-15T08:00:00Z</td>"))
            #expect(!html.contains("No incidents are open."))
        }
    }
}

@Test func webUIMonitoringPageEscapesClientIDsAndReasons() async throws {
    let fixture = try await WebUIFixture()
    try await addAuditor(fixture)
    let snapshot = monitoringFixture()
    fixture.plane.setMonitoringSource { snapshot }
    try await fixture.test { client in
        let (cookie, _) = try await uiLogin(client, "dora", totp: nil)
        try await client.execute(uri: "/ui/monitoring", method: .get, headers: [.cookie: cookie]) { response in
            let html = String(buffer: response.body)
            #expect(response.status == .ok)
            #expect(!html.contains("<script"), "a client id is written as text")
            #expect(!html.contains("<b>trigger</b>"))
            #expect(html.contains("<td><code>&lt;script&gt;alert(1)&lt;/script&gt;</code></td>"))
            #expect(html.contains("suspected backdoor &lt;b&gt;trigger&lt;/b&gt;"))
        }
    }
}

@Test func webUIMonitoringIsForbiddenToAConsumerAndShowsEmptyStates() async throws {
    let fixture = try await WebUIFixture()
    try await addAuditor(fixture)
    let events = try await fixture.test { client in
        let (carl, _) = try await uiLogin(client, "carl", totp: nil)
        try await client.execute(uri: "/ui/monitoring", method: .get, headers: [.cookie: carl]) { response in
            #expect(response.status == .forbidden)
            let html = String(buffer: response.body)
            #expect(html.contains("<h1>Not allowed</h1>"))
            #expect(html.contains("metrics.read"))
        }
        try await client.execute(uri: "/api/v1/monitoring", method: .get, headers: [.cookie: carl]) { response in
            #expect(response.status == .forbidden)
        }
        try await client.execute(uri: "/api/v1/monitoring", method: .get) { response in
            #expect(response.status == .forbidden, "anonymous callers are allowed nothing")
        }
        try await client.execute(uri: "/ui/monitoring", method: .get) { response in
            #expect(response.status == .seeOther && response.headers[.location] == "/ui/login")
        }
        // No source set: the empty states.
        let (dora, _) = try await uiLogin(client, "dora", totp: nil)
        try await client.execute(uri: "/ui/monitoring", method: .get, headers: [.cookie: dora]) { response in
            #expect(response.status == .ok)
            let html = String(buffer: response.body)
            #expect(html.contains("No served models"))
            #expect(html.contains("No incidents are open."))
        }
    }
    #expect(events.contains { $0.actor == "carl" && $0.action == "metrics.read" && $0.outcome == .denied })
}

@Test func webUIMonitoringAPIAnswersTheSnapshotAsJSON() async throws {
    let fixture = try await WebUIFixture()
    try await addAuditor(fixture)
    let snapshot = monitoringFixture()
    fixture.plane.setMonitoringSource { snapshot }
    let documented = fixture.gateway.routes.descriptions.first { $0.path == "/api/v1/monitoring" }
    #expect(documented?.method == .get && documented?.tags == ["monitoring"])
    try await fixture.test { client in
        let (cookie, _) = try await uiLogin(client, "dora", totp: nil)
        try await client.execute(uri: "/api/v1/monitoring", method: .get, headers: [.cookie: cookie]) { response in
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/json; charset=utf-8")
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            let decoded = try decoder.decode(MonitoringSnapshot.self, from: Data(response.body.readableBytesView))
            #expect(decoded == snapshot)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any])
            #expect(object["takenAt"] as? String == "2027-01-15T08:00:00Z")
        }
    }
}
