import ArgumentParser
import BulwarkAccess
import BulwarkGateway
import BulwarkServing
import BulwarkArchive
import BulwarkData
import Crypto
import Foundation

/// `bulwark serve`: the HTTP gateway (routes, middleware and limits live in BulwarkGateway).
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the HTTPS gateway until SIGTERM or SIGINT.",
        discussion: """
        Serves TLS 1.2 or later with --tls-cert and --tls-key (PEM files). Plain HTTP needs \
        --insecure-http and is refused on any address but loopback. Prints the URL it listens \
        on (with the real port when --port is 0), then one log line per request on \
        stderr (none with --no-access-log), a JSON object per line unless --log-format text. On SIGTERM or SIGINT it stops accepting connections and gives requests in \
        flight --grace-period seconds to finish. The API is described at /openapi.json.

          bulwark serve --host 0.0.0.0 --port 8443 --tls-cert server.pem --tls-key server.key
          bulwark serve --insecure-http --port 0
          bulwark serve --print-openapi > openapi.json

        With --serve-model NAME (and a control plane: --database, --policy, --audit-key, \
        --audit-origin) it serves the registry model's production version over the Open \
        Inference Protocol (KServe v2: /v2/health/ready, /v2/models/NAME, \
        POST /v2/models/NAME/infer), batching concurrent requests, and swaps in a new \
        production version without dropping requests.

        With --database (a SQLite path or postgres:// URL) the control plane is enabled: \
        accounts and sessions (/api/v1/login, /api/v1/me), the policy in --policy (reloaded \
        when the file changes) and the signed audit log (/api/v1/audit/…, signed with the key \
        in --audit-key under --audit-origin). --accounts-key defaults to \
        <database file>.accounts-key for SQLite and is created when missing. Passkeys \
        (/api/v1/webauthn/…, /api/v1/login/webauthn) use --webauthn-rp-id and --webauthn-origin, \
        by default derived from the listening URL (127.0.0.1:8080 gives localhost and \
        http://localhost:8080).

          bulwark serve --database /var/lib/bulwark/bulwark.db --policy policy.yaml \\
            --audit-key audit.key --audit-origin bulwark.example/audit --tls-cert server.pem --tls-key server.key
        """
    )

    @Option(help: "Address to bind (an IP literal or host name).")
    var host: String = "127.0.0.1"
    @Option(parsing: .unconditional, help: "TCP port; 0 picks a free one.")
    var port: Int = 8443
    @Option(name: .customLong("tls-cert"), help: "PEM certificate chain, server certificate first.")
    var tlsCert: String?
    @Option(name: .customLong("tls-key"), help: "PEM private key of the certificate (unencrypted; keep it mode 600).")
    var tlsKey: String?
    @Flag(name: .customLong("insecure-http"), help: "Serve plain HTTP (loopback addresses only; for development and tests).")
    var insecureHTTP = false
    @Option(name: .customLong("max-body"), parsing: .unconditional, help: "Largest API request body in bytes.")
    var maxBody: Int = GatewayConfiguration.defaultMaxRequestBodyBytes
    @Option(name: .customLong("max-upload"), parsing: .unconditional, help: "Largest upload body in bytes (artifact and dataset routes).")
    var maxUpload: Int = GatewayConfiguration.defaultMaxUploadBodyBytes
    @Option(name: .customLong("request-timeout"), parsing: .unconditional, help: "Seconds from a request's head to its response.")
    var requestTimeout: Double = 30
    @Option(name: .customLong("idle-timeout"), parsing: .unconditional, help: "Seconds an idle kept-alive connection stays open.")
    var idleTimeout: Double = 60
    @Option(name: .customLong("grace-period"), parsing: .unconditional, help: "Seconds requests in flight get to finish at shutdown.")
    var gracePeriod: Double = 10
    @Flag(name: .customLong("no-access-log"), help: "Write no log line per request (errors, alerts and the audit log still are).")
    var noAccessLog = false
    @Option(name: .customLong("log-format"), help: "Log lines on stderr: json (one object per line) or text.")
    var logFormat: LogFormat = .json
    @Flag(name: .customLong("print-openapi"), help: "Print the OpenAPI 3.1 document of the API on stdout and exit (binds nothing, needs no TLS files).")
    var printOpenAPI = false
    @Option(help: "Control-plane database: a SQLite path, sqlite:PATH or a postgres:// URL (enables accounts, policy and audit).")
    var database: String?
    @Option(help: "Policy file (YAML), reloaded when it changes; required with --database.")
    var policy: String?
    @Option(name: .customLong("audit-key"), help: "File holding the audit log's signer key (PRIVATE+KEY+…); required with --database.")
    var auditKey: String?
    @Option(name: .customLong("audit-origin"), help: "The audit log's origin, the first line of its checkpoints; required with --database.")
    var auditOrigin: String?
    @Option(name: .customLong("accounts-key"), help: "Account server key file (default <SQLite file>.accounts-key; required with PostgreSQL).")
    var accountsKey: String?
    @Option(name: .customLong("witness-file"), help: "Advance this witness file with each new signed audit checkpoint (it only moves forward).")
    var witnessFile: String?
    @Option(name: .customLong("witness-url"), help: "A C2SP tlog-witness submission prefix to send checkpoints to (repeat for several).")
    var witnessURLs: [String] = []
    @Option(name: .customLong("witness-key"), help: "A witness cosigner key (vkey, type 0x04) whose cosignature a witness answer must carry (repeat).")
    var witnessKeys: [String] = []
    @Option(name: .customLong("checkpoint-interval"), parsing: .unconditional, help: "Seconds between checks of the audit tree head for witnesses.")
    var checkpointInterval: Double = 60
    @Option(help: "Directory of the registry's artifacts (default <SQLite file>.blobs; required with PostgreSQL, shared by every node).")
    var blobs: String?
    @Option(name: .customLong("webauthn-rp-id"), help: "WebAuthn relying-party ID, a domain such as bulwark.example (default: from the listening address; loopback gives localhost).")
    var webAuthnRPID: String?
    @Option(name: .customLong("webauthn-origin"), help: "An origin passkey ceremonies may come from, such as https://bulwark.example (repeatable; default: the listening URL with the RP ID as host).")
    var webAuthnOrigins: [String] = []

    @Option(name: .customLong("serve-model"), help: "Serve a registry model over the Open Inference Protocol: NAME (its production version) or NAME@VERSION (pinned); repeatable; needs --database.")
    var serveModels: [String] = []

    @Option(name: .customLong("batch-rows"), parsing: .unconditional, help: "Most examples in one batched forward pass.")
    var batchRows: Int = 32

    @Option(name: .customLong("batch-delay-ms"), parsing: .unconditional, help: "Longest a request waits for others to join its batch, in milliseconds.")
    var batchDelayMilliseconds: Double = 2

    @Option(name: .customLong("queue-rows"), parsing: .unconditional, help: "Most examples waiting per model; beyond it requests get 503 with Retry-After.")
    var queueRows: Int = 2048

    @Option(name: .customLong("inference-workers"), parsing: .unconditional, help: "Threads running forward passes per model (default: processors, at most 4).")
    var inferenceWorkers: Int?

    @Option(name: .customLong("max-request-rows"), parsing: .unconditional, help: "Most examples in one inference request.")
    var maxRequestRows: Int = 64

    @Option(name: .customLong("input-range"), help: "Valid range of every input value, LOW:HIGH (e.g. 0:1); values outside are refused with 400.")
    var inputRange: String?

    @Option(name: .customLong("registry-refresh"), parsing: .unconditional, help: "Seconds between checks of the registry for a new production version of a served model.")
    var registryRefresh: Double = 5

    @Option(name: .customLong("rate-limit"), help: "Per-client limit on inference requests, RATE:BURST (requests per second, bucket size).")
    var rateLimit: String?

    @Option(name: .customLong("model-rate-limit"), help: "Per-model limit over all clients, RATE:BURST.")
    var modelRateLimit: String?

    @Option(name: .customLong("throttled-rate-limit"), help: "Per-client limit while extraction detection has the client throttled, RATE:BURST (default: a tenth of --rate-limit).")
    var throttledRateLimit: String?

    @Option(help: "Per-client quota of inference requests, N/day or N/hour.")
    var quota: String?

    @Flag(name: .customLong("shared-limits"), help: "Keep rate-limit and quota counters in the control-plane database, so they hold across replicas (with small local leases).")
    var sharedLimits = false

    @Option(help: "In-line defences per model (JSON: detectors, hardening, extraction detection, STRIP); needs --calibration-data.")
    var defences: String?

    @Option(name: .customLong("calibration-data"), help: "Clean reference inputs (.npy, N × the model's input shape) the detectors are calibrated on.")
    var calibrationData: String?

    @Option(name: .customLong("calibration-labels"), help: "Labels of --calibration-data (.npy).")
    var calibrationLabels: String?

    @Option(name: .customLong("drift-reference"), help: "NAME=FILE: monitor model NAME's inputs and predictions for drift against FILE (bulwark drift reference); repeatable.")
    var driftReferences: [String] = []

    @Option(name: .customLong("alert-webhook"), help: "POST drift, detection and extraction alerts as JSON to this URL.")
    var alertWebhook: String?

    @Option(name: .customLong("alert-secret-file"), help: "Sign each alert with HMAC-SHA256 keyed by this file's bytes (header Bulwark-Signature).")
    var alertSecretFile: String?

    /// The control-plane options, or nil without --database.
    var controlPlaneOptions: ControlPlaneOptions? {
        guard let database, let policy, let auditKey, let auditOrigin else { return nil }
        return ControlPlaneOptions(database: database, accountsKeyFile: accountsKey, policyFile: policy,
                                   auditKeyFile: auditKey, auditOrigin: auditOrigin, blobDirectory: blobs,
                                   webAuthnRelyingPartyID: webAuthnRPID, webAuthnOrigins: webAuthnOrigins)
    }

    var gatewayConfiguration: GatewayConfiguration {
        GatewayConfiguration(
            host: host, port: port, tlsCertificatePath: tlsCert, tlsPrivateKeyPath: tlsKey, insecureHTTP: insecureHTTP,
            maxRequestBodyBytes: maxBody, maxUploadBodyBytes: maxUpload, requestTimeoutSeconds: requestTimeout,
            idleTimeoutSeconds: idleTimeout, shutdownGracePeriodSeconds: gracePeriod, accessLog: !noAccessLog
        )
    }

    func validate() throws {
        if printOpenAPI { return }
        if database != nil {
            for (flag, value) in [("--policy", policy), ("--audit-key", auditKey), ("--audit-origin", auditOrigin)] where value == nil {
                throw ValidationError("\(flag): required with --database")
            }
        } else if policy != nil || auditKey != nil || auditOrigin != nil || accountsKey != nil || blobs != nil || witnessFile != nil || !witnessURLs.isEmpty
                    || webAuthnRPID != nil || !webAuthnOrigins.isEmpty {
            throw ValidationError("--policy, --audit-key, --audit-origin, --accounts-key, --blobs, --witness-… and --webauthn-…: need --database")
        }
        if !serveModels.isEmpty && database == nil { throw ValidationError("--serve-model: needs --database (models are served from the registry)") }
        for spec in serveModels {
            do throws(ServingError) { _ = try ServingSpec(parsing: spec) } catch { throw ValidationError("--serve-model \(error.message)") }
        }
        do throws(ServingError) {
            try batchingOptions.validate()
        } catch {
            throw ValidationError("--batch-rows/--batch-delay-ms/--queue-rows/--inference-workers: \(error.message)")
        }
        guard (1...4096).contains(maxRequestRows) else { throw ValidationError("--max-request-rows \(maxRequestRows): expected 1 to 4096") }
        _ = try parsedInputRange()
        for (flag, value) in [("--rate-limit", rateLimit), ("--model-rate-limit", modelRateLimit), ("--throttled-rate-limit", throttledRateLimit)] {
            _ = try Self.rateLimit(value, flag: flag)
        }
        _ = try parsedQuota()
        if (defences != nil) != (calibrationData != nil) || (calibrationData != nil) != (calibrationLabels != nil) {
            throw ValidationError("--defences, --calibration-data and --calibration-labels: give all three or none")
        }
        let servingFlags = rateLimit != nil || modelRateLimit != nil || quota != nil || defences != nil || !driftReferences.isEmpty || alertWebhook != nil
        if servingFlags && serveModels.isEmpty { throw ValidationError("--rate-limit, --quota, --defences, --drift-reference, --alert-webhook: need --serve-model") }
        if alertSecretFile != nil && alertWebhook == nil { throw ValidationError("--alert-secret-file: needs --alert-webhook") }
        for entry in driftReferences where !entry.contains("=") { throw ValidationError("--drift-reference \(entry): expected NAME=FILE") }
        guard registryRefresh >= 0.1, registryRefresh <= 3600 else { throw ValidationError("--registry-refresh \(registryRefresh): expected 0.1 to 3600 seconds") }
        guard checkpointInterval >= 1, checkpointInterval <= 86400 else {
            throw ValidationError("--checkpoint-interval \(checkpointInterval): expected 1 to 86400 seconds")
        }
        for url in witnessURLs {
            guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme ?? ""), parsed.host != nil else {
                throw ValidationError("--witness-url \(url): expected an http:// or https:// URL")
            }
        }
        _ = try parsedWitnessKeys()
        do {
            try gatewayConfiguration.validate()
        } catch {
            throw ValidationError(error.message)
        }
    }

    var batchingOptions: BatchingOptions {
        BatchingOptions(maxBatchRows: batchRows, maxDelay: .microseconds(Int64(batchDelayMilliseconds * 1000)), maxQueuedRows: queueRows,
                        workers: inferenceWorkers)
    }

    func parsedInputRange() throws -> ClosedRange<Float>? {
        guard let inputRange else { return nil }
        let parts = inputRange.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let low = Float(parts[0]), let high = Float(parts[1]), low.isFinite, high.isFinite, low <= high else {
            throw ValidationError("--input-range \(inputRange): expected LOW:HIGH with LOW <= HIGH, e.g. 0:1")
        }
        return low...high
    }

    static func rateLimit(_ text: String?, flag: String) throws -> RateLimit? {
        guard let text else { return nil }
        let parts = text.split(separator: ":")
        guard parts.count == 2, let rate = Double(parts[0]), let burst = Int(parts[1]) else {
            throw ValidationError("\(flag) \(text): expected RATE:BURST, e.g. 50:100")
        }
        do throws(ServingError) { return try RateLimit(rate: rate, burst: burst) } catch { throw ValidationError("\(flag) \(text): \(error.message)") }
    }

    func parsedQuota() throws -> Quota? {
        guard let quota else { return nil }
        let parts = quota.split(separator: "/")
        guard parts.count == 2, let count = Int(parts[0]), ["day", "hour"].contains(parts[1]) else {
            throw ValidationError("--quota \(quota): expected N/day or N/hour")
        }
        do throws(ServingError) { return parts[1] == "day" ? try Quota.perDay(count) : try Quota.perHour(count) } catch {
            throw ValidationError("--quota \(quota): \(error.message)")
        }
    }

    /// The protection settings of the flags (files read now).
    func protectionSettings(alertSink: (any AlertSink)?) throws -> ProtectionSettings {
        var settings = ProtectionSettings(alertSink: alertSink)
        settings.clientLimit = try Self.rateLimit(rateLimit, flag: "--rate-limit")
        settings.modelLimit = try Self.rateLimit(modelRateLimit, flag: "--model-rate-limit")
        settings.throttledLimit = try Self.rateLimit(throttledRateLimit, flag: "--throttled-rate-limit")
        if settings.throttledLimit == nil, let client = settings.clientLimit {
            settings.throttledLimit = try? RateLimit(rate: max(0.01, client.rate / 10), burst: max(1, client.burst / 10))
        }
        settings.quota = try parsedQuota()
        if let defences, let calibrationData, let calibrationLabels {
            let bytes: [UInt8]
            do throws(ArchiveError) { bytes = try FileChecks.readRegularFile(defences, maxBytes: 1 << 20) } catch {
                throw CLIError("--defences: \(error.message)")
            }
            do throws(ServingError) { settings.defences = try DefencePolicy.decode(json: Data(bytes), source: defences) } catch { throw CLIError("--defences \(error.message)") }
            do throws(DataError) {
                let loaded = try Dataset.arrays(data: calibrationData, labels: calibrationLabels).load()
                settings.calibrationInputs = loaded.examples.inputs
                settings.calibrationLabels = loaded.examples.labels
            } catch {
                throw CLIError("--calibration-data: \(error.message)")
            }
        }
        for entry in driftReferences {
            let parts = entry.split(separator: "=", maxSplits: 1)
            do throws(ServingError) {
                settings.driftReferences[String(parts[0])] = try DriftReference.read(from: String(parts[1]))
            } catch {
                throw CLIError("--drift-reference \(entry): \(error.message)")
            }
        }
        return settings
    }

    func parsedWitnessKeys() throws -> [CosignatureVerifier] {
        try witnessKeys.map { key in
            do throws(AccessError) {
                return try CosignatureVerifier(verifierKey: key)
            } catch {
                throw ValidationError("--witness-key: \(error.message)")
            }
        }
    }

    func run() async throws {
        if printOpenAPI {
            let routes = GatewayRoutes(configuration: GatewayConfiguration(insecureHTTP: true))
            ControlPlane.describeRoutes(on: routes)
            InferenceGateway.describeRoutes(on: routes)
            MetricsEndpoint.describeRoutes(on: routes)
            IncidentGateway.describeRoutes(on: routes)
            var document = routes.openAPIDocument.encoded(pretty: true)
            document.append(UInt8(ascii: "\n"))
            FileHandle.standardOutput.write(document)
            return
        }
        logFormat.bootstrap()
        let gateway = try Gateway(configuration: gatewayConfiguration)
        for warning in gateway.tls?.warnings ?? [] {
            FileHandle.standardError.write(Data("warning: \(warning)\n".utf8))
        }
        var plane: ControlPlane?
        var watcher: Task<Void, Never>?
        var publishing: Task<Void, Never>?
        var publisher: CheckpointPublisher?
        var refreshing: Task<Void, Never>?
        var alertTask: Task<Void, Never>?
        var servingHost: ModelHost?
        var incidentWatching: Task<Void, Never>?
        if let options = controlPlaneOptions {
            let opened = try await ControlPlane.open(options)
            opened.install(on: gateway.routes)
            var host: ModelHost?
            if !serveModels.isEmpty {
                let made = ModelHost(registry: opened.registry, batching: batchingOptions)
                host = made
                do throws(ServingError) {
                    try await made.load(try serveModels.map { spec throws(ServingError) in try ServingSpec(parsing: spec) })
                } catch {
                    await opened.close()
                    throw CLIError("--serve-model: \(error.message)")
                }
            }
            // Incident response: shared kill set and quarantine, applied every 250 ms on every replica.
            let incidents: IncidentGateway
            do throws(GatewayError) {
                incidents = try await IncidentGateway.open(plane: opened, host: host)
            } catch {
                await opened.close()
                throw CLIError("--database: \(error.message)")
            }
            incidents.install(on: gateway.routes, plane: opened)
            incidentWatching = Task { await incidents.watcher?.run() }
            if let host {
                let metrics = MetricsEndpoint()
                metrics.install(on: gateway.routes, plane: opened)
                var sink: WebhookAlertSink?
                if let alertWebhook {
                    var key: SymmetricKey?
                    if let alertSecretFile {
                        guard let secret = try? FileChecks.readRegularFile(alertSecretFile, maxBytes: 4096), !secret.isEmpty else {
                            throw CLIError("--alert-secret-file \(alertSecretFile): not a readable regular file of 1 to 4096 bytes")
                        }
                        key = SymmetricKey(data: secret)
                    }
                    sink = try WebhookAlertSink(options: WebhookOptions(url: alertWebhook, signingKey: key))
                }
                let settings = try protectionSettings(alertSink: sink)
                var limiter: (any RateLimiter)?
                var quotas: (any QuotaCounter)?
                if settings.clientLimit != nil || settings.modelLimit != nil || settings.quota != nil {
                    if sharedLimits {
                        do throws(ServingError) {
                            (limiter, quotas) = try await opened.sharedLimiters()
                        } catch {
                            throw CLIError("--shared-limits: \(error.message)")
                        }
                    } else {
                        limiter = InMemoryRateLimiter()
                        quotas = InMemoryQuotaCounter()
                    }
                }
                let protection: InferenceProtection
                do throws(ServingError) {
                    protection = try InferenceProtection(settings: settings, limiter: limiter, quotas: quotas, metrics: metrics.metrics)
                    try protection.prepare(host.served)
                } catch {
                    throw CLIError("--defences/--drift-reference: \(error.message)")
                }
                host.setPreparation { model throws(ServingError) in try protection.prepare([model]) }
                if let sink { alertTask = Task { try? await sink.run() } }
                let service = InferenceService(host: host, inputPolicy: InputPolicy(maxBatchRows: maxRequestRows, validRange: try parsedInputRange()),
                                               metrics: metrics.metrics, protection: protection, incidents: incidents.watcher, journal: incidents.journal)
                InferenceGateway(service: service).install(on: gateway.routes, plane: opened)
                let store = incidents.store
                opened.setMonitoringSource {
                    let open = ((try? await store.incidents(openOnly: true, limit: 50)) ?? []).map { incident in
                        MonitoringSnapshot.OpenIncident(id: String(incident.id), kind: incident.kind, target: incident.target,
                                                        openedBy: incident.openedBy,
                                                        openedAt: Date(timeIntervalSince1970: Double(incident.openedAtMilliseconds) / 1000),
                                                        reason: incident.reason)
                    }
                    return service.monitoringSnapshot(incidents: open)
                }
                let interval = registryRefresh
                refreshing = Task {
                    await host.watch(every: .milliseconds(Int64(interval * 1000))) { change in
                        FileHandle.standardError.write(Data("\(change)\n".utf8))
                    }
                }
                servingHost = host
            }
            watcher = Task { await opened.watchPolicy() }
            plane = opened
            let witnesses = WitnessOptions(file: witnessFile, urls: witnessURLs, keys: try parsedWitnessKeys(),
                                           interval: .milliseconds(Int64(checkpointInterval * 1000)))
            if !witnesses.isEmpty {
                let started = CheckpointPublisher(plane: opened, options: witnesses)
                publishing = Task { await started.run() }
                publisher = started
            }
        }
        defer {
            watcher?.cancel()
            publishing?.cancel()
            refreshing?.cancel()
            alertTask?.cancel()
            incidentWatching?.cancel()
        }
        let webAuthn = plane?.webAuthn
        do {
            try await gateway.run { url in
                FileHandle.standardOutput.write(Data("listening on \(url)\n".utf8))
                if let warning = webAuthn?.serverListening(at: url) {
                    FileHandle.standardError.write(Data("warning: \(warning)\n".utf8))
                }
            }
        } catch {
            publishing?.cancel()
            await publisher?.shutdown()
            await plane?.close()
            throw error
        }
        publishing?.cancel()
        refreshing?.cancel()
        await servingHost?.shutdown()
        await publisher?.shutdown()
        await plane?.close()
    }
}
