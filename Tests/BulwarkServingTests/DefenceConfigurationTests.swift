import BulwarkData
import BulwarkExtraction
import BulwarkModels
import BulwarkServing
import BulwarkTensor
import Foundation
import Testing

/// Decodes `json` as a configuration named `test.json`.
private func decode(_ json: String) throws(ServingError) -> DefenceConfiguration {
    try DefenceConfiguration.decode(json: Data(json.utf8), source: "test.json")
}

/// The error `json` gives (or nil).
private func failure(_ json: String) -> ServingError? {
    do { _ = try decode(json); return nil } catch { return error }
}

@Test func defenceConfigurationFillsDefaultsAndReadsEverySetting() throws {
    let empty = try decode("{}")
    #expect(empty == DefenceConfiguration())
    #expect(empty.detectors.isEmpty && empty.hardening == "none" && empty.strip == nil)
    #expect(empty.extraction == ExtractionSettings())
    #expect(try decode(#"{"extraction": null}"#) == DefenceConfiguration.off)

    let full = try decode("""
        {"detectors": [{"kind": "mahalanobis", "falsePositiveRate": 0.01, "action": "reject", "layer": 1},
                       {"kind": "featureSqueezing", "bitDepth": 4, "medianSize": null}],
         "hardening": "top-k=3",
         "extraction": {"prada": false, "coverageWindow": 50, "escalation": {"alertAfter": 2, "throttleAfter": 3, "blockAfter": 6, "pradaBlockBelow": 0.7}},
         "strip": {"sampleRate": 0.25, "action": "log"}}
        """)
    #expect(full.detectors == [DetectorSettings(kind: .mahalanobis, falsePositiveRate: 0.01, action: .reject, layer: 1),
                               DetectorSettings(kind: .featureSqueezing, bitDepth: 4, medianSize: nil)])
    #expect(try full.parsedHardening() == .topK(3, renormalise: false))
    let e = try #require(full.extraction)
    #expect(!e.prada && e.coverage && e.coverageWindow == 50 && e.maxClients == 10_000)
    #expect(e.escalation == EscalationPolicy(alertAfter: 2, throttleAfter: 3, blockAfter: 6, pradaBlockBelow: 0.7))
    #expect(full.strip == StripSettings(sampleRate: 0.25, action: .log))
    // Round trip through the encoder.
    let again = try JSONDecoder().decode(DefenceConfiguration.self, from: JSONEncoder().encode(full))
    #expect(again == full)
    // The policy's ladder.
    #expect((0...5).map { e.escalation.level(alarms: $0) } == [.normal, .normal, .alerted, .throttled, .throttled, .throttled])
}

@Test func badDefenceConfigurationsGiveOneLineErrorsNamingTheKey() {
    let cases: [(String, String)] = [
        (#"{"detectors": [{"kind": "mahalanobis", "treshold": 3}]}"#, "unknown key 'treshold' in detector"),
        (#"{"hardening": "top-k=0"}"#, "top-k"),
        (#"{"hardening": "sharpen"}"#, "hardening"),
        (#"{"detectors": [{"kind": "lid"}]}"#, "detectors[0].kind"),
        (#"{"detectors": [{"action": "flag"}]}"#, "detectors[0].kind"),
        (#"{"detectors": [{"kind": "mahalanobis", "falsePositiveRate": 0.9}]}"#, "detectors[0].falsePositiveRate"),
        (#"{"detectors": [{"kind": "featureSqueezing", "bitDepth": 0}]}"#, "detectors[0].bitDepth"),
        (#"{"detectors": [{"kind": "featureSqueezing", "bitDepth": null, "medianSize": null}]}"#, "bitDepth or medianSize"),
        (#"{"detectors": [{"kind": "featureSqueezing", "action": "quarantine"}]}"#, "detectors[0].action"),
        (#"{"extraction": {"escalation": {"alertAfter": 3, "throttleAfter": 2}}}"#, "alertAfter ≤ throttleAfter"),
        (#"{"extraction": {"prada": false, "coverage": false}}"#, "enable prada or coverage"),
        (#"{"extraction": {"pradaDelta": 1.5}}"#, "extraction.pradaDelta"),
        (#"{"extraction": {"maxClients": 0}}"#, "extraction.maxClients"),
        (#"{"extraction": {"coverageWindow": "big"}}"#, "extraction.coverageWindow"),
        (#"{"strip": {"sampleRate": 2}}"#, "strip.sampleRate"),
        (#"{"strip": {"overlays": 0}}"#, "strip.overlays"),
        (#"{"stripp": {}}"#, "unknown key 'stripp'"),
        ("{not json", "not valid JSON"),
    ]
    for (json, expected) in cases {
        let error = failure(json)
        #expect(error?.code == .invalidParameter, "\(json)")
        let message = error?.message ?? ""
        #expect(message.hasPrefix("test.json: ") && message.contains(expected), "\(json) → \(message)")
        #expect(!message.contains("\n"))
    }
}

@Test(.enabled(if: defenceFashionPresent, "needs the Debian package dataset-fashion-mnist"))
func defencePipelineRefusesSettingsTheModelOrDataCannotMeet() throws {
    let data = try #require(defenceFashion)
    let model = try #require(defenceModel)
    let x = data.inputs.rows(2000..<2300), y = Array(data.labels[2000..<2300])
    func refusal(_ c: DefenceConfiguration, model: any DifferentiableClassifier = model, x: Tensor = x, y: [Int] = y) -> String? {
        let built = Result { () throws(ServingError) -> DefencePipeline in
            try DefencePipeline(configuration: c, model: model, calibrationInputs: x, calibrationLabels: y)
        }
        guard case .failure(let error) = built else { return nil }
        #expect(error.code == .invalidParameter && !error.message.contains("\n"))
        return error.message
    }
    // A model that is not Sequential cannot give Mahalanobis its hidden layer.
    struct Wrapped: DifferentiableClassifier {
        let base: Sequential
        var inputShape: [Int] { base.inputShape }
        var classCount: Int { base.classCount }
        func logits(_ input: Variable) -> Variable { base.logits(input) }
    }
    let maha = DefenceConfiguration(detectors: [DetectorSettings(kind: .mahalanobis)], extraction: nil)
    #expect(refusal(maha, model: Wrapped(base: model))?.contains("needs a Sequential model") == true)
    #expect(refusal(DefenceConfiguration(detectors: [DetectorSettings(kind: .mahalanobis, layer: 3)], extraction: nil))?.contains("detectors[0].layer") == true)
    #expect(refusal(maha, y: y.map { _ in 12 })?.contains("labels in 0..<10") == true)
    #expect(refusal(maha, x: x.reshaped([300, 784]))?.contains("expected inputs of shape") == true)
    // Coverage needs two windows of reference data; STRIP needs data left after its backgrounds.
    #expect(refusal(DefenceConfiguration(extraction: ExtractionSettings(coverageWindow: 200)))?.contains("extraction.coverage") == true)
    #expect(refusal(DefenceConfiguration(extraction: nil, strip: StripSettings(backgroundCount: 295)))?.contains("strip.backgroundCount") == true)
    #expect(refusal(DefenceConfiguration(hardening: "round=9", extraction: nil))?.contains("round") == true)
    #expect(refusal(DefenceConfiguration.off) == nil)
}

@Test func defencePolicyGivesEachModelItsOwnConfiguration() throws {
    let json = #"{"defaults": {"hardening": "labels"}, "models": {"fashion": {"extraction": null, "strip": {}}}}"#
    let policy = try DefencePolicy.decode(json: Data(json.utf8), source: "defences.json")
    #expect(policy.configuration(forModel: "fashion") == DefenceConfiguration(extraction: nil, strip: StripSettings()))
    #expect(policy.configuration(forModel: "other") == DefenceConfiguration(hardening: "labels"))
    let bad = #"{"models": {"fashion": {"strip": {"overlays": 500}}}}"#
    #expect(throws: ServingError(.invalidParameter, "defences.json: models.fashion: strip.overlays: expected 1...200, got 500")) {
        try DefencePolicy.decode(json: Data(bad.utf8), source: "defences.json")
    }
}
