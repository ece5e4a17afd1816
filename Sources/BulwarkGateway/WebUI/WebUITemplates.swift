import Mustache

/// The web UI's Mustache templates and stylesheet, compiled into the binary.
///
/// Why strings and not SwiftPM resources: `bulwark` ships as one executable, and on Linux a
/// target's resources live in a `Bulwark_BulwarkGateway.resources` folder found beside the
/// executable or at its build path; a binary copied elsewhere would serve no UI. Strings travel
/// with the binary, are parsed once at start-up, and a test parses every one of them.
///
/// Every value from a request, the database or the audit log is written with `{{name}}`, which
/// HTML-escapes `< > & " '`; no template uses `{{{ }}}` or `{{& }}` (a test checks).
package enum WebUITemplates {
    /// The parsed templates, by name, for ``MustacheLibrary`` partials and pages.
    static let library: MustacheLibrary = {
        var library = MustacheLibrary()
        for (name, text) in sources {
            if let template = try? MustacheTemplate(string: text) { library.register(template, named: name) }
        }
        return library
    }()

    /// The names of templates that do not parse (empty unless a template was broken by an edit).
    package static var unparsable: [String] {
        sources.keys.filter { (try? MustacheTemplate(string: sources[$0] ?? "")) == nil }.sorted()
    }

    /// The template texts by name.
    package static let sources: [String: String] = [
        "header": header, "footer": footer, "login": login, "secondFactor": secondFactor, "message": message,
        "models": models, "model": model, "version": version, "approvals": approvals, "audit": audit, "auditEntry": auditEntry, "decide": decide,
        "monitoring": monitoring,
    ]

    static let header = """
    <!doctype html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <meta name="referrer" content="same-origin">
    <title>{{title}} · Bulwark</title>
    <link rel="stylesheet" href="/ui/static/style.css">
    </head>
    <body>
    <header class="top">
    <a class="brand" href="/ui/models">Bulwark</a>
    {{#user}}
    <nav>
    <a href="/ui/models"{{#navModels}} class="current"{{/navModels}}>Models</a>
    <a href="/ui/approvals"{{#navApprovals}} class="current"{{/navApprovals}}>Approvals</a>
    <a href="/ui/audit"{{#navAudit}} class="current"{{/navAudit}}>Audit log</a>
    <a href="/ui/monitoring"{{#navMonitoring}} class="current"{{/navMonitoring}}>Monitoring</a>
    </nav>
    <form class="logout" method="post" action="/ui/logout">
    <input type="hidden" name="csrf" value="{{csrf}}">
    <span class="who">{{name}}{{#mfa}} · MFA verified{{/mfa}}</span>
    <button type="submit">Log out</button>
    </form>
    {{/user}}
    </header>
    <main>
    <h1>{{title}}</h1>
    {{#notice}}<p class="notice">{{notice}}</p>{{/notice}}
    {{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}

    """

    static let footer = """
    </main>
    </body>
    </html>

    """

    static let login = """
    {{#frame}}{{>header}}{{/frame}}
    <form class="card" method="post" action="/ui/login">
    <input type="hidden" name="csrf" value="{{csrf}}">
    <label>Username <input name="username" autocomplete="username" required autofocus value="{{username}}"></label>
    <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
    <button type="submit">Continue</button>
    </form>
    {{>footer}}
    """

    static let secondFactor = """
    {{#frame}}{{>header}}{{/frame}}
    <form class="card" method="post" action="/ui/login/mfa">
    <input type="hidden" name="csrf" value="{{csrf}}">
    <input type="hidden" name="pending" value="{{pending}}">
    <input type="hidden" name="method" value="totp">
    <label>Code from your authenticator app <input name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" required autofocus></label>
    <button type="submit">Verify</button>
    </form>
    <details class="card">
    <summary>Use a recovery code instead</summary>
    <form method="post" action="/ui/login/mfa">
    <input type="hidden" name="csrf" value="{{csrf}}">
    <input type="hidden" name="pending" value="{{pending}}">
    <input type="hidden" name="method" value="recovery">
    <label>Recovery code <input name="code" autocomplete="off" required></label>
    <button type="submit">Use recovery code</button>
    </form>
    </details>
    {{>footer}}
    """

    static let message = """
    {{#frame}}{{>header}}{{/frame}}
    <p>{{text}}</p>
    <p><a href="{{backLink}}">{{backLabel}}</a></p>
    {{>footer}}
    """

    static let models = """
    {{#frame}}{{>header}}{{/frame}}
    {{^models}}<p class="empty">No models are registered yet.</p>{{/models}}
    {{#hasModels}}
    <table>
    <thead><tr><th>Model</th><th>Team</th><th>Risk tier</th><th>Data</th><th>Versions</th><th>In production</th></tr></thead>
    <tbody>
    {{#models}}
    <tr><td><a href="{{link}}">{{name}}</a></td><td>{{team}}</td><td>{{riskTier}}</td><td>{{dataClassification}}</td><td>{{versionCount}}</td><td>{{production}}</td></tr>
    {{/models}}
    </tbody>
    </table>
    {{/hasModels}}
    {{>footer}}
    """

    static let model = """
    {{#frame}}{{>header}}{{/frame}}
    <dl class="facts">
    <dt>Team</dt><dd>{{team}}</dd>
    <dt>Risk tier</dt><dd>{{riskTier}}</dd>
    <dt>Data classification</dt><dd>{{dataClassification}}</dd>
    <dt>Created</dt><dd>{{createdBy}}, {{createdAt}}</dd>
    </dl>
    <h2>Versions</h2>
    {{^versions}}<p class="empty">No version you may see.</p>{{/versions}}
    {{#hasVersions}}
    <table>
    <thead><tr><th>Version</th><th>Stage</th><th>Gates</th><th>Uploader</th><th>File</th><th>Uploaded</th></tr></thead>
    <tbody>
    {{#versions}}
    <tr><td><a href="{{link}}">{{number}}</a></td><td><span class="stage {{state}}">{{state}}</span></td><td><span class="badge {{gatesClass}}">{{gates}}</span></td><td>{{uploader}}</td><td>{{filename}}</td><td>{{createdAt}}</td></tr>
    {{/versions}}
    </tbody>
    </table>
    {{/hasVersions}}
    {{>footer}}
    """

    static let version = """
    {{#frame}}{{>header}}{{/frame}}
    <p><a href="{{modelLink}}">← {{model}}</a></p>
    <dl class="facts">
    <dt>Stage</dt><dd><span class="stage {{state}}">{{state}}</span>{{#revocationReason}} ({{revocationReason}}){{/revocationReason}}</dd>
    <dt>SHA-256</dt><dd><code>{{sha256}}</code></dd>
    <dt>File</dt><dd>{{filename}}, {{size}} bytes</dd>
    <dt>Uploaded</dt><dd>{{uploader}}{{#uploaderTeam}} ({{uploaderTeam}}){{/uploaderTeam}}, {{createdAt}}</dd>
    </dl>
    <h2>Gates</h2>
    {{^gates}}<p class="empty">Not submitted to the gates yet.</p>{{/gates}}
    {{#gates}}
    <table>
    <thead><tr><th>Gate</th><th>Outcome</th><th>Detail</th></tr></thead>
    <tbody>
    <tr><td>Scan</td><td><span class="badge {{scanClass}}">{{scanVerdict}}</span></td><td>{{scanFormat}}{{#scanReason}}; {{scanReason}}{{/scanReason}}{{#scanOverridden}}; passed by an admin's override{{/scanOverridden}}</td></tr>
    <tr><td>Signature</td><td><span class="badge {{signatureClass}}">{{signatureOutcome}}</span></td><td>{{signatureDetail}}</td></tr>
    <tr><td>Attestation</td><td><span class="badge {{attestationClass}}">{{attestationOutcome}}</span></td><td>{{attestationDetail}}</td></tr>
    </tbody>
    </table>
    
    {{#hasFindings}}<h3>Scan findings</h3><ul class="findings">{{#findings}}<li>{{.}}</li>{{/findings}}</ul>{{/hasFindings}}
    <p class="small">Checked {{checkedAt}}.</p>
    {{/gates}}
    {{#override}}<p class="small">Scan override by {{by}} ({{at}}): {{reason}}</p>{{/override}}
    <h2>Lineage</h2>
    <dl class="facts">
    <dt>Dataset manifest</dt><dd>{{#datasetDigest}}<code>{{datasetDigest}}</code>{{/datasetDigest}}{{^datasetDigest}}not recorded{{/datasetDigest}}</dd>
    <dt>Training command</dt><dd>{{#trainingCommand}}<code>{{trainingCommand}}</code>{{/trainingCommand}}{{^trainingCommand}}not recorded{{/trainingCommand}}</dd>
    <dt>Derived from</dt><dd>{{#parentLink}}<a href="{{parentLink}}">version {{parentVersion}}</a>{{/parentLink}}{{^parentLink}}none{{/parentLink}}</dd>
    </dl>
    <h2>Approvals</h2>
    {{^approvals}}<p class="empty">None.</p>{{/approvals}}
    {{#hasApprovals}}<ul>{{#approvals}}<li>{{approver}}, {{at}}</li>{{/approvals}}</ul>{{/hasApprovals}}
    {{#canDecide}}{{>decide}}{{/canDecide}}
    <h2>Stage history</h2>
    <table>
    <thead><tr><th>When</th><th>From</th><th>To</th><th>By</th><th>Reason</th></tr></thead>
    <tbody>
    {{#history}}<tr><td>{{at}}</td><td>{{from}}</td><td>{{to}}</td><td>{{actor}}</td><td>{{reason}}</td></tr>{{/history}}
    </tbody>
    </table>
    {{>footer}}
    """

    /// The Approve and Promote buttons of one staging version (in ``version`` and ``approvals``).
    static let decide = """
    <div class="actions">
    {{#canApprove}}<form method="post" action="{{actionBase}}/approve"><input type="hidden" name="csrf" value="{{csrf}}"><button type="submit">Approve</button></form>{{/canApprove}}
    {{#canPromote}}<form method="post" action="{{actionBase}}/promote"><input type="hidden" name="csrf" value="{{csrf}}"><button type="submit" class="primary">Promote to production</button></form>{{/canPromote}}
    </div>
    """

    static let approvals = """
    {{#frame}}{{>header}}{{/frame}}
    <p>Staging versions waiting for production. Production needs an approval by someone other than the uploader, given after a recent MFA check.</p>
    {{^rows}}<p class="empty">Nothing is waiting for approval.</p>{{/rows}}
    {{#hasRows}}
    <table>
    <thead><tr><th>Model</th><th>Version</th><th>Uploader</th><th>Gates</th><th>Approvals</th><th></th></tr></thead>
    <tbody>
    {{#rows}}
    <tr><td>{{model}}</td><td><a href="{{link}}">{{number}}</a></td><td>{{uploader}}</td><td><span class="badge {{gatesClass}}">{{gates}}</span></td><td>{{approvers}}</td><td>{{>decide}}</td></tr>
    {{/rows}}
    </tbody>
    </table>
    {{/hasRows}}
    {{>footer}}
    """

    static let audit = """
    {{#frame}}{{>header}}{{/frame}}
    <p>Entries {{first}}–{{last}} of {{size}}, oldest first.</p>
    <nav class="pager">{{#olderLink}}<a href="{{olderLink}}">← Older</a>{{/olderLink}} {{#newerLink}}<a href="{{newerLink}}">Newer →</a>{{/newerLink}}</nav>
    {{^entries}}<p class="empty">The log is empty.</p>{{/entries}}
    {{#hasEntries}}
    <table class="audit">
    <thead><tr><th>#</th><th>Time (UTC)</th><th>Actor</th><th>Action</th><th>Resource</th><th>Outcome</th><th>Rule</th><th>Details</th><th></th></tr></thead>
    <tbody>
    {{#entries}}
    <tr><td>{{index}}</td><td>{{time}}</td><td>{{actor}}</td><td>{{action}}</td><td>{{resource}}</td><td><span class="outcome {{outcome}}">{{outcome}}</span></td><td>{{rule}}</td><td>{{details}}</td><td>{{#proofLink}}<a href="{{proofLink}}">verify</a>{{/proofLink}}</td></tr>
    {{/entries}}
    </tbody>
    </table>
    {{/hasEntries}}
    <h2>Latest signed checkpoint</h2>
    {{#checkpoint}}<pre class="note">{{checkpoint}}</pre>{{/checkpoint}}
    {{^checkpoint}}<p class="empty">Your role may not read checkpoints (audit.verify).</p>{{/checkpoint}}
    {{>footer}}
    """

    static let auditEntry = """
    {{#frame}}{{>header}}{{/frame}}
    <p><a href="{{backLink}}">← Audit log</a></p>
    <p class="verdict {{verdictClass}}">{{verdict}}</p>
    <dl class="facts">
    <dt>Entry</dt><dd>{{index}}: {{actor}} {{action}} {{resource}} ({{outcome}}) at {{time}}</dd>
    <dt>Leaf hash</dt><dd><code>{{leafHash}}</code></dd>
    <dt>Tree size</dt><dd>{{size}}</dd>
    <dt>Root hash</dt><dd><code>{{rootHash}}</code></dd>
    <dt>Checkpoint signature</dt><dd>{{signature}}</dd>
    </dl>
    <h2>Inclusion proof (RFC 6962), leaf to root</h2>
    <ol class="proof">{{#proof}}<li><code>{{.}}</code></li>{{/proof}}</ol>
    {{^proof}}<p class="empty">The tree has one entry: the leaf is the root.</p>{{/proof}}
    <h2>Signed checkpoint</h2>
    <pre class="note">{{checkpoint}}</pre>
    <p class="small">Check it yourself: <a href="{{proofAPILink}}">the proof as JSON</a> and <a href="/api/v1/audit/checkpoint">the checkpoint</a>, or <code>bulwark audit verify</code> on the database.</p>
    {{>footer}}
    """

    /// The monitoring page (``WebUIMonitoring``): one section per served model, then the open
    /// incidents.
    static let monitoring = """
    {{#frame}}{{>header}}{{/frame}}
    <p class="small">Snapshot taken {{takenAt}} (UTC). Counts are since the server started.</p>
    {{^models}}<p class="empty">No served models: this server serves no model (<code>bulwark serve --serve-model …</code>).</p>{{/models}}
    {{#models}}
    <section class="monitored">
    <h2>{{name}} <span class="small">{{version}}</span> <span class="badge {{statusClass}}">{{status}}</span></h2>
    <div class="panels">
    <div>
    <h3>Requests by outcome</h3>
    {{^requests}}<p class="empty">No requests yet.</p>{{/requests}}
    {{#hasRequests}}
    <table class="counts"><tbody>
    {{#requests}}<tr><td>{{name}}</td><td class="num">{{value}}</td></tr>{{/requests}}
    <tr class="total"><td>total</td><td class="num">{{totalRequests}}</td></tr>
    </tbody></table>
    {{/hasRequests}}
    </div>
    <div>
    <h3>Detections by kind</h3>
    {{^detections}}<p class="empty">No detections.</p>{{/detections}}
    {{#hasDetections}}
    <table class="counts"><tbody>
    {{#detections}}<tr><td>{{name}}</td><td class="num">{{value}}</td></tr>{{/detections}}
    </tbody></table>
    {{/hasDetections}}
    </div>
    </div>
    <h3>Drift</h3>
    {{^drift}}<p class="empty">No drift monitor runs for this model.</p>{{/drift}}
    {{#drift}}
    <p><span class="badge {{verdictClass}}">{{verdict}}</span> Evaluated {{evaluated}} on a window of {{windowSize}} examples; {{examplesSeen}} seen, {{alertsRaised}} alerts raised.</p>
    {{#hasStatistics}}
    <table class="drift">
    <thead><tr><th>Statistic</th><th>Value</th><th>Threshold</th><th>Window</th><th>Computed</th><th>Drifted</th></tr></thead>
    <tbody>
    {{#statistics}}<tr class="{{rowClass}}"><td>{{kind}}</td><td class="num">{{value}}</td><td>{{comparison}} {{threshold}}</td><td class="num">{{windowSize}}</td><td>{{time}}</td><td>{{#drifted}}<span class="badge fail">drifted</span>{{/drifted}}{{^drifted}}no{{/drifted}}</td></tr>{{/statistics}}
    </tbody>
    </table>
    {{/hasStatistics}}
    {{#hasFeatures}}
    <details class="features"><summary>Features, highest PSI first ({{featureCount}} monitored)</summary>
    <table>
    <thead><tr><th>Feature</th><th>PSI</th><th>KS statistic</th><th>KS p-value</th></tr></thead>
    <tbody>
    {{#features}}<tr><td>{{name}}</td><td class="num">{{psi}}</td><td class="num">{{ksStatistic}}</td><td class="num">{{ksPValue}}</td></tr>{{/features}}
    </tbody>
    </table>
    </details>
    {{/hasFeatures}}
    {{/drift}}
    <h3>Top clients</h3>
    {{^clients}}<p class="empty">No client has queried this model.</p>{{/clients}}
    {{#hasClients}}
    <table class="clients">
    <thead><tr><th>Client</th><th>Queries</th><th>Level</th><th>Peak level</th><th>Last score</th><th>Cause</th></tr></thead>
    <tbody>
    {{#clients}}<tr><td><code>{{client}}</code></td><td class="num">{{queries}}</td><td><span class="level {{level}}">{{level}}</span></td><td><span class="level {{peakLevel}}">{{peakLevel}}</span></td><td class="num">{{lastScore}}</td><td>{{cause}}</td></tr>{{/clients}}
    </tbody>
    </table>
    {{/hasClients}}
    </section>
    {{/models}}
    <h2>Open incidents</h2>
    {{^incidents}}<p class="empty">No incidents are open.</p>{{/incidents}}
    {{#hasIncidents}}
    <table class="incidents">
    <thead><tr><th>Incident</th><th>Kind</th><th>Target</th><th>Opened by</th><th>Opened</th><th>Reason</th></tr></thead>
    <tbody>
    {{#incidents}}<tr><td><code>{{id}}</code></td><td>{{kind}}</td><td>{{target}}</td><td>{{openedBy}}</td><td>{{openedAt}}</td><td>{{reason}}</td></tr>{{/incidents}}
    </tbody>
    </table>
    {{/hasIncidents}}
    {{>footer}}
    """

    /// The stylesheet, served at `/ui/static/style.css` (the CSP allows no inline style).
    static let stylesheet = """
    :root { --ink: #1d2330; --muted: #5b6475; --line: #d8dce3; --accent: #1f5fbf; --ok: #17723a; --bad: #b3261e; --warn: #8a5a00; }
    * { box-sizing: border-box; }
    body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); background: #f6f7f9; }
    header.top { display: flex; align-items: center; gap: 1.5rem; padding: .6rem 1.5rem; background: #1d2330; color: #fff; }
    header.top a { color: #dfe6f3; text-decoration: none; }
    header.top a.current, header.top a:hover { color: #fff; text-decoration: underline; }
    .brand { font-weight: 700; font-size: 1.1rem; color: #fff !important; }
    header.top nav { display: flex; gap: 1rem; }
    form.logout { margin-left: auto; display: flex; align-items: center; gap: .75rem; }
    .who { color: #c3cad8; font-size: .9rem; }
    main { max-width: 72rem; margin: 0 auto; padding: 1rem 1.5rem 3rem; }
    h1 { font-size: 1.5rem; margin: .75rem 0 1rem; }
    h2 { font-size: 1.15rem; margin: 1.75rem 0 .5rem; }
    table { width: 100%; border-collapse: collapse; background: #fff; border: 1px solid var(--line); }
    th, td { text-align: left; padding: .4rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
    th { background: #eef0f4; font-weight: 600; font-size: .9rem; }
    table.audit td { font-size: .88rem; word-break: break-word; }
    a { color: var(--accent); }
    code, pre { font: 13px/1.4 ui-monospace, "DejaVu Sans Mono", monospace; word-break: break-all; }
    pre.note { background: #fff; border: 1px solid var(--line); padding: .75rem; white-space: pre-wrap; }
    .card { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 1.25rem; max-width: 24rem; margin-bottom: 1rem; }
    .card label { display: block; margin-bottom: .9rem; font-weight: 600; }
    .card input:not([type=hidden]) { display: block; width: 100%; margin-top: .25rem; padding: .45rem; font: inherit; border: 1px solid #b9c0cc; border-radius: 4px; }
    button { font: inherit; padding: .4rem .9rem; border: 1px solid #9aa3b2; border-radius: 4px; background: #fff; color: var(--ink); cursor: pointer; }
    button.primary, .card button { background: var(--accent); border-color: var(--accent); color: #fff; }
    header.top button { background: transparent; color: #fff; border-color: #6b7588; padding: .2rem .7rem; }
    .actions { display: flex; gap: .5rem; flex-wrap: wrap; }
    .actions form { margin: 0; }
    dl.facts { display: grid; grid-template-columns: 12rem 1fr; gap: .3rem 1rem; background: #fff; border: 1px solid var(--line); padding: .75rem 1rem; margin: 0; }
    dl.facts dt { color: var(--muted); }
    dl.facts dd { margin: 0; }
    .badge, .stage, .outcome { display: inline-block; padding: 0 .45rem; border-radius: 3px; font-size: .85rem; border: 1px solid currentColor; }
    .pass, .production, .succeeded, .allowed { color: var(--ok); }
    .fail, .revoked, .failed, .denied { color: var(--bad); }
    .pending, .staging, .throttled { color: var(--warn); }
    .none, .draft { color: var(--muted); }
    .notice { background: #e6f4ea; border-left: 4px solid var(--ok); padding: .5rem .75rem; }
    .error { background: #fdecea; border-left: 4px solid var(--bad); padding: .5rem .75rem; }
    .verdict { font-size: 1.1rem; font-weight: 600; }
    .empty, .small { color: var(--muted); }
    .pager { margin: .5rem 0; display: flex; gap: 1rem; }
    details.card summary { cursor: pointer; }
    details.card form { margin-top: 1rem; }
    section.monitored { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: .25rem 1rem 1rem; margin: 1rem 0; }
    section.monitored h2 { margin-top: .75rem; }
    h3 { font-size: 1rem; margin: 1rem 0 .4rem; }
    .panels { display: flex; gap: 2rem; flex-wrap: wrap; }
    .panels > div { min-width: 16rem; }
    table.counts { width: auto; min-width: 16rem; }
    td.num { text-align: right; font-variant-numeric: tabular-nums; }
    tr.total td { font-weight: 600; }
    tr.drifted td { background: #fdecea; }
    tr.drifted td:first-child { border-left: 4px solid var(--bad); font-weight: 600; }
    .level { display: inline-block; padding: 0 .45rem; border-radius: 3px; font-size: .85rem; border: 1px solid currentColor; }
    .level.normal { color: var(--muted); }
    .level.alerted, .level.throttled { color: var(--warn); }
    .level.blocked { color: var(--bad); font-weight: 600; }
    details.features { margin-top: .5rem; }
    details.features summary { cursor: pointer; color: var(--accent); }

    """
}
