import ArgumentParser
import BulwarkCrypto
import Foundation

/// `bulwark he bench`: the CKKS per-operation table.
struct HEBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "CKKS per-operation times: encode+encrypt, add, multiply+relinearise+rescale, rotate, decrypt (one thread).",
        discussion: """
        Defaults to N = 8192 with primes of 60, 40, 40 bits and a 60-bit special prime, scale 2^40 \
        (TenSEAL's tutorial set, 128-bit secure by the HomomorphicEncryption.org table). Parameter \
        sets above the table's bound are refused unless --insecure-for-testing is given. Each \
        operation runs --repeats times on full slots of random values in [-1, 1]; the median is \
        printed. Benchmarks/he/ckks-bench.sh compares the same operations with SEAL and OpenFHE.

          bulwark he bench --poly-degree 8192 --modulus-bits 60,40,40,60 --scale-bits 40 --repeats 25
        """
    )
    @Option(help: "Ring dimension N (a power of two).") var polyDegree = 8192
    @Option(help: "Comma-separated bit sizes of the modulus chain; the last one is the special prime.")
    var modulusBits = "60,40,40,60"
    @Option(help: "log2 of the scale.") var scaleBits = 40
    @Option(help: "Repetitions per operation (the median is reported).") var repeats = 25
    @Flag(help: "Accept parameters above the 128-bit security bound (never for real data).") var insecureForTesting = false
    @Flag(help: "Print JSON.") var json = false

    struct Result: Encodable {
        var polyDegree: Int, modulusBits: [Int], scaleBits: Int, security: String, repeats: Int
        var milliseconds: [String: Double]
        var maxErrorMultiply: Double, maxErrorRotate: Double
        enum CodingKeys: String, CodingKey {
            case polyDegree = "poly_degree", modulusBits = "modulus_bits", scaleBits = "scale_bits", security, repeats
            case milliseconds, maxErrorMultiply = "max_error_multiply", maxErrorRotate = "max_error_rotate"
        }
    }

    func run() throws {
        let bits = try modulusBits.split(separator: ",").map { part -> Int in
            guard let b = Int(part.trimmingCharacters(in: .whitespaces)) else {
                throw ValidationError("--modulus-bits: '\(part)' is not an integer")
            }
            return b
        }
        guard (1...10_000).contains(repeats) else { throw ValidationError("--repeats must be in 1…10000") }
        guard (10...60).contains(scaleBits) else { throw ValidationError("--scale-bits must be in 10…60") }
        let scale = Double(sign: .plus, exponent: scaleBits, significand: 1)
        let parameters: CKKSParameters
        do throws(CryptoError) {
            parameters = insecureForTesting
                ? try CKKSParameters.insecureForTesting(polyDegree: polyDegree, coefficientModulusBits: bits, scale: scale)
                : try CKKSParameters(polyDegree: polyDegree, coefficientModulusBits: bits, scale: scale)
        } catch {
            throw ValidationError(error.message)
        }
        guard parameters.maximumLevel >= 2 else {
            throw ValidationError("--modulus-bits needs at least two data primes and the special prime for multiply+rescale")
        }
        let context = try CKKSContext(parameters: parameters)
        let keys = CKKSKeyGenerator(context: context)
        let relin = keys.relinearizationKey()
        let galois = keys.galoisKeys(rotations: [1])
        let encoder = CKKSEncoder(context: context)
        let encryptor = try CKKSEncryptor(context: context, publicKey: keys.publicKey())
        let decryptor = try CKKSDecryptor(context: context, secretKey: keys.secretKey)
        let evaluator = CKKSEvaluator(context: context)
        var rng = SystemRandomNumberGenerator()
        let slots = parameters.slotCount
        let x = (0..<slots).map { _ in Double.random(in: -1...1, using: &rng) }
        let y = (0..<slots).map { _ in Double.random(in: -1...1, using: &rng) }
        let cx = try encryptor.encrypt(encoder.encode(x))
        let cy = try encryptor.encrypt(encoder.encode(y))

        let product = try encoder.decode(decryptor.decrypt(evaluator.multiplyRelinearizeRescale(cx, cy, key: relin)))
        let rotated = try encoder.decode(decryptor.decrypt(evaluator.rotate(cx, by: 1, keys: galois)))
        let errorMultiply = (0..<slots).map { abs(product[$0] - x[$0] * y[$0]) }.max() ?? 0
        let errorRotate = (0..<slots).map { abs(rotated[$0] - x[($0 + 1) % slots]) }.max() ?? 0

        var times: [String: Double] = [:]
        times["encode_encrypt"] = try median { _ = try encryptor.encrypt(encoder.encode(x)) }
        times["add"] = try median { _ = try evaluator.add(cx, cy) }
        times["multiply_relinearize_rescale"] = try median { _ = try evaluator.multiplyRelinearizeRescale(cx, cy, key: relin) }
        times["rotate_1"] = try median { _ = try evaluator.rotate(cx, by: 1, keys: galois) }
        times["decrypt_decode"] = try median { _ = try encoder.decode(decryptor.decrypt(cx)) }
        let result = Result(polyDegree: polyDegree, modulusBits: bits, scaleBits: scaleBits, security: parameters.securityDescription,
                            repeats: repeats, milliseconds: times, maxErrorMultiply: errorMultiply, maxErrorRotate: errorRotate)
        if json { return try printJSON(result) }
        print("CKKS N = \(polyDegree), moduli \(bits) bits (last = special prime), scale 2^\(scaleBits); \(parameters.securityDescription)")
        print("operation                          median ms (\(repeats) runs, one thread)")
        for (key, label) in [("encode_encrypt", "encode + encrypt (public key)"), ("add", "add"),
                             ("multiply_relinearize_rescale", "multiply + relinearise + rescale"),
                             ("rotate_1", "rotate by 1"), ("decrypt_decode", "decrypt + decode")] {
            print(label.padding(toLength: 34, withPad: " ", startingAt: 0), String(format: "%9.3f", times[key] ?? 0))
        }
        print(String(format: "max |error|: x·y %.2e, rotate %.2e", errorMultiply, errorRotate))
    }

    /// The median wall time of `repeats` calls of `body`, in milliseconds (after one warm-up call).
    func median(_ body: () throws -> Void) throws -> Double {
        try body()
        var samples: [Double] = []
        for _ in 0..<repeats {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        samples.sort()
        return samples.count % 2 == 1 ? samples[samples.count / 2] : (samples[samples.count / 2 - 1] + samples[samples.count / 2]) / 2
    }
}
