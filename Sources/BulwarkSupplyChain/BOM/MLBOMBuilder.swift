public import BulwarkArchive
internal import Crypto
internal import Foundation
#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// What goes into an ML-BOM besides the model's bytes.
public struct MLBOMOptions: Sendable {
    /// The model card (from options or a card file).
    public var card: ModelCard
    /// A signature bundle whose digest to record (it is not verified here; `bulwark verify` does that).
    public var signatureFile: String?
    /// The BOM's timestamp (use a fixed one for reproducible output).
    public var timestamp: Date
    /// Which files make up the model (model-signing's defaults: git paths left out).
    public var hashing: HashingOptions
    /// The version of Bulwark recorded as the tool.
    public var toolVersion: String

    /// Options for a BOM made now.
    public init(card: ModelCard = ModelCard(), signatureFile: String? = nil, timestamp: Date = Date(), hashing: HashingOptions = HashingOptions(), toolVersion: String = BulwarkVersion.current) {
        self.card = card
        self.signatureFile = signatureFile
        self.timestamp = timestamp
        self.hashing = hashing
        self.toolVersion = toolVersion
    }
}

/// A CycloneDX 1.6 ML-BOM and what it was made from.
public struct MLBOM: Sendable {
    /// The BOM as indented JSON.
    public let json: [UInt8]
    /// The files and digests it lists.
    public let manifest: ModelManifest
    /// What was read from the model files.
    public let inspection: ModelInspection
    /// The signature bundle's SHA-256, when one was given.
    public let signatureDigestHex: String?
}

/// Builds CycloneDX 1.6 ML-BOMs (JSON) for a model file or directory.
///
/// The model is the BOM's `metadata.component` (type `machine-learning-model`) with its model
/// card (`modelParameters`, `quantitativeAnalysis`, `considerations`), license, authors, the
/// SHA-256 of the file (single-file models), format, parameter count and architecture read from
/// ONNX / safetensors / `config.json`, and the signature bundle's digest as a
/// `digital-signature` external reference. Each file of a directory model is a `file` component
/// with its SHA-256. The serial number is derived from the content, so the same inputs give the
/// same BOM.
///
/// ```swift
/// var card = ModelCard()
/// card.name = "resnet"
/// card.license = "Apache-2.0"
/// let bom = try await MLBOMBuilder.build(modelAt: "resnet", options: MLBOMOptions(card: card))
/// try Data(bom.json).write(to: URL(fileURLWithPath: "resnet.cdx.json"))
/// ```
public enum MLBOMBuilder {
    /// The CycloneDX specification version written.
    public static let specVersion = "1.6"

    /// Hashes and inspects the model at `path` and returns its ML-BOM.
    public static func build(modelAt path: String, options: MLBOMOptions) async throws(BOMError) -> MLBOM {
        try options.card.validate()
        let manifest: ModelManifest
        do {
            var hashing = options.hashing
            hashing.method = .files
            manifest = try await ModelHasher.manifest(of: path, options: hashing)
        } catch {
            throw BOMError(error)
        }
        let inspection = ModelInspector.inspect(root: path, manifest: manifest)
        var signatureDigest: String?
        if let signatureFile = options.signatureFile {
            do {
                let bundle = try readSmallFile(signatureFile, limit: SigstoreBundle.maxBytes, what: "signature")
                _ = try SigstoreBundle.decode(bundle, file: signatureFile)
                signatureDigest = hexString(SHA256.hash(data: bundle))
            } catch {
                throw BOMError(error)
            }
        }
        let json = document(manifest: manifest, inspection: inspection, options: options, signatureDigest: signatureDigest)
        return MLBOM(json: json, manifest: manifest, inspection: inspection, signatureDigestHex: signatureDigest)
    }

    static func document(manifest: ModelManifest, inspection: ModelInspection, options: MLBOMOptions, signatureDigest: String?) -> [UInt8] {
        let card = options.card
        let isSingleFile = manifest.items.count == 1 && manifest.items[0].key.path == "."
        var model: [JSONMember] = [
            JSONMember("type", .string("machine-learning-model")),
            JSONMember("bom-ref", .string("model")),
            JSONMember("name", .string(card.name ?? manifest.modelName)),
        ]
        if let version = card.version { model.append(JSONMember("version", .string(version))) }
        if let description = card.description { model.append(JSONMember("description", .string(description))) }
        if !card.authors.isEmpty {
            model.append(JSONMember("authors", .array(card.authors.map { .object([JSONMember("name", .string($0))]) })))
        }
        if isSingleFile {
            model.append(JSONMember("hashes", .array([sha256(manifest.items[0].descriptor.digestHex)])))
        }
        if let license = card.license {
            model.append(JSONMember("licenses", .array([.object([JSONMember("expression", .string(license))])])))
        }
        if let signatureDigest, let signatureFile = options.signatureFile {
            model.append(JSONMember("externalReferences", .array([.object([
                JSONMember("url", .string(iriReference(signatureFile))),
                JSONMember("comment", .string("OpenSSF Model Signing bundle (Sigstore bundle v0.3, DSSE, in-toto); digest recorded, signature not verified by this BOM (run bulwark verify)")),
                JSONMember("type", .string("digital-signature")),
                JSONMember("hashes", .array([sha256(signatureDigest)])),
            ])])))
        }
        model.append(JSONMember("modelCard", modelCard(card, inspection: inspection)))
        model.append(JSONMember("properties", .array(modelProperties(manifest: manifest, inspection: inspection))))

        var files: [JSONValue] = []
        if !isSingleFile {
            let infos = Dictionary(inspection.weightFiles.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
            for item in manifest.items {
                var file: [JSONMember] = [
                    JSONMember("type", .string("file")),
                    JSONMember("bom-ref", .string("file:" + item.key.path)),
                    JSONMember("name", .string(item.key.path)),
                    JSONMember("hashes", .array([sha256(item.descriptor.digestHex)])),
                ]
                if let info = infos[item.key.path] { file.append(JSONMember("properties", .array(weightProperties(info)))) }
                files.append(.object(file))
            }
        }

        let metadata: [JSONMember] = [
            JSONMember("tools", .object([JSONMember("components", .array([.object([
                JSONMember("type", .string("application")),
                JSONMember("name", .string("bulwark")),
                JSONMember("version", .string(options.toolVersion)),
            ])]))])),
            JSONMember("component", .object(model)),
        ]
        func body(metadata: [JSONMember]) -> [JSONMember] {
            var body: [JSONMember] = [
                JSONMember("$schema", .string("http://cyclonedx.org/schema/bom-1.6.schema.json")),
                JSONMember("bomFormat", .string("CycloneDX")),
                JSONMember("specVersion", .string(specVersion)),
                JSONMember("version", .integer(1)),
                JSONMember("metadata", .object(metadata)),
            ]
            if !files.isEmpty {
                body.append(JSONMember("components", .array(files)))
                body.append(JSONMember("dependencies", .array([.object([
                    JSONMember("ref", .string("model")),
                    JSONMember("dependsOn", .array(manifest.items.map { .string("file:" + $0.key.path) })),
                ])])))
            }
            return body
        }
        // The serial number is a UUID (version 5 layout) over everything but the timestamp.
        let digest = Array(SHA256.hash(data: JSONWriter.encode(.object(body(metadata: metadata)), style: .compact)))
        var final = body(metadata: [JSONMember("timestamp", .string(timestampString(options.timestamp)))] + metadata)
        final.insert(JSONMember("serialNumber", .string(uuidURN(digest))), at: 3)
        var json = JSONWriter.encode(.object(final), style: .indented(2))
        json.append(0x0A)
        return json
    }

    private static func sha256(_ hex: String) -> JSONValue {
        .object([JSONMember("alg", .string("SHA-256")), JSONMember("content", .string(hex))])
    }

    private static func property(_ name: String, _ value: String) -> JSONValue {
        .object([JSONMember("name", .string(name)), JSONMember("value", .string(value))])
    }

    private static func modelCard(_ card: ModelCard, inspection: ModelInspection) -> JSONValue {
        var parameters: [JSONMember] = []
        if let approach = card.approach { parameters.append(JSONMember("approach", .object([JSONMember("type", .string(approach))]))) }
        if let task = card.task { parameters.append(JSONMember("task", .string(task))) }
        if let family = card.architectureFamily ?? inspection.configFamily {
            parameters.append(JSONMember("architectureFamily", .string(family)))
        }
        let readArchitecture = inspection.configArchitecture ?? (inspection.weightFiles.count == 1 ? inspection.weightFiles[0].architecture : nil)
        if let architecture = card.modelArchitecture ?? readArchitecture {
            parameters.append(JSONMember("modelArchitecture", .string(architecture)))
        }
        if !card.datasets.isEmpty {
            parameters.append(JSONMember("datasets", .array(card.datasets.map {
                .object([JSONMember("type", .string("dataset")), JSONMember("name", .string($0))])
            })))
        }
        var result: [JSONMember] = [JSONMember("modelParameters", .object(parameters))]
        if !card.metrics.isEmpty {
            result.append(JSONMember("quantitativeAnalysis", .object([JSONMember("performanceMetrics", .array(card.metrics.map { metric in
                var members = [JSONMember("type", .string(metric.type)), JSONMember("value", .string(metric.value))]
                if let slice = metric.slice { members.append(JSONMember("slice", .string(slice))) }
                return .object(members)
            }))])))
        }
        var considerations: [JSONMember] = []
        func strings(_ key: String, _ values: [String]) {
            if !values.isEmpty { considerations.append(JSONMember(key, .array(values.map(JSONValue.string)))) }
        }
        strings("users", card.users)
        strings("useCases", card.intendedUses)
        strings("technicalLimitations", card.limitations)
        strings("performanceTradeoffs", card.tradeoffs)
        if !card.ethicalConsiderations.isEmpty {
            considerations.append(JSONMember("ethicalConsiderations", .array(card.ethicalConsiderations.map {
                .object([JSONMember("name", .string($0))])
            })))
        }
        if !considerations.isEmpty { result.append(JSONMember("considerations", .object(considerations))) }
        return .object(result)
    }

    private static func modelProperties(manifest: ModelManifest, inspection: ModelInspection) -> [JSONValue] {
        var properties: [JSONValue] = []
        properties.append(property("bulwark:format", inspection.formats.isEmpty ? "unknown" : inspection.formats.joined(separator: ", ")))
        if let count = inspection.parameterCount {
            properties.append(property("bulwark:parameter-count", String(count)))
        } else if !inspection.weightFiles.isEmpty {
            properties.append(property("bulwark:parameter-count", "unknown"))
        }
        properties.append(property("bulwark:file-count", String(manifest.fileCount)))
        if let bytes = manifest.byteCount { properties.append(property("bulwark:size-bytes", String(bytes))) }
        properties.append(property("openssf-model-signing:manifest-digest", "sha256:" + hexString(manifest.rootDigest)))
        return properties
    }

    private static func weightProperties(_ info: WeightFileInfo) -> [JSONValue] {
        var properties = [property("bulwark:format", info.format)]
        properties.append(property("bulwark:parameter-count", info.parameterCount.map(String.init) ?? "unknown"))
        if let architecture = info.architecture { properties.append(property("bulwark:architecture", architecture)) }
        for problem in info.problems { properties.append(property("bulwark:problem", problem)) }
        return properties
    }

    /// A path as an IRI reference (spaces and other reserved bytes percent-encoded).
    private static func iriReference(_ path: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "?#[]")
        return path.addingPercentEncoding(withAllowedCharacters: allowed) ?? path
    }

    private static func timestampString(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date)
    }

    private static func uuidURN(_ digest: [UInt8]) -> String {
        var bytes = Array(digest.prefix(16))
        bytes[6] = (bytes[6] & 0x0F) | 0x50
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let hex = hexString(bytes)
        let parts = [hex.prefix(8), hex.dropFirst(8).prefix(4), hex.dropFirst(12).prefix(4), hex.dropFirst(16).prefix(4), hex.dropFirst(20)]
        return "urn:uuid:" + parts.joined(separator: "-")
    }
}
