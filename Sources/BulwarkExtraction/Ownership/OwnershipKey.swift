public import BulwarkTensor
import Foundation
import BulwarkModels

/// The secret an owner keeps to prove a model is theirs: key inputs, the labels the owner's
/// model gives them, and the chance agreement an independent model reaches on them.
///
/// A key is made by ``Watermark/embed(model:procedure:training:recipe:references:)`` or by a
/// fingerprint (``IPGuardFingerprint``, ``ConferrableFingerprint``) and checked by
/// ``OwnershipVerifier/verify(model:key:threshold:)``.
///
/// **File format** (``write(to:)`` / ``read(from:)``): one safetensors file. Tensor `inputs`
/// (F32, N × example shape) holds the key inputs, tensor `labels` (F32, N, integer values) their
/// labels; `__metadata__` holds `bulwark.ownership.format` (`1`), `.method`, `.seed`,
/// `.class_count`, `.chance_agreement` (p0 of the test), `.chance_floor`,
/// `.reference_agreements` (comma-separated measured rates) and `.parameters` (JSON object of
/// the recipe's settings). The file is as secret as the watermark: whoever holds it can train
/// the key out of a model.
public struct OwnershipKey: Sendable, Equatable {
    /// How the key was made.
    public var method: OwnershipMethod
    /// Key inputs, `N × example shape`.
    public var inputs: Tensor
    /// The owner's label for each key input.
    public var labels: [Int]
    /// Classes of the owner's model.
    public var classCount: Int
    /// Seed every random choice of the key came from.
    public var seed: UInt64
    /// The null hypothesis p0: the probability that a model not derived from the owner's gives
    /// a key input its key label. ``ChanceAgreement/estimate(rates:keySize:floor:)`` sets it from
    /// the measured ``referenceAgreements``; never below ``chanceFloor``.
    public var chanceAgreement: Double
    /// The least p0 allowed, whatever was measured (1/classes by default).
    public var chanceFloor: Double
    /// Measured agreement of each independently trained reference model with the key labels.
    public var referenceAgreements: [Double]
    /// Settings of the recipe that made the key (target class, noise, margin, ε …), as text.
    public var parameters: [String: String]

    /// A key; `chanceAgreement` must be the p0 the verification uses.
    public init(method: OwnershipMethod, inputs: Tensor, labels: [Int], classCount: Int, seed: UInt64, chanceAgreement: Double,
                chanceFloor: Double, referenceAgreements: [Double], parameters: [String: String] = [:]) {
        self.method = method
        self.inputs = inputs
        self.labels = labels
        self.classCount = classCount
        self.seed = seed
        self.chanceAgreement = chanceAgreement
        self.chanceFloor = chanceFloor
        self.referenceAgreements = referenceAgreements
        self.parameters = parameters
    }

    /// Number of key inputs.
    public var count: Int { labels.count }
    /// Shape of one key input.
    public var exampleShape: [Int] { Array(inputs.shape.dropFirst()) }

    /// The largest key file ``read(from:)`` accepts (256 MiB).
    public static let maxFileBytes = 256 << 20

    /// Checks that inputs, labels, classes and p0 are consistent.
    /// - Throws: ``ExtractionError`` naming the field that is not.
    public func validate(_ label: String = "ownership key") throws(ExtractionError) {
        guard !labels.isEmpty, inputs.shape.count >= 2, inputs.shape[0] == labels.count else {
            throw ExtractionError(.shapeMismatch, "\(label): \(labels.count) labels for inputs of shape \(inputs.shape); expected N labels for N × example inputs, N ≥ 1")
        }
        guard classCount >= 2 else { throw ExtractionError(.invalidParameter, "\(label): class count \(classCount) must be at least 2") }
        if let bad = labels.first(where: { $0 < 0 || $0 >= classCount }) {
            throw ExtractionError(.invalidParameter, "\(label): label \(bad) outside the classes 0..<\(classCount)")
        }
        guard chanceAgreement > 0, chanceAgreement < 1, chanceFloor >= 0, chanceFloor <= chanceAgreement else {
            throw ExtractionError(.invalidParameter, "\(label): chance agreement \(chanceAgreement) must be in (0, 1) and at least the floor \(chanceFloor)")
        }
        if let bad = inputs.scalars.first(where: { !$0.isFinite }) {
            throw ExtractionError(.invalidParameter, "\(label): the key inputs hold a non-finite value (\(bad))")
        }
    }

    /// The key as safetensors tensors and metadata (see the type's file format).
    public func fileContents() -> (tensors: [(name: String, tensor: Tensor)], metadata: [String: String]) {
        let parameterText = String(decoding: (try? JSONEncoder.sorted.encode(parameters)) ?? Data("{}".utf8), as: UTF8.self)
        let metadata = [
            "bulwark.ownership.format": "1",
            "bulwark.ownership.method": method.rawValue,
            "bulwark.ownership.seed": String(seed),
            "bulwark.ownership.class_count": String(classCount),
            "bulwark.ownership.chance_agreement": String(chanceAgreement),
            "bulwark.ownership.chance_floor": String(chanceFloor),
            "bulwark.ownership.reference_agreements": referenceAgreements.map { String($0) }.joined(separator: ","),
            "bulwark.ownership.parameters": parameterText,
        ]
        return ([("inputs", inputs), ("labels", Tensor(labels.map(Float.init)))], metadata)
    }

    /// Writes the key to `path` (safetensors; see the type's file format).
    /// - Throws: ``ExtractionError`` `.io` when the file cannot be written.
    public func write(to path: String) throws(ExtractionError) {
        try validate()
        let (tensors, metadata) = fileContents()
        do { try SafeTensors.write(tensors, metadata: metadata, to: URL(fileURLWithPath: path)) } catch {
            throw ExtractionError(.io, "cannot write the key to \(path): \(error.message)", underlying: error)
        }
    }

    /// Reads a key written by ``write(to:)``.
    /// - Throws: ``ExtractionError``: `.io` for a missing or unreadable file, `.invalidParameter`
    ///   (one line naming the file and the field) for one that is not a well-formed key.
    public static func read(from path: String) throws(ExtractionError) -> OwnershipKey {
        guard FileManager.default.fileExists(atPath: path) else { throw ExtractionError(.io, "key file not found: \(path)") }
        let file: (tensors: [String: Tensor], metadata: [String: String])
        do { file = try SafeTensors.read(from: URL(fileURLWithPath: path), maxBytes: maxFileBytes) } catch {
            throw ExtractionError(.invalidParameter, "\(path) is not an ownership key (safetensors): \(error.message)", underlying: error)
        }
        return try decode(tensors: file.tensors, metadata: file.metadata, label: path)
    }

    /// A key from safetensors tensors and metadata; `label` names the source in errors.
    /// - Throws: ``ExtractionError`` `.invalidParameter` naming the missing or malformed field.
    public static func decode(tensors: [String: Tensor], metadata m: [String: String], label: String) throws(ExtractionError) -> OwnershipKey {
        func field(_ name: String) throws(ExtractionError) -> String {
            guard let v = m["bulwark.ownership." + name] else {
                throw ExtractionError(.invalidParameter, "\(label) is not an ownership key: metadata 'bulwark.ownership.\(name)' is missing")
            }
            return v
        }
        func malformed(_ name: String, _ expected: String) -> ExtractionError {
            ExtractionError(.invalidParameter, "\(label): metadata 'bulwark.ownership.\(name)' is not \(expected)")
        }
        guard try field("format") == "1" else { throw malformed("format", "1 (the only format this version reads)") }
        guard let method = OwnershipMethod(rawValue: try field("method")) else {
            throw malformed("method", "one of " + OwnershipMethod.allCases.map(\.rawValue).joined(separator: ", "))
        }
        guard let seed = UInt64(try field("seed")) else { throw malformed("seed", "an unsigned integer") }
        guard let classes = Int(try field("class_count")), classes >= 2, classes <= 1 << 16 else { throw malformed("class_count", "an integer in 2…65536") }
        guard let p0 = Double(try field("chance_agreement")), p0.isFinite else { throw malformed("chance_agreement", "a number") }
        guard let floor = Double(try field("chance_floor")), floor.isFinite else { throw malformed("chance_floor", "a number") }
        let rateText = try field("reference_agreements")
        let rates = rateText.isEmpty ? [] : rateText.split(separator: ",").compactMap { Double($0) }
        guard rates.count == (rateText.isEmpty ? 0 : rateText.split(separator: ",").count), rates.allSatisfy({ $0 >= 0 && $0 <= 1 }) else {
            throw malformed("reference_agreements", "comma-separated rates in [0, 1]")
        }
        let parameters: [String: String]
        do { parameters = try JSONDecoder().decode([String: String].self, from: Data(try field("parameters").utf8)) } catch {
            throw malformed("parameters", "a JSON object of strings")
        }
        guard let inputs = tensors["inputs"], let labelTensor = tensors["labels"] else {
            throw ExtractionError(.invalidParameter, "\(label) is not an ownership key: it needs tensors 'inputs' and 'labels'")
        }
        guard labelTensor.shape.count == 1 else {
            throw ExtractionError(.invalidParameter, "\(label): tensor 'labels' has shape \(labelTensor.shape), expected [N]")
        }
        var labels: [Int] = []
        labels.reserveCapacity(labelTensor.count)
        for v in labelTensor.scalars {
            guard v.isFinite, v.rounded() == v, v >= 0, v < Float(classes) else {
                throw ExtractionError(.invalidParameter, "\(label): tensor 'labels' holds \(v), expected integers in 0..<\(classes)")
            }
            labels.append(Int(v))
        }
        let key = OwnershipKey(method: method, inputs: inputs, labels: labels, classCount: classes, seed: seed, chanceAgreement: p0,
                               chanceFloor: floor, referenceAgreements: rates, parameters: parameters)
        try key.validate(label)
        return key
    }
}

extension JSONEncoder {
    /// An encoder with sorted keys (stable key files and JSON output).
    static var sorted: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return e
    }
}
