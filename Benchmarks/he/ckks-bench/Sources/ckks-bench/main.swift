// Bulwark's CKKS timed on the operations of Benchmarks/he/ckks-bench.sh: N = 8192, primes of 60,
// 40, 40 bits and a 60-bit special prime, scale 2^40, 4096 slots, one thread. Prints one JSON
// object with the median wall and CPU seconds of each operation, the same shape as the peers'.
import BulwarkCrypto
import Foundation

let repeats = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 25 : 25

func cpuSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

func wallSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

func median(_ values: [Double]) -> Double {
    let s = values.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

nonisolated(unsafe) var sink = 0
func measure<T>(_ body: () throws -> T) rethrows -> [String: Double] {
    _ = try body()  // warm-up
    var wall: [Double] = [], cpu: [Double] = []
    for _ in 0..<repeats {
        let w0 = wallSeconds(), c0 = cpuSeconds()
        let result = try body()
        let c1 = cpuSeconds(), w1 = wallSeconds()
        withExtendedLifetime(result) { sink &+= 1 }
        wall.append(w1 - w0)
        cpu.append(c1 - c0)
    }
    return ["wall": median(wall), "cpu": median(cpu)]
}

let parameters = CKKSParameters.n8192Depth2
let context = try CKKSContext(parameters: parameters)
let keys = CKKSKeyGenerator(context: context)
let publicKey = keys.publicKey()
let relin = keys.relinearizationKey()
let galois = keys.galoisKeys(rotations: Array(1...8))
let encoder = CKKSEncoder(context: context)
let encryptor = try CKKSEncryptor(context: context, publicKey: publicKey)
let decryptor = try CKKSDecryptor(context: context, secretKey: keys.secretKey)
let evaluator = CKKSEvaluator(context: context)

var generator = try ChaCha20Generator(seed: [UInt8](repeating: 1, count: 32))
let x = (0..<4096).map { _ in Double.random(in: -1...1, using: &generator) }
let y = (0..<4096).map { _ in Double.random(in: -1...1, using: &generator) }
let cx = try encryptor.encrypt(encoder.encode(x))
let cy = try encryptor.encrypt(encoder.encode(y))

let product = try evaluator.multiplyRelinearizeRescale(cx, cy, key: relin)
let decodedProduct = try encoder.decode(decryptor.decrypt(product))
let errorXY = zip(decodedProduct, zip(x, y)).map { abs($0 - $1.0 * $1.1) }.max()!
let decodedRotation = try encoder.decode(decryptor.decrypt(evaluator.rotate(cx, by: 1, keys: galois)))
let errorRotate = (0..<4096).map { abs(decodedRotation[$0] - x[($0 + 1) % 4096]) }.max()!

let tensor = try evaluator.multiply(cx, cy)
let relinearized = try evaluator.relinearize(tensor, key: relin)
var limb = [UInt64](repeating: 1, count: 8192)
let ntt = try CKKSNTT(modulus: CKKSModulus(prime: context.dataModuli[0]), degree: 8192)

let seconds: [String: [String: Double]] = [
    "encode_encrypt": try measure { try encryptor.encrypt(encoder.encode(x)) },
    "encode": try measure { try encoder.encode(x) },
    "add": try measure { try evaluator.add(cx, cy) },
    "multiply_relinearize_rescale": try measure { try evaluator.multiplyRelinearizeRescale(cx, cy, key: relin) },
    "multiply": try measure { try evaluator.multiply(cx, cy) },
    "relinearize": try measure { try evaluator.relinearize(tensor, key: relin) },
    "rescale": try measure { try evaluator.rescale(relinearized) },
    "rotate_1": try measure { try evaluator.rotate(cx, by: 1, keys: galois) },
    "rotate_1_to_8_separately": try measure { try (1...8).map { try evaluator.rotate(cx, by: $0, keys: galois) } },
    "rotate_1_to_8_hoisted": try measure { try evaluator.rotations(cx, by: Array(1...8), keys: galois) },
    "decrypt_decode": try measure { try encoder.decode(decryptor.decrypt(cx)) },
    "ntt_forward_one_prime": measure { ntt.forward(&limb); return limb[0] },
    "ntt_inverse_one_prime": measure { ntt.inverse(&limb); return limb[0] },
]

let report: [String: Any] = [
    "peer": "Bulwark CKKS",
    "ring_dimension": parameters.polyDegree,
    "coefficient_modulus_bits": parameters.coefficientModulusBits,
    "primes": context.dataModuli.map(String.init) + [String(context.specialModulus)],
    "security": parameters.securityDescription,
    "repeats": repeats,
    "seconds": seconds,
    "max_error_xy": errorXY,
    "max_error_rotate": errorRotate,
]
let data = try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys])
print(String(decoding: data, as: UTF8.self))
