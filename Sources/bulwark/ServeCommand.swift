import ArgumentParser
import BulwarkAccess
import BulwarkGateway
import BulwarkServing
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
        stderr. On SIGTERM or SIGINT it stops accepting connections and gives requests in \
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
            idleTimeoutSeconds: idleTimeout, shutdownGracePeriodSeconds: gracePeriod
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
            IncidentGateway.describeRoutes(on: routes)
            var document = routes.openAPIDocument.encoded(pretty: true)
            document.append(UInt8(ascii: "\n"))
            FileHandle.standardOutput.write(document)
            return
        }
        let gateway = try Gateway(configuration: gatewayConfiguration)
        for warning in gateway.tls?.warnings ?? [] {
            FileHandle.standardError.write(Data("warning: \(warning)\n".utf8))
        }
        var plane: ControlPlane?
        var watcher: Task<Void, Never>?
        var publishing: Task<Void, Never>?
        var publisher: CheckpointPublisher?
        var refreshing: Task<Void, Never>?
        var servingHost: ModelHost?
        var incidentWatching: Task<Void, Never>?
        if let options = controlPlaneOptions {
            let opened = try await ControlPlane.open(options)
            opened.install(on: gateway.routes)
            if !serveModels.isEmpty {
                let host = ModelHost(registry: opened.registry, batching: batchingOptions)
                do throws(ServingError) {
                    try await host.load(try serveModels.map { spec throws(ServingError) in try ServingSpec(parsing: spec) })
                } catch {
                    await opened.close()
                    throw CLIError("--serve-model: \(error.message)")
                }
                let service = InferenceService(host: host, inputPolicy: InputPolicy(maxBatchRows: maxRequestRows, validRange: try parsedInputRange()))
                InferenceGateway(service: service).install(on: gateway.routes, plane: opened)
                let interval = registryRefresh
                refreshing = Task {
                    await host.watch(every: .milliseconds(Int64(interval * 1000))) { change in
                        FileHandle.standardError.write(Data("\(change)\n".utf8))
                    }
                }
                servingHost = host
            }
            // Incident response: shared kill set and quarantine, applied every 250 ms on every replica.
            let incidents: IncidentGateway
            do throws(GatewayError) {
                incidents = try await IncidentGateway.open(plane: opened, host: servingHost)
            } catch {
                await opened.close()
                throw CLIError("--database: \(error.message)")
            }
            incidents.install(on: gateway.routes, plane: opened)
            incidentWatching = Task { await incidents.watcher?.run() }
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
