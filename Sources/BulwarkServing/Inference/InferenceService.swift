import BulwarkAccess
public import BulwarkTensor

/// The inference path of the gateway without HTTP: parse the Open Inference Protocol body,
/// find the served model, validate the input against it, run it in a batch and write the
/// response.
///
/// ```swift
/// let database = try await openDatabase("sqlite:/var/lib/bulwark/bulwark.db")
/// let registry = try await ModelRegistry.open(database: database, blobDirectory: "/var/lib/bulwark/blobs")
/// let host = ModelHost(registry: registry)
/// try await host.load([ServingSpec(model: "fmnist")])   // its production version
/// let service = InferenceService(host: host, inputPolicy: InputPolicy(maxBatchRows: 32, validRange: 0...1))
/// let body = Array(#"{"inputs":[{"name":"input","shape":[1,4],"datatype":"FP32","data":[0.1,0.2,0.3,0.4]}]}"#.utf8)
/// let answer = try await service.infer(model: "fmnist", version: nil, body: body, client: "alice")
/// print(String(decoding: answer.response.json(), as: UTF8.self))
/// ```
public struct InferenceService: Sendable {
    /// The models served.
    public let host: ModelHost
    /// What each request may hold.
    public let requestLimits: InferenceRequestLimits
    /// What inputs are accepted.
    public let inputPolicy: InputPolicy
    /// Where requests are counted and timed, or `nil`.
    public let metrics: ServingMetrics?
    /// Rate limits, in-line defences and drift monitoring, or `nil` for none.
    public let protection: InferenceProtection?
    /// The incident state (quarantined clients), or `nil`.
    public let incidents: IncidentWatcher?
    /// Where each answered query is kept per client for evidence, or `nil`.
    public let journal: QueryJournal?

    /// A service over `host`.
    public init(host: ModelHost, requestLimits: InferenceRequestLimits = InferenceRequestLimits(), inputPolicy: InputPolicy = InputPolicy(),
                metrics: ServingMetrics? = nil, protection: InferenceProtection? = nil, incidents: IncidentWatcher? = nil, journal: QueryJournal? = nil) {
        self.host = host
        self.requestLimits = requestLimits
        self.inputPolicy = inputPolicy
        self.metrics = metrics
        self.protection = protection
        self.incidents = incidents
        self.journal = journal
    }

    /// One answered request: the response and what the monitors need.
    public struct Answer: Sendable {
        /// The protocol response.
        public var response: InferenceResponse
        /// The model that answered.
        public var model: ServedModel
        /// The validated input batch.
        public var input: Tensor
        /// The probabilities the model computed (before any hardening).
        public var probabilities: Tensor
        /// The detectors' verdicts per example (empty without detectors).
        public var screenings: [Screening]
        /// The client's extraction standing after this request (`nil` without extraction detection).
        public var standing: ClientStanding?
    }

    /// Answers the inference request `body` for `model` (and `version`, when the path names one),
    /// on behalf of `client`.
    ///
    /// - Throws: ``ServingError``: `.invalidRequest` for a body or tensor the model does not take,
    ///   `.notFound` for a model or version not served, `.unavailable` when it is killed, being
    ///   replaced or its queue is full.
    public func infer(model name: String, version: Int?, body: some Collection<UInt8>, client: String) async throws(ServingError) -> Answer {
        let started = ContinuousClock.now
        do throws(ServingError) {
            let answer = try await answer(model: name, version: version, body: body, client: client)
            metrics?.request(model: name, outcome: "ok", examples: answer.input.shape.first ?? 0, duration: started.duration(to: .now))
            return answer
        } catch {
            metrics?.request(model: host.record(model: name) == nil ? "unknown" : name, outcome: ServingMetrics.outcome(error), examples: 0,
                             duration: started.duration(to: .now))
            throw error
        }
    }

    private func answer(model name: String, version: Int?, body: some Collection<UInt8>, client: String) async throws(ServingError) -> Answer {
        let batcher = try host.batcher(model: name, version: version)
        let model = batcher.model
        if incidents?.isQuarantined(client) == true {
            throw ServingError(.refused, "client '\(client)' is quarantined by an incident; ask an operator")
        }
        try await protection?.admit(client: client, model: model, rows: 1)
        let request = try InferenceRequest(json: body, limits: requestLimits)
        let input = try model.batch(from: request, policy: inputPolicy)
        // The detectors' extra rows (feature squeezing's squeezed copies) ride in the same batch.
        let extra = protection?.extraRows(model: model, batch: input)
        let (logits, extraLogits) = try await batcher.logits(input, alongside: extra)
        let probabilities = logits.softmax(axis: -1)
        let extraProbabilities = extraLogits?.softmax(axis: -1)
        let screenings = try protection?.screen(model: model, batch: input, probabilities: probabilities, extraProbabilities: extraProbabilities) ?? []
        let visible = protection?.harden(model: model, probabilities: probabilities, inputs: input) ?? probabilities
        var parameters: [(String, String)] = []
        let flagged = screenings.indices.filter { screenings[$0].verdict == .flag }
        if let first = flagged.first {
            parameters = [("bulwark_flagged", "true"), ("bulwark_flagged_examples", flagged.map(String.init).joined(separator: " ")),
                          ("bulwark_detector", screenings[first].cause ?? "detector")]
        }
        let output = InferenceOutput(name: model.outputName, shape: visible.shape, datatype: .fp32, data: visible.scalars)
        let response = InferenceResponse(modelName: model.name, modelVersion: String(model.version), id: request.id, parameters: parameters, outputs: [output])
        let standing = await protection?.record(model: model, client: client, inputs: input, probabilities: probabilities, visible: visible, logits: logits)
        if let journal {
            var scores: [String: Double] = [:]
            for screening in screenings { for score in screening.scores { scores[score.name] = max(scores[score.name] ?? -.infinity, score.score) } }
            if let last = standing?.lastScore { scores["extraction"] = last }
            journal.record(client: client, model: model.name, version: model.version, input: input, probabilities: visible, detectorScores: scores)
        }
        return Answer(response: response, model: model, input: input, probabilities: probabilities, screenings: screenings, standing: standing)
    }

    /// What the monitoring page shows now: every served model's version and status, requests by
    /// outcome, detections, drift and top clients; `incidents` are the open ones (from the
    /// incident store, when there is one).
    public func monitoringSnapshot(incidents: [MonitoringSnapshot.OpenIncident] = []) -> MonitoringSnapshot {
        let killed = host.killed
        let models = host.specs.map { spec -> MonitoringSnapshot.Model in
            let loaded = host.loaded(model: spec.model)
            let status: String
            if let loaded {
                status = killed.contains(ModelHost.key(loaded.name, loaded.version)) ? "killed" : "serving"
            } else {
                status = "not served"
            }
            return MonitoringSnapshot.Model(
                name: spec.model, version: loaded?.version, status: status, requests: metrics?.requestCounts(model: spec.model) ?? [:],
                detections: protection?.detectionCounts(model: spec.model) ?? [:], drift: protection?.driftReport(model: spec.model),
                topClients: protection?.topClients(model: spec.model) ?? [])
        }
        return MonitoringSnapshot(models: models, incidents: incidents)
    }

    /// The Open Inference Protocol metadata of a served model:
    /// `{"name", "versions", "platform", "inputs": [{"name", "datatype", "shape"}], "outputs": […]}`
    /// with `-1` for the batch axis.
    public func metadata(model name: String, version: Int?) throws(ServingError) -> [UInt8] {
        let model = try host.batcher(model: name, version: version).model
        var out: [UInt8] = []
        out.append(contentsOf: #"{"name":"#.utf8)
        CanonicalJSON.writeString(model.name, into: &out)
        out.append(contentsOf: #","versions":[""#.utf8)
        out.append(contentsOf: String(model.version).utf8)
        out.append(contentsOf: #""],"platform":"#.utf8)
        CanonicalJSON.writeString(model.platform, into: &out)
        out.append(contentsOf: #","inputs":[{"name":"#.utf8)
        CanonicalJSON.writeString(model.inputName, into: &out)
        out.append(contentsOf: #","datatype":"FP32","shape":[-1"#.utf8)
        for dimension in model.inputShape { out.append(contentsOf: ",\(dimension)".utf8) }
        out.append(contentsOf: #"]}],"outputs":[{"name":"#.utf8)
        CanonicalJSON.writeString(model.outputName, into: &out)
        out.append(contentsOf: #","datatype":"FP32","shape":[-1,\#(model.classCount)]}]}"#.utf8)
        return out
    }
}
