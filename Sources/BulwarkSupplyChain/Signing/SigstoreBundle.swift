internal import BulwarkArchive
internal import Foundation

/// DSSE v1 (https://github.com/secure-systems-lab/dsse, protocol.md): what is actually signed.
enum DSSE {
    /// Pre-Authentication Encoding: `"DSSEv1" SP len(type) SP type SP len(payload) SP payload`,
    /// lengths in ASCII decimal bytes.
    static func pae(payloadType: String, payload: [UInt8]) -> [UInt8] {
        let type = Array(payloadType.utf8)
        var out = Array("DSSEv1 \(type.count) ".utf8)
        out += type
        out += Array(" \(payload.count) ".utf8)
        out += payload
        return out
    }
}

/// A Sigstore bundle v0.3 (JSON) holding a DSSE envelope, as model-signing writes for key and
/// certificate signing: no transparency-log entries; verification material is either a public-key
/// hint or an X.509 certificate chain (signing certificate first).
struct SigstoreBundle: Sendable, Equatable {
    static let mediaType = "application/vnd.dev.sigstore.bundle.v0.3+json"
    /// Largest bundle read.
    static let maxBytes = 512 << 20

    /// Who can check the signature.
    enum VerificationMaterial: Sendable, Equatable {
        /// A public key, named by the hex SHA-256 of its PEM (`nil` in bundles of model-signing < 1.0).
        case publicKey(hint: String?)
        /// DER certificates, the signing certificate first.
        case certificateChain([[UInt8]])
    }

    var material: VerificationMaterial
    var payloadType: String
    var payload: [UInt8]
    /// DER ECDSA signatures over the PAE; model-signing writes and checks the first.
    var signatures: [[UInt8]]

    /// The bundle JSON, compact, with the members in the order sigstore-models writes them.
    func encode() -> [UInt8] {
        let material: JSONValue
        switch self.material {
        case .publicKey(let hint):
            material = .object([
                JSONMember("publicKey", .object(hint.map { [JSONMember("hint", .string($0))] } ?? [])),
                JSONMember("tlogEntries", .array([])),
            ])
        case .certificateChain(let certificates):
            material = .object([
                JSONMember("x509CertificateChain", .object([
                    JSONMember("certificates", .array(certificates.map { .object([JSONMember("rawBytes", .string(base64($0)))]) })),
                ])),
                JSONMember("tlogEntries", .array([])),
            ])
        }
        let bundle = JSONValue.object([
            JSONMember("mediaType", .string(Self.mediaType)),
            JSONMember("verificationMaterial", material),
            JSONMember("dsseEnvelope", .object([
                JSONMember("payload", .string(base64(payload))),
                JSONMember("payloadType", .string(payloadType)),
                JSONMember("signatures", .array(signatures.map { .object([JSONMember("sig", .string(base64($0))), JSONMember("keyid", .string(""))]) })),
            ])),
        ])
        return JSONWriter.encode(bundle, style: .compact)
    }

    private func base64(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }

    /// Parses bundle JSON, checking its shape but not its signature; `file` names it in errors.
    static func decode(_ bytes: [UInt8], file: String) throws(SigningError) -> SigstoreBundle {
        func malformed(_ why: String, underlying: (any Error)? = nil) -> SigningError {
            SigningError(.malformedSignature, "'\(file)' is not a model signature: \(why)", underlying: underlying)
        }
        func decodeBase64(_ value: JSONValue?, _ field: String) throws(SigningError) -> [UInt8] {
            guard let text = value?.stringValue else { throw malformed("\(field) is missing") }
            guard let data = Data(base64Encoded: text) else { throw malformed("\(field) is not base64") }
            return Array(data)
        }
        let json: JSONValue
        do {
            json = try JSONParser.parse(bytes)
        } catch {
            throw malformed("not JSON (\(error.description))", underlying: error)
        }
        guard case .object = json else { throw malformed("not a JSON object") }
        guard let mediaType = json["mediaType"]?.stringValue else { throw malformed("mediaType is missing") }
        guard mediaType == Self.mediaType else {
            throw malformed("mediaType is '\(mediaType)', expected '\(Self.mediaType)'")
        }
        guard let materialJSON = json["verificationMaterial"] else { throw malformed("verificationMaterial is missing") }
        let material: VerificationMaterial
        if let publicKey = materialJSON["publicKey"] {
            guard case .object = publicKey else { throw malformed("verificationMaterial.publicKey is not an object") }
            switch publicKey["hint"] {
            case nil, .null?: material = .publicKey(hint: nil)
            case .string(let hint)?: material = .publicKey(hint: hint)
            default: throw malformed("verificationMaterial.publicKey.hint is not a string")
            }
        } else if let chain = materialJSON["x509CertificateChain"] {
            guard let certificates = chain["certificates"]?.arrayValue, !certificates.isEmpty else {
                throw malformed("verificationMaterial.x509CertificateChain has no certificates")
            }
            var ders: [[UInt8]] = []
            for (index, certificate) in certificates.enumerated() {
                ders.append(try decodeBase64(certificate["rawBytes"], "certificate \(index) rawBytes"))
            }
            material = .certificateChain(ders)
        } else if let certificate = materialJSON["certificate"] {
            material = .certificateChain([try decodeBase64(certificate["rawBytes"], "certificate rawBytes")])
        } else {
            throw malformed("verificationMaterial has neither publicKey nor x509CertificateChain")
        }
        guard let envelope = json["dsseEnvelope"] else {
            throw malformed("dsseEnvelope is missing (message-signature bundles are not model signatures)")
        }
        let payload = try decodeBase64(envelope["payload"], "dsseEnvelope.payload")
        guard let payloadType = envelope["payloadType"]?.stringValue else { throw malformed("dsseEnvelope.payloadType is missing") }
        guard let signaturesJSON = envelope["signatures"]?.arrayValue, !signaturesJSON.isEmpty else {
            throw malformed("dsseEnvelope has no signatures")
        }
        var signatures: [[UInt8]] = []
        for (index, signature) in signaturesJSON.enumerated() {
            signatures.append(try decodeBase64(signature["sig"], "dsseEnvelope.signatures[\(index)].sig"))
        }
        return SigstoreBundle(material: material, payloadType: payloadType, payload: payload, signatures: signatures)
    }
}
