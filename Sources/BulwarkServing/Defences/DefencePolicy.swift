public import Foundation

/// The defences of every served model in one document: a default configuration and, per model
/// name, a configuration that replaces it whole (keys are not merged, so what a model runs is
/// what its entry says).
///
/// ```json
/// {"defaults": {"hardening": "top-k=1"},
///  "models": {"fashion-cnn": {"detectors": [{"kind": "mahalanobis", "action": "reject"}]}}}
/// ```
public struct DefencePolicy: Codable, Sendable, Equatable {
    /// Used for a model without an entry.
    public var defaults: DefenceConfiguration
    /// Per model name.
    public var models: [String: DefenceConfiguration]

    /// A policy; by default every model gets ``DefenceConfiguration/init(detectors:hardening:extraction:strip:)``'s defaults.
    public init(defaults: DefenceConfiguration = DefenceConfiguration(), models: [String: DefenceConfiguration] = [:]) {
        self.defaults = defaults
        self.models = models
    }

    /// The configuration of `model`.
    public func configuration(forModel model: String) -> DefenceConfiguration { models[model] ?? defaults }

    /// Decodes a JSON policy and validates every configuration in it.
    /// - Throws: ``ServingError`` (`invalidParameter`), one line naming `source`, the model and the key.
    public static func decode(json: Data, source: String) throws(ServingError) -> DefencePolicy {
        let value: DefencePolicy
        do { value = try JSONDecoder().decode(DefencePolicy.self, from: json) } catch {
            throw ServingError(.invalidParameter, "\(source): \(ConfigurationKeys.describe(error))", underlying: error)
        }
        try value.validate(source: source)
        return value
    }

    /// Checks every configuration.
    /// - Throws: ``ServingError`` (`invalidParameter`) naming `source` and the model.
    public func validate(source: String) throws(ServingError) {
        for (name, c) in [("defaults", defaults)] + models.sorted(by: { $0.key < $1.key }).map({ ("models.\($0.key.prefix(64))", $0.value) }) {
            do { try c.validate() } catch { throw ServingError(error.code, "\(source): \(name): \(error.message)", underlying: error) }
        }
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case defaults, models }

    /// Decodes with defaults for missing keys; unknown keys are an error.
    public init(from decoder: any Decoder) throws {
        let c = try ConfigurationKeys.strictContainer(decoder, CodingKeys.self, section: "policy")
        defaults = try c.decodeIfPresent(DefenceConfiguration.self, forKey: .defaults) ?? DefenceConfiguration()
        models = try c.decodeIfPresent([String: DefenceConfiguration].self, forKey: .models) ?? [:]
    }
}
