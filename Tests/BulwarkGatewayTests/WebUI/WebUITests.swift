import BulwarkAccess
import BulwarkGateway
import BulwarkRegistry
import Foundation
import Hummingbird
import HummingbirdTesting
import HTTPTypes
import NIOCore
import Testing

@Test func webUILoginWithPasswordThenTOTPShowsTheModels() async throws {
    let fixture = try await WebUIFixture()
    let totp = try #require(fixture.totp["bob"])
    let events = try await fixture.test { client in
        // Anonymous visitors are sent to the login page.
        try await client.execute(uri: "/ui/models", method: .get) { response in
            #expect(response.status == .seeOther && response.headers[.location] == "/ui/login")
        }
        let (cookie, _) = try await uiLogin(client, "bob", totp: totp)
        #expect(cookie.hasPrefix("__Host-bulwark_session=bws_"))
        try await client.execute(uri: "/ui/models", method: .get, headers: [.cookie: cookie]) { response in
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "text/html; charset=utf-8")
            #expect(response.headers[.contentSecurityPolicy]?.contains("default-src 'self'") == true)
            let html = String(buffer: response.body)
            #expect(html.contains("<h1>Models</h1>"))
            #expect(html.contains(#"<a href="/ui/models/cats">cats</a>"#))
            #expect(html.contains("bob · MFA verified"))
            #expect(!html.contains("<script"), "the UI needs no JavaScript")
        }
        try await client.execute(uri: "/ui/static/style.css", method: .get) { response in
            #expect(response.status == .ok && response.headers[.contentType] == "text/css; charset=utf-8")
        }
    }
    #expect(events.contains { $0.action == "login" && $0.actor == "bob" && $0.outcome == .succeeded && $0.details["next"] == "mfa" })
    #expect(events.contains { $0.action == "login.totp" && $0.actor == "bob" && $0.outcome == .succeeded })
}

@Test func webUIWrongPasswordAndWrongCodeAreRefusedAndAudited() async throws {
    let fixture = try await WebUIFixture()
    let events = try await fixture.test { client in
        let (loginCookie, token) = try await client.execute(uri: "/ui/login", method: .get) { response in
            (try #require(setCookie("__Host-bulwark_login", in: response)), try #require(hiddenField("csrf", in: String(buffer: response.body))))
        }
        try await client.execute(uri: "/ui/login", method: .post, headers: formHeaders(cookies: [loginCookie]),
                                 body: formBody([("csrf", token), ("username", "bob"), ("password", "not the password")])) { response in
            #expect(response.status == .unauthorized)
            #expect(String(buffer: response.body).contains("The username or password is not valid."))
            #expect(setCookie("__Host-bulwark_session", in: response) == nil)
        }
        let pending = try await client.execute(uri: "/ui/login", method: .post, headers: formHeaders(cookies: [loginCookie]),
                                               body: formBody([("csrf", token), ("username", "bob"), ("password", webUIPassword)])) { response in
            try #require(hiddenField("pending", in: String(buffer: response.body)))
        }
        try await client.execute(uri: "/ui/login/mfa", method: .post, headers: formHeaders(cookies: [loginCookie]),
                                 body: formBody([("csrf", token), ("pending", pending), ("method", "totp"), ("code", "000000")])) { response in
            #expect(response.status == .unauthorized)
            #expect(setCookie("__Host-bulwark_session", in: response) == nil)
            #expect(hiddenField("pending", in: String(buffer: response.body)) == pending)
        }
    }
    #expect(events.contains { $0.action == "login" && $0.actor == "bob" && $0.outcome == .failed })
    #expect(events.contains { $0.action == "login.totp" && $0.outcome == .failed })
}

@Test func webUIRefusesPostsWithoutTheRightTokenOrFromAnotherOrigin() async throws {
    let fixture = try await WebUIFixture()
    let version = try await fixture.stagedVersion()
    let totp = try #require(fixture.totp["bob"])
    let plane = fixture.plane
    let events = try await fixture.test { client in
        let (cookie, csrf) = try await uiLogin(client, "bob", totp: totp)
        let uri = "/ui/models/cats/versions/\(version.number)/approve"
        let attempts: [(String, HTTPFields, ByteBuffer)] = [
            ("no CSRF token", formHeaders(cookies: [cookie]), formBody([])),
            ("wrong CSRF token", formHeaders(cookies: [cookie]), formBody([("csrf", String(csrf.reversed()))])),
            ("foreign Origin", formHeaders(origin: "https://evil.example", cookies: [cookie]), formBody([("csrf", csrf)])),
            ("foreign Origin", formHeaders(origin: "null", cookies: [cookie]), formBody([("csrf", csrf)])),
            ("no Origin header", formHeaders(origin: nil, cookies: [cookie]), formBody([("csrf", csrf)])),
        ]
        for (reason, headers, body) in attempts {
            try await client.execute(uri: uri, method: .post, headers: headers, body: body) { response in
                #expect(response.status == .forbidden, "\(reason)")
                let html = String(buffer: response.body)
                #expect(html.contains("<h1>Request refused</h1>") && html.contains(reason), "\(reason)")
            }
        }
        // The login form is protected before any session exists: its token is bound to the login cookie.
        let loginCookie = try await client.execute(uri: "/ui/login", method: .get) { try #require(setCookie("__Host-bulwark_login", in: $0)) }
        try await client.execute(uri: "/ui/login", method: .post, headers: formHeaders(cookies: [loginCookie]),
                                 body: formBody([("csrf", "forged"), ("username", "bob"), ("password", webUIPassword)])) { response in
            #expect(response.status == .forbidden)
        }
        // Logging out is a state change too.
        try await client.execute(uri: "/ui/logout", method: .post, headers: formHeaders(cookies: [cookie]), body: formBody([])) { response in
            #expect(response.status == .forbidden)
        }
        #expect(try await plane.registry.approvals(model: "cats", number: version.number).isEmpty)
    }
    let refusals = events.filter { $0.action == "ui.csrf" }
    #expect(refusals.map { $0.details["reason"] ?? "" } == ["no CSRF token", "wrong CSRF token", "foreign Origin", "foreign Origin", "no Origin header",
                                                         "wrong CSRF token", "no CSRF token"])
    #expect(refusals.allSatisfy { $0.outcome == .denied })
    #expect(refusals.prefix(5).allSatisfy { $0.actor == "bob" })
    #expect(!events.contains { $0.action == "POST /ui/models/cats/versions/\(version.number)/approve" }, "refusals are not audited twice")
}

@Test func webUIEscapesModelNamesAndAuditDetails() async throws {
    let fixture = try await WebUIFixture()
    let totp = try #require(fixture.totp["alice"])
    // Registry names are restricted, so the hostile text goes where people can type it: the team
    // and the lineage of a model, and an audit entry's actor and details.
    let admin = Principal(id: "root", roles: ["admin"], mfaVerifiedAt: Date())
    try await fixture.plane.registry.createModel(name: "dogs", team: "<script>alert(1)</script>", riskTier: .low, dataClassification: .public, by: admin)
    _ = try await fixture.plane.audit.append(AuditEvent(actor: "<script>alert(2)</script>", action: "test", resource: "x\"><img src=x>",
                                                        outcome: .failed, details: ["note": "<b>bold</b> & 'quoted'"]))
    try await fixture.plane.accounts.createUser(NewUser(username: "audrey", roles: ["auditor"]), password: webUIPassword, now: Date())
    try await fixture.test { client in
        let (aliceCookie, _) = try await uiLogin(client, "alice", totp: totp)
        try await client.execute(uri: "/ui/models", method: .get, headers: [.cookie: aliceCookie]) { response in
            let html = String(buffer: response.body)
            #expect(!html.contains("<script>alert(1)"))
            #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        }
        let (auditorCookie, _) = try await uiLogin(client, "audrey", totp: nil)
        try await client.execute(uri: "/ui/audit", method: .get, headers: [.cookie: auditorCookie]) { response in
            #expect(response.status == .ok)
            let html = String(buffer: response.body)
            #expect(html.contains("<h1>Audit log</h1>"))
            #expect(!html.contains("<script>alert(2)") && !html.contains("<img src=x>") && !html.contains("<b>bold"))
            #expect(html.contains("&lt;script&gt;alert(2)&lt;/script&gt;"))
            #expect(html.contains("x&quot;&gt;&lt;img src=x&gt;"))
            #expect(html.contains("note=&lt;b&gt;bold&lt;/b&gt; &amp; &#39;quoted&#39;"))
            #expect(html.contains("Latest signed checkpoint") && html.contains(controlPlaneOrigin))
        }
    }
}

@Test func webUITemplatesParseAndNeverWriteUnescapedValues() {
    #expect(WebUITemplates.unparsable.isEmpty)
    for (name, text) in WebUITemplates.sources {
        #expect(!text.contains("{{{") && !text.contains("{{&"), "\(name) writes a value unescaped")
        #expect(!text.lowercased().contains("<script") && !text.contains(" style=") && !text.lowercased().contains("<style"), "\(name): no inline script or style")
    }
}

@Test func webUIConsumerGetsAForbiddenPageOnApprovals() async throws {
    let fixture = try await WebUIFixture()
    let events = try await fixture.test { client in
        let (cookie, _) = try await uiLogin(client, "carl", totp: nil)
        try await client.execute(uri: "/ui/approvals", method: .get, headers: [.cookie: cookie]) { response in
            #expect(response.status == .forbidden)
            let html = String(buffer: response.body)
            #expect(html.contains("<h1>Not allowed</h1>"))
            #expect(html.contains("model.read on version denied by rule default-deny"))
        }
        // The consumer may list models (model.list), as the JSON API allows.
        try await client.execute(uri: "/ui/models", method: .get, headers: [.cookie: cookie]) { response in
            #expect(response.status == .ok)
        }
        // and may not read the audit log.
        try await client.execute(uri: "/ui/audit", method: .get, headers: [.cookie: cookie]) { response in
            #expect(response.status == .forbidden)
        }
    }
    #expect(events.contains { $0.action == "model.read" && $0.actor == "carl" && $0.outcome == .denied && $0.rule == "default-deny" })
    #expect(events.contains { $0.action == "audit.read" && $0.actor == "carl" && $0.outcome == .denied })
}

@Test func webUIApproveAndPromoteFollowTheTwoPersonRule() async throws {
    let fixture = try await WebUIFixture()
    let version = try await fixture.stagedVersion()
    let bobTOTP = try #require(fixture.totp["bob"])
    let aliceTOTP = try #require(fixture.totp["alice"])
    let base = "/ui/models/cats/versions/\(version.number)"
    let plane = fixture.plane
    let events = try await fixture.test { client in
        // The uploader cannot approve her own version, even with fresh MFA.
        let alice = try await uiLogin(client, "alice", totp: aliceTOTP)
        try await client.execute(uri: base + "/approve", method: .post, headers: formHeaders(cookies: [alice.cookie]),
                                 body: formBody([("csrf", alice.csrf)])) { response in
            #expect(response.status == .forbidden)
            #expect(String(buffer: response.body).contains("<h1>Not allowed</h1>"))
        }
        let bob = try await uiLogin(client, "bob", totp: bobTOTP)
        try await client.execute(uri: "/ui/approvals", method: .get, headers: [.cookie: bob.cookie]) { response in
            #expect(response.status == .ok)
            let html = String(buffer: response.body)
            #expect(html.contains("<h1>Approvals</h1>"))
            #expect(html.contains(#"action="\#(base)/approve""#) && html.contains(#"action="\#(base)/promote""#))
        }
        // Promotion before any approval is refused by the registry.
        try await client.execute(uri: base + "/promote", method: .post, headers: formHeaders(cookies: [bob.cookie]),
                                 body: formBody([("csrf", bob.csrf)])) { response in
            #expect(response.status == .forbidden)
            #expect(String(buffer: response.body).contains("two-person rule"))
        }
        try await client.execute(uri: base + "/approve", method: .post, headers: formHeaders(cookies: [bob.cookie]),
                                 body: formBody([("csrf", bob.csrf)])) { response in
            #expect(response.status == .seeOther)
            #expect(response.headers[.location] == "/ui/approvals?done=approved")
        }
        try await client.execute(uri: base + "/promote", method: .post, headers: formHeaders(cookies: [bob.cookie]),
                                 body: formBody([("csrf", bob.csrf)])) { response in
            #expect(response.status == .seeOther)
        }
        try await client.execute(uri: base, method: .get, headers: [.cookie: bob.cookie]) { response in
            #expect(response.status == .ok)
            let html = String(buffer: response.body)
            #expect(html.contains(#"<span class="stage production">production</span>"#))
            #expect(html.contains(version.sha256))
            #expect(html.contains(#"<span class="badge pass">clean</span>"#) && html.contains("by user:alice"))
            #expect(html.contains("bulwark train --seed 1"))
            #expect(html.contains("<li>bob, "))
        }
        #expect(try await plane.registry.approvals(model: "cats", number: version.number).map(\.approver) == ["bob"])
    }
    #expect(events.contains { $0.action == "version.promote.production" && $0.actor == "bob" && $0.outcome == .denied
        && $0.details["reason"]?.contains("two-person rule") == true })
    #expect(events.contains { $0.action == "version.approve" && $0.actor == "alice" && $0.outcome == .denied && $0.rule == "no-self-approval" })
    #expect(events.contains { $0.action == "POST \(base)/approve" && $0.actor == "bob" && $0.outcome == .allowed })
    #expect(events.contains { $0.action == "POST \(base)/promote" && $0.actor == "bob" && $0.outcome == .allowed })
}

@Test func webUIAuditEntryPageVerifiesTheInclusionProof() async throws {
    let fixture = try await WebUIFixture()
    for i in 0..<5 { _ = try await fixture.plane.audit.append(AuditEvent(actor: "seed", action: "test.\(i)", resource: "x", outcome: .succeeded)) }
    try await fixture.plane.accounts.createUser(NewUser(username: "audrey", roles: ["auditor"]), password: webUIPassword, now: Date())
    try await fixture.test { client in
        let (cookie, _) = try await uiLogin(client, "audrey", totp: nil)
        try await client.execute(uri: "/ui/audit/entries/2", method: .get, headers: [.cookie: cookie]) { response in
            #expect(response.status == .ok)
            let html = String(buffer: response.body)
            #expect(html.contains("<h1>Audit entry 2</h1>"))
            #expect(html.contains(#"<p class="verdict pass">Included"#))
            #expect(html.contains("test.2"))
        }
        try await client.execute(uri: "/ui/audit/entries/999", method: .get, headers: [.cookie: cookie]) { response in
            #expect(response.status == .notFound)
        }
        try await client.execute(uri: "/ui/audit?from=abc", method: .get, headers: [.cookie: cookie]) { response in
            #expect(response.status == .badRequest)
        }
    }
}
