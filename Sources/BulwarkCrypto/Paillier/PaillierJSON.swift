public import Foundation

/// python-paillier's file formats (`pheutil`): JWK keys and `{"v", "e"}` ciphertexts.
///
/// - Public key: `{"kty": "DAJ", "alg": "PAI-GN1", "key_ops": ["encrypt"], "n": <base64url of
///   n's big-endian bytes, unpadded>, "kid": <text>}`.
/// - Private key: `{"kty": "DAJ", "key_ops": ["decrypt"], "p": <base64url>, "q": <base64url>,
///   "pub": <the public key JWK>, "kid": <text>}`.
/// - Ciphertext: `{"v": "<ciphertext in decimal>", "e": <exponent>}`; many ciphertexts are a
///   JSON array of those.
public enum PaillierJSON {
    /// The public key as `pheutil`'s JWK object.
    public static func jwkObject(_ key: PaillierPublicKey, kid: String) -> [String: any Sendable] {
        ["kty": "DAJ", "alg": "PAI-GN1", "key_ops": ["encrypt"], "n": base64url(key.n), "kid": kid]
    }

    /// The public key as `pheutil`'s JWK, one line of JSON with sorted keys and a newline.
    public static func jwk(_ key: PaillierPublicKey, kid: String) -> Data {
        serialize(jwkObject(key, kid: kid))
    }

    /// The private key as `pheutil genpkey` writes it (the public key nested under `pub`).
    public static func jwk(_ key: PaillierPrivateKey, kid: String, publicKid: String) -> Data {
        serialize(["kty": "DAJ", "key_ops": ["decrypt"], "p": base64url(key.p), "q": base64url(key.q),
                   "pub": jwkObject(key.publicKey, kid: publicKid), "kid": kid])
    }

    /// Reads a public key JWK (or a private key JWK's `pub`).
    /// - Throws: ``CryptoError`` `.malformed` for anything but a `DAJ`/`PAI-GN1` key with a
    ///   valid `n`.
    public static func publicKey(jwk data: Data) throws(CryptoError) -> PaillierPublicKey {
        let object = try jsonObject(data, what: "Paillier public key")
        return try publicKey(object: object)
    }

    static func publicKey(object: [String: Any]) throws(CryptoError) -> PaillierPublicKey {
        guard object["kty"] as? String == "DAJ", object["alg"] as? String == "PAI-GN1" else {
            if object["pub"] != nil {
                throw CryptoError(.malformed, "Paillier public key: this is a private key JWK (use its public part, or pass it as the private key)")
            }
            throw CryptoError(.malformed, "Paillier public key: expected a JWK with \"kty\": \"DAJ\" and \"alg\": \"PAI-GN1\"")
        }
        guard let text = object["n"] as? String, let n = integer(base64url: text) else {
            throw CryptoError(.malformed, "Paillier public key: \"n\" is not base64url")
        }
        do throws(CryptoError) { return try PaillierPublicKey(n: n) } catch {
            throw CryptoError(.malformed, "Paillier public key: \(error.message)")
        }
    }

    /// Reads a private key JWK as `pheutil genpkey` writes it.
    /// - Throws: ``CryptoError`` `.malformed` for a file that is not one, or whose p·q is not
    ///   its public key's n.
    public static func privateKey(jwk data: Data) throws(CryptoError) -> PaillierPrivateKey {
        let object = try jsonObject(data, what: "Paillier private key")
        guard object["kty"] as? String == "DAJ", let ops = object["key_ops"] as? [String], ops.contains("decrypt") else {
            if object["alg"] as? String == "PAI-GN1" {
                throw CryptoError(.malformed, "Paillier private key: this is a public key JWK (it has no p and q)")
            }
            throw CryptoError(.malformed, "Paillier private key: expected a JWK with \"kty\": \"DAJ\" and \"key_ops\": [\"decrypt\"]")
        }
        guard let pub = object["pub"] as? [String: Any] else { throw CryptoError(.malformed, "Paillier private key: no \"pub\" public key") }
        let publicKey = try publicKey(object: pub)
        guard let pText = object["p"] as? String, let p = integer(base64url: pText),
              let qText = object["q"] as? String, let q = integer(base64url: qText) else {
            throw CryptoError(.malformed, "Paillier private key: \"p\" or \"q\" is missing or not base64url")
        }
        do throws(CryptoError) { return try PaillierPrivateKey(publicKey: publicKey, p: p, q: q) } catch {
            throw CryptoError(.malformed, error.message)
        }
    }

    /// A ciphertext as `pheutil` writes it: `{"e": exponent, "v": "<decimal>"}` and a newline.
    public static func ciphertext(_ c: PaillierCiphertext) -> Data {
        serialize(ciphertextObject(c))
    }

    /// Many ciphertexts: a JSON array of `{"v", "e"}` objects.
    public static func ciphertexts(_ cs: [PaillierCiphertext]) -> Data {
        serialize(cs.map(ciphertextObject))
    }

    static func ciphertextObject(_ c: PaillierCiphertext) -> [String: any Sendable] {
        ["v": c.value.decimalString, "e": c.exponent]
    }

    /// Reads one ciphertext of `key` (or, given an array, each of them).
    /// - Throws: ``CryptoError`` `.malformed` for malformed JSON or a value outside (0, n²).
    public static func ciphertexts(_ data: Data, key: PaillierPublicKey) throws(CryptoError) -> [PaillierCiphertext] {
        let any: Any
        do { any = try JSONSerialization.jsonObject(with: data) } catch {
            throw CryptoError(.malformed, "Paillier ciphertext: not JSON")
        }
        if let one = any as? [String: Any] { return [try ciphertext(object: one, key: key, index: nil)] }
        guard let many = any as? [Any] else { throw CryptoError(.malformed, "Paillier ciphertext: expected {\"v\", \"e\"} or an array of them") }
        var out: [PaillierCiphertext] = []
        for (i, item) in many.enumerated() {
            guard let object = item as? [String: Any] else { throw CryptoError(.malformed, "Paillier ciphertext [\(i)]: expected {\"v\", \"e\"}") }
            out.append(try ciphertext(object: object, key: key, index: i))
        }
        return out
    }

    static func ciphertext(object: [String: Any], key: PaillierPublicKey, index: Int?) throws(CryptoError) -> PaillierCiphertext {
        let at = index.map { " [\($0)]" } ?? ""
        guard let text = object["v"] as? String, let value = BigInt(decimal: text) else {
            throw CryptoError(.malformed, "Paillier ciphertext\(at): \"v\" must be a decimal string")
        }
        guard let number = object["e"] as? NSNumber, let exponent = Int(exactly: number.doubleValue),
              abs(exponent) <= 1 << 20 else {
            throw CryptoError(.malformed, "Paillier ciphertext\(at): \"e\" must be an integer exponent")
        }
        do throws(CryptoError) { return try key.ciphertext(value: value, exponent: exponent) } catch {
            throw CryptoError(.malformed, "Paillier ciphertext\(at): \(error.message)")
        }
    }

    // MARK: helpers

    static func jsonObject(_ data: Data, what: String) throws(CryptoError) -> [String: Any] {
        let any: Any
        do { any = try JSONSerialization.jsonObject(with: data) } catch { throw CryptoError(.malformed, "\(what): not JSON") }
        guard let object = any as? [String: Any] else { throw CryptoError(.malformed, "\(what): expected a JSON object") }
        return object
    }

    static func serialize(_ value: Any) -> Data {
        // Only strings, integers, arrays and dictionaries of them: serialisation cannot fail.
        var data = (try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        data.append(0x0A)
        return data
    }

    /// base64url without padding of the big-endian bytes (as `phe.util.int_to_base64`).
    package static func base64url(_ value: BigInt) -> String {
        String(decoding: Base64URL.encode(value.magnitudeBytes).filter { $0 != UInt8(ascii: "=") }, as: UTF8.self)
    }

    /// The non-negative integer of a base64url text (padding optional), or `nil`.
    package static func integer(base64url text: String) -> BigInt? {
        var s = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        guard s.count % 4 != 1 else { return nil }
        while s.count % 4 != 0 { s += "=" }
        guard let data = Data(base64Encoded: s), !data.isEmpty else { return nil }
        return BigInt(magnitudeBytes: [UInt8](data))
    }
}
